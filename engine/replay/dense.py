"""Dense layers in a traced program, for numpy: chains of ``b + w_0·r_0 + w_1·r_1 + ...`` that
share their inputs r are one matrix product.

A neuron builds ``act = b; act = act + w_k * r_k`` for k = 0..K-1: a *dot chain* whose weights
and bias are parameters. J chains reading the same inputs ``(r_0, ..., r_{K-1})`` are a layer:
``Z = B + W·R`` with W a J×K matrix of parameters and R the K inputs stacked. If every chain's
result goes through the same activation (``relu``, ``tanh``...), that is one more array op on the
stack: ``A = act(Z)``. A later layer whose inputs are exactly A's rows, in order, reads A itself.

On a batch, per-node numpy code makes two calls per weight (``w*r``, ``+``); a layer makes one
matrix product, so the batched replay of an MLP runs at the speed of the same maths written with
matrices. The sums run in another order than the eager engine's (a matrix product adds as BLAS
does), which, like numpy's exp and log, changes results only in the last bits. Floats never use
this: they reproduce the eager engine exactly.

`find_dense` only groups what it can prove safe: the chain's partial sums and products are used
by nothing else, its weights are distinct parameters, its inputs differ between examples, and
everything reading a layer's results comes after the layer.
"""

from __future__ import annotations

from engine.core.ops import OPS
from engine.replay.layout import Layout

__all__ = ["Dense", "find_dense"]


class Dense:
    """One layer: ``Z = B + W·R`` (J×n), then optionally ``A = act(Z)``.

    zs, us:   the slots of Z's and A's rows (us is None without an activation);
    weights:  J×K parameter slots; bias: J parameter slots; rs: the K input slots;
    absorbed: the products and partial sums the matrix product replaces;
    act:      (op name, arg) of the activation, or None;
    end:      index of the layer's last instruction (it is computed there);
    source:   (earlier layer, "A" or "Z") whose rows are exactly rs, or None (R is stacked);
    exported: rows something outside the fused layers reads, by slot.
    """

    def __init__(self, index: int, zs: list[int], chains: dict, rs: tuple[int, ...]) -> None:
        self.index = index
        self.zs = zs
        self.rs = rs
        self.bias = [chains[z][0] for z in zs]
        self.weights = [[w for w, _ in chains[z][1]] for z in zs]
        self.absorbed = {s for z in zs for s in chains[z][2]}
        self.act: tuple[str, object] | None = None
        self.us: list[int] | None = None
        self.end = -1
        self.source: tuple[Dense, str] | None = None
        self.exported: set[int] = set()

    @property
    def rows(self) -> list[int]:
        """The slots of the layer's result rows: A's if it has an activation, else Z's."""
        return self.us if self.us is not None else self.zs


def _uses(layout: Layout) -> list[int]:
    uses = [0] * layout.n_slots
    for ins in layout.instructions:
        for s in ins.inputs:
            uses[s] += 1
    for s in layout.output_slots():
        uses[s] += 1
    for guard in layout.guards:
        for s in guard.slots:
            uses[s] += 1
    return uses


def _chains(layout: Layout, uses: list[int]) -> dict[int, tuple]:
    """Dot chains by result slot: (bias slot, [(weight, input)], absorbed slots)."""
    by_out = {ins.out: ins for ins in layout.instructions}

    def param(s: int) -> bool:
        return layout.first_param <= s < layout.first_constant

    def product(s: int) -> tuple[int, int] | None:
        ins = by_out.get(s)
        if ins is None or ins.op != "mul" or uses[s] != 1:
            return None
        a, b = ins.inputs
        if param(a) and not param(b):
            return a, b
        if param(b) and not param(a):
            return b, a
        return None

    chains: dict[int, tuple] = {}
    for ins in layout.instructions:
        if ins.op != "add":
            continue
        a, b = ins.inputs
        term = product(b)
        if term is None:
            continue
        if a in chains and uses[a] == 1:
            bias, terms, absorbed = chains.pop(a)
            chains[ins.out] = (bias, [*terms, term], [*absorbed, a, b])
        elif param(a):
            chains[ins.out] = (a, [term], [b])
    return chains


