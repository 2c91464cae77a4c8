"""Python source for a traced program, generated from the op table.

For every instruction the forward line is the op's forward run on symbols (`engine.replay.
symbolic`), and every backward line is the chain rule with the op's local-derivative rule run on
symbols, commented with the rule's formula from the table:

    out = <forward of op on x, y>
    x_bar += out_bar * <∂out/∂x>      # ∂out/∂x = <formula>

Two targets share the lines: ``"float"`` (Python floats; a condition becomes ``a if c else b``)
and ``"numpy"`` (arrays of shape (n,), one example per entry; a condition becomes ``where``, and
gradients flowing into a parameter are summed over the batch). An op that cannot run on symbols
is called through its own table functions (``_F0``, ``_R0``), so every op works.
"""

from __future__ import annotations

from engine.core.names import fill_in, partial_symbol
from engine.core.ops import OPS
from engine.replay.dense import backward_lines, find_dense, forward_lines
from engine.replay.interpret import reachable
from engine.replay.layout import Instruction, Layout
from engine.replay.symbolic import (
    NotSymbolic,
    fill,
    forward_expr,
    literal,
    placeholder,
    rule_exprs,
)
from engine.replay.symbolic import unbracket as _strip

__all__ = ["generate"]

_CHECK_CHUNK = 40
_CAN_FAIL = ("/", "**", "m.", "math.")  # what in a local derivative can raise
_UNIT = {"1.0": 1, "1": 1, "(-1.0)": -1, "(-1)": -1}


def _atom(code: str) -> str:
    """`code` bracketed unless it is a name or a plain number."""
    if code.isidentifier() or (code.startswith("(") and _strip(code) != code):
        return code
    try:
        float(code)
    except ValueError:
        return f"({code})"
    return code if not code.startswith("-") else f"({code})"


class _Writer:
    """The lines of one layout's functions, for one target."""

    def __init__(self, layout: Layout, target: str) -> None:
        self.layout = layout
        self.numpy = target == "numpy"
        self.target = target
        self.refs = list(layout.names)  # how each slot reads in code (constants: literals)
        for i, value in enumerate(layout.constants):
            if layout.first_constant + i not in layout.shifts:  # shifts are computed: names
                self.refs[layout.first_constant + i] = literal(value)
        self.bars = [f"{name}_bar" for name in layout.names]
        self.params = range(layout.first_param, layout.first_constant)
        self.bound: dict[str, tuple] = {}  # name -> ("F"/"R", op name) or ("index", list)
        varying = [slot < layout.n_inputs for slot in range(layout.n_slots)]
        for k, ins in enumerate(layout.instructions):
            for s in layout.shift_at.get(k, ()):
                varying[s] = any(varying[d] for d in layout.shifts[s])
            varying[ins.out] = any(varying[s] for s in ins.inputs)
        self.varying = varying  # differs between examples: inputs and what is computed from them
        self.layers = find_dense(layout, varying) if self.numpy else []
        self.fused: set[int] = set()  # slots a layer's matrix product computes
        for layer in self.layers:
            self.fused |= layer.absorbed | set(layer.zs) | set(layer.us or [])
        self.layer_at = {layer.end: layer for layer in self.layers}
        # where each guard is checked: before the instruction eager decided it at, or (numpy)
        # after the layer that computes one of its values, if later (an error it lets run
        # first hands the batch to the examples, which check in eager's order)
        ready_after = {}
        for layer in self.layers:
            for s in layer.absorbed | set(layer.zs) | set(layer.us or []):
                ready_after[s] = layer.end + 1
        self.guard_at: dict[int, list[int]] = {}
        for k, indices in layout.guard_at.items():
            for i in indices:
                at = max([k, *(ready_after.get(s, 0) for s in layout.guards[i].slots)])
                self.guard_at.setdefault(at, []).append(i)
        in_layers = {s for layer in self.layers for s in [*layer.bias, *sum(layer.weights, [])]}
        used = set(layout.output_slots()) | {s for g in layout.guards for s in g.slots}
        for ins in layout.instructions:
            if ins.out not in self.fused:
                used.update(ins.inputs)
        # parameters read by per-node code (as floats); the others only through _PV
        self.own = [s for s in self.params if s in used or s not in in_layers]
        self.in_layers = sorted(s for s in self.params if s in in_layers)

    def needs(self, wrt: str) -> list[bool]:
        """Slots whose gradient is wanted, and what uses them: ``"inputs"`` (``grad``: as
        ``engine.grad(out, inputs)``, nothing else) or ``"all"`` (``backward``: as
        ``out.backward()``, the inputs' and parameters' and those of the constants that want
        one, a ``Value(c)`` made inside the function, so that an inf in any of them is seen as
        ``backward()`` sees it, `_finite_check`)."""
        layout = self.layout
        hi = layout.n_inputs if wrt == "inputs" else self.params.stop
        needs = [slot < hi for slot in range(layout.n_slots)]
        if wrt != "inputs":
            for i, wanted in enumerate(layout.constant_needs_grad):
                needs[layout.first_constant + i] = wanted
        for ins in layout.instructions:
            needs[ins.out] = any(needs[s] for s in ins.inputs)
        return needs

    def _names(self, ins: Instruction) -> dict[str, str]:
        refs = [self.refs[s] for s in ins.inputs]
        if OPS[ins.op].arity == -1:
            names = {f"x{j}": ref for j, ref in enumerate(refs)}
        else:
            names = dict(zip(("x", "y"), refs))
        names["out"] = self.refs[ins.out]
        return names

    def _slot(self, ins: Instruction, key: str) -> int:
        if key == "out":
            return ins.out
        return ins.inputs[("x", "y").index(key) if key in ("x", "y") else int(key[1:])]

    def _table_function(self, kind: str, ins: Instruction) -> str:
        for name, spec in self.bound.items():
            if spec == (kind, ins.op):
                return name
        name = f"_{kind}{len(self.bound)}"
        self.bound[name] = (kind, ins.op)
        return name

    def _args(self, ins: Instruction, names: dict[str, str]) -> list[str]:
        """The arguments of the op's forward: ``x, arg`` / ``x, y`` / ``(x0, x1, ...)``."""
        arity = OPS[ins.op].arity
        if arity == -1:
            return ["(" + "".join(f"{names[f'x{j}']}, " for j in range(len(ins.inputs))) + ")"]
        args = [names[k] for k in ("x", "y")[:arity]]
        return args + [repr(ins.arg)] if arity == 1 else args

    # -- forward ----------------------------------------------------------------------------

    def forward_line(self, ins: Instruction) -> str:
        names = self._names(ins)
        out = names.pop("out")
        expr = forward_expr(ins.op, ins.arg, len(ins.inputs))
        if expr is not None and not expr.raises:
            return f"{out} = {_strip(fill(expr.component(None, self.target), names))}"
        fn = self._table_function("F", ins)
        args = ", ".join(self._args(ins, names))
        if self.numpy:
            return f"{out} = _each_forward({fn}, {OPS[ins.op].arity}, {args})  # {ins.op}"
        return f"{out} = {fn}({args})  # {ins.op}: the table's forward"

    def loads(self) -> list[str]:
        first = self.layout.first_param
        lines = [f"{self.refs[s]} = _P[{s - first}].data" for s in self.own]
        if self.layers:
            lines.append("_PV = _array([_p.data for _p in _P])  # the parameters, for the layers")
        return lines

    def nodes(self) -> list[str]:
        """One line per node, then (floats) the inf/nan check, then the guards."""
        layout = self.layout
        lines = []
        for k, ins in enumerate(layout.instructions):
            lines.extend(self.guard_lines(k))
            for s in layout.shift_at.get(k, ()):
                deps = ", ".join(self.refs[d] for d in layout.shifts[s])
                lines.append(f"{self.refs[s]} = _max_shift({deps})  # log_softmax's max shift")
            if ins.out not in self.fused:
                line = self.forward_line(ins)
                lines.append(line)
                lines.extend(self.division_check(line, self.refs[ins.out]))
            if k in self.layer_at:
                lines.extend(forward_lines(self, self.layer_at[k]))
        lines.extend(self.guard_lines(len(layout.instructions)))
        if not self.numpy:  # eager raises on overflow; a sum of every node spots inf/nan cheaply
            values = [self.refs[ins.out] for ins in layout.instructions]
            for i in range(0, len(values), _CHECK_CHUNK):
                head = "_chk = 0.0" if i == 0 else "_chk = _chk"
                lines.append(" + ".join([head, *values[i : i + _CHECK_CHUNK]]))
            if values:
                lines.append("if _chk - _chk != 0.0:  # an inf or nan somewhere: redo it as eager")
                lines.append("    raise _Careful")
        return lines

    def division_check(self, line: str, result: str) -> list[str]:
        """numpy: after a line that divides, hand the batch to the examples one at a time if
        its result is not finite. Python raises ZeroDivisionError for any ``x / 0``; numpy
        flags ``1 / 0`` and ``0 / 0`` (ERRSTATE raises), but ``inf / 0`` and ``nan / 0`` pass
        silently as inf and nan. (A NaN row gets there too: it is then replayed as eager.)"""
        if not self.numpy or " / " not in line.split("#", 1)[0]:
            return []
        return [
            f"if not _finite({result}):  # x / 0 raises in eager, even for x = inf or nan",
            "    raise _Careful",
        ]

    def guard_lines(self, k: int) -> list[str]:
        """The guards eager decides before instruction k runs (k = len: after the last)."""
        lines = []
        for i in self.guard_at.get(k, ()):
            guard = self.layout.guards[i]
            deps = [self.refs[s] for s in guard.slots]
            shown = guard.code.format(*deps)
            lines.append(f"_check_guard({i}, {', '.join(deps)})  # {shown} was {guard.expected!r}")
        return lines

    # -- backward ---------------------------------------------------------------------------

    def chain_rule(self, wrt: str, seeds: list[str], ready: set[int]) -> list[str]:
        """Seed the outputs, then one line per (node, parent), outputs first. `ready` holds the
        slots whose ``_bar`` already has a value (it is updated)."""
        layout = self.layout
        needs = self.needs(wrt)
        lines = ["# the chain rule, outputs first:  x_bar += out_bar · ∂out/∂x"]
        for slot, seed in zip(layout.outputs, seeds):
            if type(slot) is not int or not needs[slot]:
                continue
            if seed == self.bars[slot]:  # the seed is the output's gradient itself
                ready.add(slot)
                continue
            if self.numpy and not self.varying[slot]:
                seed = f"_sum({seed})"
            bar = self.bars[slot]
            lines.append(f"{bar} = {bar} + {seed}" if slot in ready else f"{bar} = {seed}")
            ready.add(slot)
        reach = reachable(layout)
        blocks: set[str] = set()
        # backward()'s order, so gradients add up as there; fused layers keep creation order
        # (their blocks need every row's gradient at once)
        ks = range(len(layout.instructions) - 1, -1, -1) if self.layer_at else layout.backward_order
        for k in ks:
            ins = layout.instructions[k]
            if k in self.layer_at:
                lines.extend(backward_lines(self, self.layer_at[k], needs, ready, blocks))
            if not reach[ins.out] or ins.out in self.fused:
                continue  # no output depends on it (backward() never visits it), or fused
            if needs[ins.out] and ins.out in ready:
                lines.extend(self._node_lines(ins, needs, ready))
            else:
                lines.extend(self._unneeded(ins, range(len(ins.inputs))))
        return lines

    def _unneeded(self, ins: Instruction, indices) -> list[str]:
        """``backward()`` evaluates every local derivative, wanted or not, and raises if one
        fails (0.5/√0, 0 ** -1): keep those that can fail, as bare expressions."""
        names = self._names(ins)
        codes, lines = self._locals(ins, list(indices), names)
        if lines:
            return lines  # the table's own rule, called: it computes them all
        out = []
        for i in indices:
            code = _strip(fill(codes[i], names))
            if any(mark in code for mark in _CAN_FAIL):
                why = f"∂{names['out']}/∂(input {i}) is unused, but eager computes it"
                out.append(f"_ = {code}  # {why}")
        return out

    def seed_name(self, j: int) -> str:
        """The name of output j's seed: ``<output>_bar`` for a node output (its gradient
        starts as the seed), else ``_s<j>``."""
        slot = self.layout.outputs[j]
        if (
            type(slot) is int
            and self.layout.kind(slot) == "node"
            and self.layout.outputs.count(slot) == 1
            and (self.varying[slot] or not self.numpy)
        ):
            return self.bars[slot]
        return f"_s{j}"

    def _locals(self, ins: Instruction, wanted: list[int], names: dict) -> tuple[dict, list[str]]:
        """Code for ∂out/∂(input i), i in `wanted`: from the rule on symbols, or a call."""
        rule = rule_exprs(ins.op, ins.arg, len(ins.inputs))
        if rule is not None and not rule.raises:
            try:
                return {i: rule.component(i, self.target) for i in wanted}, []
            except NotSymbolic:  # a branch raises, or the rule returns something else
                pass
        op = OPS[ins.op]
        fn = self._table_function("R", ins)
        if op.arity == 1:
            args = [names["x"], names["out"], repr(ins.arg)]
        elif op.arity == 2:
            args = [names["x"], names["y"], names["out"]]
        else:
            args = [self._args(ins, names)[0], names["out"]]
        if self.numpy:
            call = f"_each_rule({fn}, {op.arity}, {', '.join(args)})"
        else:
            call = f"{fn}(m, {', '.join(args)})"
        return {i: f"_l[{i}]" for i in wanted}, [f"_l = {call}  # {ins.op}: the table's rule"]

    def _node_lines(self, ins: Instruction, needs: list[bool], ready: set[int]) -> list[str]:
        names = self._names(ins)
        wanted = [i for i, s in enumerate(ins.inputs) if needs[s]]
        codes, lines = self._locals(ins, wanted, names)
        if not lines:
            lines = self._unneeded(ins, [i for i in range(len(ins.inputs)) if i not in wanted])
        out_bar = self.bars[ins.out]
        for i in wanted:
            parent = ins.inputs[i]
            code = codes[i]
            if code.startswith("_l["):
                varying_local, local = self.varying[ins.out], code
            else:
                keys = [k for k in names if placeholder(k) in code]
                varying_local = any(self.varying[self._slot(ins, k)] for k in keys)
                local = _strip(fill(code, names))
            reduce = self.numpy and self.varying[ins.out] and not self.varying[parent]
            sign = _UNIT.get(local, 0)
            if sign:
                term = f"_sum({out_bar})" if reduce else out_bar
            elif reduce and varying_local:
                term = f"_dot({out_bar}, {local})"
            elif reduce:
                term = f"_sum({out_bar}) * {_atom(local)}"
            else:
                term = f"{out_bar} * {_atom(local)}"
            bar = self.bars[parent]
            if parent in ready and self.numpy:  # arrays may be shared: never add in place
                line = f"{bar} = {bar} {'-' if sign < 0 else '+'} {_atom(term)}"
            elif parent in ready:
                line = f"{bar} {'-=' if sign < 0 else '+='} {term}"
            else:
                line = f"{self.bars[parent]} = {'-' + _atom(term) if sign < 0 else term}"
            lines.append(f"{line}  # {self._formula(ins, i)}")
            lines.extend(self.division_check(line, bar))
            ready.add(parent)
        return lines

    def _formula(self, ins: Instruction, i: int) -> str:
        """``∂out/∂x = <the table's formula in node names>``, as the stepper narrates it."""
        op = OPS[ins.op]
        names = self.layout.names
        shown = [
            self.refs[s] if self.layout.kind(s) == "constant" else names[s] for s in ins.inputs
        ]
        if op.arity == -1:
            formula = fill_in(op.derivatives[0], {"x_i": shown[i], "out": names[ins.out]})
        else:
            slots = dict(zip(("x", "y"), shown))
            slots["out"] = names[ins.out]
            formula = fill_in(op.derivatives[i], slots)
        if op.arg_name is not None and ins.arg is not None:
            formula += f"  ({op.arg_name} = {ins.arg:g})"
        return f"{partial_symbol(names[ins.out], shown[i])} = {formula}"