def find_dense(layout: Layout, varying: list[bool]) -> list[Dense]:
    """The layers of `layout` worth a matrix product, in forward order (see the module doc)."""
    uses = _uses(layout)
    chains = _chains(layout, uses)
    position = {ins.out: k for k, ins in enumerate(layout.instructions)}
    by_inputs: dict[tuple[int, ...], list[int]] = {}
    for z in sorted(chains, key=position.__getitem__):
        by_inputs.setdefault(tuple(r for _, r in chains[z][1]), []).append(z)
    layers: list[Dense] = []
    for rs, zs in by_inputs.items():
        params = [w for z in zs for w, _ in chains[z][1]] + [chains[z][0] for z in zs]
        if len(zs) * len(rs) < 4 or not all(varying[r] for r in rs):
            continue
        if len(set(params)) != len(params):
            continue  # a weight used twice in one layer: its gradient would be added once
        layer = Dense(len(layers), zs, chains, rs)
        consumers = [ins for ins in layout.instructions if ins.inputs and ins.inputs[0] in zs]
        acts = {(ins.op, ins.arg) for ins in consumers}
        if (
            len(consumers) == len(zs)
            and len(acts) == 1
            and _renderable(*next(iter(acts)))
            and all(OPS[ins.op].arity == 1 and uses[ins.inputs[0]] == 1 for ins in consumers)
            and [ins.inputs[0] for ins in consumers] == zs
        ):
            layer.act = acts.pop()
            layer.us = [ins.out for ins in consumers]
        slots = layer.absorbed | set(zs) | set(layer.us or [])
        layer.end = max(position[s] for s in slots)
        layers.append(layer)
    return _link(layout, layers, position)


def _link(layout: Layout, layers: list[Dense], position: dict[int, int]) -> list[Dense]:
    """Connect each layer to the earlier layer it reads, find the rows read elsewhere, and drop
    a layer whose rows are read before its last instruction."""
    layers.sort(key=lambda layer: layer.end)
    for i, layer in enumerate(layers):
        layer.index = i
        for earlier in layers[:i]:
            for kind, block in (("A", earlier.us), ("Z", earlier.zs)):
                if (
                    block is not None
                    and tuple(block) == layer.rs
                    and (kind == "A" or not earlier.us)
                ):
                    layer.source = (earlier, kind)
    inside: set[tuple[int, int]] = (
        set()
    )  # (row slot, consumer slot) pairs a later layer's matrix product covers
    for layer in layers:
        if layer.source is not None:
            products = [s for s in layer.absorbed if _is_product(layout, s)]
            inside.update((r, m) for m in products for r in _inputs_of(layout, m))
    kept = []
    for layer in layers:
        rows = set(layer.rows)
        internal = layer.absorbed | set(layer.zs)
        ok = True
        for k, ins in enumerate(layout.instructions):
            for s in ins.inputs:
                if s in rows and (s, ins.out) not in inside and ins.out not in internal:
                    layer.exported.add(s)
                    ok = ok and k > layer.end
        layer.exported |= rows & (set(layout.output_slots()) | _guard_slots(layout))
        if ok:
            kept.append(layer)
    if len(kept) != len(layers):  # a dropped layer cannot feed a kept one as a block
        return _link(layout, [_fresh(layer) for layer in kept], position)
    return kept


def _renderable(op: str, arg: object) -> bool:
    """Can the activation's forward and rule run on a whole block (no per-example fallback)?"""
    from engine.replay.symbolic import forward_expr, rule_exprs

    if OPS[op].arity != 1:
        return False
    forward, rule = forward_expr(op, arg, 1), rule_exprs(op, arg, 1)
    if forward is None or rule is None or forward.raises or rule.raises:
        return False
    try:
        forward.component(None, "numpy")
        rule.component(0, "numpy")
    except Exception:
        return False
    return True


def _fresh(layer: Dense) -> Dense:
    layer.source, layer.exported = None, set()
    return layer


def _is_product(layout: Layout, slot: int) -> bool:
    return layout.instructions[slot - layout.first_node].op == "mul"


def _inputs_of(layout: Layout, slot: int) -> tuple[int, ...]:
    return layout.instructions[slot - layout.first_node].inputs


def _guard_slots(layout: Layout) -> set[int]:
    return {s for guard in layout.guards for s in guard.slots}


# --------------------------------------------------------------------------------------------
# Code for a layer (numpy target); `w` is the codegen writer
# --------------------------------------------------------------------------------------------