def _block(lines: list[str], depth: int = 1) -> list[str]:
    return ["    " * depth + line for line in lines]


FUNCTIONS = ("forward", "grad", "backward", "backward_rows")


def _finite_check(w: _Writer, bars: list[str], ready: set[int], every_leaf: bool) -> list[str]:
    """Lines that hand the call to the interpreter if a gradient came out inf or NaN (`bars`;
    with `every_leaf`, as ``backward()``, the inputs' and those of the constants that want one
    too, computed when in `ready`): there ``backward()`` redoes steps carefully (PyTorch's
    form) and may raise, naming the op. (numpy: ERRSTATE makes an overflow or a new NaN raise,
    which hands the batch over already; a NaN or inf from the inputs does not, and eager's
    careful step gives other numbers for it, such as binary_step's 0 whatever the gradient.)"""
    layout = w.layout
    if every_leaf:
        bars = bars + [w.bars[s] for s in range(layout.n_inputs) if s in ready]
        bars += [
            w.bars[layout.first_constant + i]
            for i, wanted in enumerate(layout.constant_needs_grad)
            if wanted and layout.first_constant + i in ready
        ]
    if w.numpy and every_leaf and w.layers:
        bars.append("_GV")  # the layers' parameter gradients
    if not bars:
        return []
    if w.numpy:  # NaN rows pass numpy silently; eager's careful step may give other numbers
        return [
            f"if not all(map(_finite, ({', '.join(bars)},))):  # inf or nan: redo as eager",
            "    raise _Careful",
        ]
    return [
        f"_chk = {' + '.join(['0.0', *bars])}",
        "if _chk - _chk != 0.0:  # an inf or nan gradient: redo it as eager",
        "    raise _Careful",
    ]


def generate(
    layout: Layout, target: str, functions: tuple[str, ...] = FUNCTIONS
) -> tuple[str, dict[str, tuple]]:
    """Source of `functions` for `target` ("float" or "numpy") and what it refers to besides
    its namespace: ``{"_F0": ("F", "tanh"), "_R1": ("R", "pow"), "_IW0": ("index", [...])}``
    (an op's forward or rule from the table, or an index array for a dense layer).

    ``forward(inputs)`` returns the outputs; ``grad(inputs, seeds)`` the outputs and the
    inputs' gradients; ``backward(inputs, seeds)`` adds to the parameters' ``.grad``;
    ``backward_rows(rows, seeds)`` (floats only) runs many examples with the parameters loaded
    once. Seeds are ∂L/∂output, one per output.
    """
    w = _Writer(layout, target)
    inputs = [layout.names[s] for s in range(layout.n_inputs)]
    seeds = [w.seed_name(j) for j in range(len(layout.outputs))]
    outs = [w.refs[o] if type(o) is int else literal(o) for o in layout.outputs]
    returned = "(" + ", ".join(outs) + ",)"
    loads, nodes = w.loads(), w.nodes()
    params = set(w.own)
    reached = w.needs("all")
    first = layout.first_param
    # as backward(): each pass sums its own gradients from 0, then adds them to .grad at the end
    bars_in = [f"{w.bars[s]} = 0.0" for s in w.own]
    store = "float({})" if w.numpy else "{}"
    bars_out = [f"_P[{s - first}].grad += {store.format(w.bars[s])}" for s in w.own if reached[s]]
    # backward_rows: one pass per row, each added in turn (as repeated backward() calls)
    rows_in = [f"_A{s} = _P[{s - first}].grad" for s in w.own if reached[s]]
    rows_add = [f"_A{s} += {w.bars[s]}" for s in w.own if reached[s]]
    rows_out = [f"_P[{s - first}].grad = _A{s}" for s in w.own if reached[s]]
    if w.layers:  # the layers' parameter gradients, summed over the batch, in one vector
        w.bound["_GI"] = ("index", [s - first for s in w.in_layers])
        bars_in.append(f"_GV = _zeros({len(w.params)})")
        bars_out += ["for _i, _g in zip(_GI.tolist(), _GV[_GI].tolist()):", "    _P[_i].grad += _g"]
    signature = ", ".join(inputs + seeds)
    text = [
        f"# generated by engine.replay from the op table (engine.core.ops.OPS); target: {target}"
    ]
    for name in functions:
        text.append("")
        if name == "forward":
            text += [f"def forward({', '.join(inputs)}):"]
            text += _block(loads + nodes + [f"return {returned}"])
        elif name == "grad":
            ready: set[int] = set()
            chain = w.chain_rule("inputs", seeds, ready)
            chain += [
                f"{w.bars[s]} = 0.0  # nothing depends on it"
                for s in range(layout.n_inputs)
                if s not in ready
            ]
            grads = "(" + ", ".join(w.bars[s] for s in range(layout.n_inputs)) + ",)"
            check = _finite_check(w, [w.bars[s] for s in range(layout.n_inputs)], ready, False)
            text += [f"def grad({signature}):"]
            text += _block(loads + nodes + chain + check + [f"return {returned}, {grads}"])
        elif name == "backward":
            ready = set(params)
            chain = w.chain_rule("all", seeds, ready)
            text += [f"def backward({signature}):"]
            check = _finite_check(w, [w.bars[s] for s in w.own if reached[s]], ready, True)
            text += _block(
                loads + bars_in + nodes + chain + check + bars_out + [f"return {returned}"]
            )
        elif name == "backward_rows" and not w.numpy:
            ready = set(params)
            chain = w.chain_rule("all", seeds, ready)
            row = "(" + ", ".join(inputs) + ",)" if inputs else "()"
            seed_row = "(" + ", ".join(seeds) + ",)" if seeds else "()"
            text += ["def backward_rows(_rows, _seeds):"]
            layer_in = [line for line in bars_in if line.startswith("_GV")]
            layer_out = [line for line in bars_out if not line.startswith("_P[")]
            row_bars = [line for line in bars_in if not line.startswith("_GV")]
            text += _block(loads + rows_in + layer_in + ["_outs = []"])
            text += _block([f"for {row}, {seed_row} in zip(_rows, _seeds):"])
            check = _finite_check(w, [w.bars[s] for s in w.own if reached[s]], ready, True)
            body = row_bars + nodes + chain + check + rows_add + [f"_outs.append({returned})"]
            text += _block(body, 2)
            text += _block(rows_out + layer_out + ["return _outs"])
        else:
            raise ValueError(f"no function {name!r} for target {target!r}")
    return "\n".join(text) + "\n", w.bound