def _index(w, layer: Dense) -> tuple[str, str]:
    """Names bound to the layer's weight and bias indices into the parameter vector ``_PV``."""
    first = w.layout.first_param
    g = layer.index
    w.bound[f"_IW{g}"] = ("index", [[s - first for s in row] for row in layer.weights])
    w.bound[f"_IB{g}"] = ("index", [s - first for s in layer.bias])
    return f"_IW{g}", f"_IB{g}"


def _inputs(layer: Dense) -> str:
    if layer.source is None:
        return f"_R{layer.index}"
    earlier, kind = layer.source
    return f"_{kind}{earlier.index}"


def forward_lines(w, layer: Dense) -> list[str]:
    """``Z = B + W·R`` (and ``A = act(Z)``), then views of the rows read elsewhere."""
    from engine.replay.symbolic import fill, forward_expr

    g = layer.index
    iw, ib = _index(w, layer)
    lines = [f"# layer {g}: {len(layer.zs)} dot chains over {len(layer.rs)} inputs, as Z = B + W·R"]
    if layer.source is None:
        lines.append(f"_R{g} = _stack(({''.join(w.refs[r] + ', ' for r in layer.rs)}))")
    lines.append(f"_W{g} = _PV[{iw}]")
    lines.append(f"_Z{g} = _PV[{ib}][:, None] + _W{g} @ {_inputs(layer)}")
    lines.append(f"if not _finite(_Z{g}):  # a matrix product raises no floating-point error")
    lines.append("    raise _Careful")
    if layer.act is not None:
        op, arg = layer.act
        expr = forward_expr(op, arg, 1)
        assert expr is not None  # find_dense checked
        lines.append(f"_A{g} = {fill(expr.component(None, 'numpy'), {'x': f'_Z{g}'})}")
    kind = "A" if layer.act is not None else "Z"
    for j, s in enumerate(layer.rows):
        if s in layer.exported:
            lines.append(f"{w.refs[s]} = _{kind}{g}[{j}]")
    return lines


def backward_lines(w, layer: Dense, needs: list[bool], ready: set[int], blocks: set[str]):
    """The chain rule through the layer: rows' gradients (a block), through the activation,
    then ``∂/∂W = Z_bar·Rᵀ`` and ``∂/∂B = Σ Z_bar`` (summed over the batch) into ``_GV``, and
    ``R_bar += Wᵀ·Z_bar``. `blocks` holds the block gradients already assigned."""
    from engine.replay.symbolic import fill, rule_exprs

    g = layer.index
    kind = "A" if layer.act is not None else "Z"
    top = f"_{kind}{g}_bar"
    pieces = [(j, s) for j, s in enumerate(layer.rows) if s in ready]
    if top not in blocks and not pieces:
        return []  # nothing that is differentiated depends on this layer
    lines = [f"# layer {g}: back through A = act(Z), Z = B + W·R"]
    if top not in blocks:
        lines.append(f"{top} = _zeros_like(_{kind}{g})")
    for j, s in pieces:
        lines.append(f"{top}[{j}] += {w.bars[s]}")
    if layer.act is not None:
        op, arg = layer.act
        rule = rule_exprs(op, arg, 1)
        assert rule is not None
        local = fill(rule.component(0, "numpy"), {"x": f"_Z{g}", "out": f"_A{g}"})
        lines.append(f"_Z{g}_bar = _A{g}_bar * ({local})")
    zb = f"_Z{g}_bar"
    if any(needs[s] for row in layer.weights for s in row):
        iw, ib = _index(w, layer)
        lines.append(f"_GV[{iw}] += {zb} @ {_inputs(layer)}.T  # summed over the batch")
        lines.append(f"_GV[{ib}] += {zb}.sum(axis=1)")
    if not any(needs[r] for r in layer.rs):
        return lines
    if layer.source is not None:
        earlier, skind = layer.source
        target = f"_{skind}{earlier.index}_bar"
        add = f"{target} + " if target in blocks else ""
        lines.append(f"{target} = {add}_W{g}.T @ {zb}")
        blocks.add(target)
        return lines
    lines.append(f"_Rb{g} = _W{g}.T @ {zb}")
    for k, r in enumerate(layer.rs):
        if needs[r]:
            bar = w.bars[r]
            lines.append(f"{bar} = {bar} + _Rb{g}[{k}]" if r in ready else f"{bar} = _Rb{g}[{k}]")
            ready.add(r)
    return lines
