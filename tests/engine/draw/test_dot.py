"""engine.draw: DOT text, colours, options, escaping, renderers, sizes, files."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, draw_dot
from engine.draw import (
    COLOURS,
    GraphTooLargeError,
    RendererNotFoundError,
    RenderError,
    escape_label,
)
from engine.draw import dot as draw
from engine.value import local_derivatives

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"
RENDERERS = ["dot", "graphviz-pure"]


def renderer_or_skip(name: str) -> Path:
    path = draw._which(name)
    if path is None:
        pytest.skip(f"renderer {name!r} is not installed")
    return path


@pytest.fixture
def no_renderer(monkeypatch, tmp_path):
    """Hide both renderers: an empty PATH and no interpreter scripts folder."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(draw, "_script_dirs", lambda: [])
    assert draw.find_renderers() == []


def neuron():
    """The neuron of the micrograd lecture: o = tanh(x1·w1 + x2·w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


def node_lines(source: str) -> dict[str, str]:
    """DOT node id -> its statement, for the value boxes and op ovals."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^  ([vo]\d+) \[.*$", source, re.M)}


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# --------------------------------------------------------------------------------------------
# The DOT text
# --------------------------------------------------------------------------------------------


def test_source_shows_every_label_data_and_grad():
    o, v = neuron()
    source = draw_dot(o).source
    for node in [o, *v.values()]:
        if node.label:
            assert f"<td>{node.label}</td>" in source
        assert f"data {draw._number(node.data)}" in source
        assert f"grad {draw._number(node.grad)}" in source
    assert "grad -1.5000" in source and "grad 1.0000" in source  # x1.grad = w1·(1 - o²)


def test_source_is_deterministic_and_matches_the_golden_file():
    first = draw_dot(neuron()[0], show_local=True).source
    second = draw_dot(neuron()[0], show_local=True).source
    assert first == second
    golden = GOLDEN / "neuron_local.dot"
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        golden.write_text(first, encoding="utf-8")
    assert first == golden.read_text(encoding="utf-8")


def test_counts_and_repr():
    o, _ = neuron()
    g = draw_dot(o)
    # 5 leaves + x1w1, x2w2, sum, n, o; ops: 2 mul, 2 add, tanh; edges: 9 into ops, 5 out
    assert (g.values, g.ops, g.edges) == (10, 5, 14)
    assert "10 values" in repr(g) and str(g) == g.source


def test_edges_are_ordered_and_repeated():
    a = Value(3.0, label="a")
    b = Value(2.0, label="b")
    s = a + a
    d = b / s  # order matters: b is x, s is y
    source = draw_dot(d).source
    # leaves first, as the walk from d meets them (b, then a), then a + a and d
    assert source.count("  v1 -> o2;") == 2  # a + a: two edges from a
    into_div = re.findall(r"^  (v\d+) -> o3", source, re.M)
    assert into_div == ["v0", "v2"]  # b first, then a + a
    assert "ordering=in" in node_lines(source)["o3"]


def test_colours_tell_parameters_inputs_constants_and_output_apart():
    x = Value(1.0, label="x")
    w = Parameter(2.0, label="w")
    extra = Value(4.0, label="u")  # a parameter only because params= says so
    out = (x * w + 3.0) * extra
    lines = node_lines(draw_dot(out, params=[extra]).source)
    fill = {
        i: re.search(r'bgcolor="(#[0-9a-f]+)"', line).group(1)
        for i, line in lines.items()
        if i.startswith("v")
    }
    # leaves as the walk from out meets them (x, w, the constant 3, u), then x·w, x·w + 3, out
    assert fill == {
        "v0": COLOURS["input"],
        "v1": COLOURS["parameter"],
        "v2": COLOURS["constant"],
        "v3": COLOURS["parameter"],
        "v4": COLOURS["intermediate"],
        "v5": COLOURS["intermediate"],
        "v6": COLOURS["output"],
    }
    assert COLOURS["input"] in node_lines(draw_dot(out).source)["v3"]  # u without params=
    assert len(set(COLOURS[k] for k in ("parameter", "input", "constant", "output"))) == 4


def test_legend_lists_the_kinds_present():
    x = Value(1.0, label="x")
    source = draw_dot(x * 2.0).source
    legend = next(line for line in source.splitlines() if line.startswith("  legend"))
    assert "input" in legend and "constant" in legend and "output" in legend
    assert "parameter" not in legend
    assert "legend" not in draw_dot(x * 2.0, legend=False).source


def test_show_grad_false_hides_grads_and_says_why():
    o, _ = neuron()
    for legend in (True, False):
        source = draw_dot(o, show_grad=False, legend=legend).source
        assert "<td>grad" not in source and "grad ?" not in source
        assert "before backward() every grad is 0" in source


def test_grad_known_shows_question_marks_for_the_rest():
    o, v = neuron()
    source = draw_dot(o, grad_known=[o, v["n"]]).source
    lines = node_lines(source)
    shown = [line for line in lines.values() if "grad 1.0000" in line or "grad 0.5000" in line]
    assert len(shown) == 2
    assert sum("grad ?" in line for line in lines.values()) == 8
    assert "grad ?: not computed yet" in source


def test_highlight_marks_the_node_and_its_incoming_edges():
    o, v = neuron()
    n = v["n"]
    source = draw_dot(o, highlight=n).source
    lines = node_lines(source)
    red = COLOURS["active"]
    marked = [i for i, line in lines.items() if red in line]
    assert sorted(marked) == ["o8", "v8"]  # n's box and its op oval
    incoming = [line for line in source.splitlines() if "-> o8" in line]
    assert len(incoming) == 2 and all(red in line for line in incoming)
    assert red in next(line for line in source.splitlines() if "o8 -> v8" in line)
    others = [line for line in source.splitlines() if "->" in line and "o8" not in line]
    assert others and not any(red in line for line in others)


def test_highlight_accepts_several_values_and_rejects_non_values():
    o, v = neuron()
    source = draw_dot(o, highlight=[o, v["n"]]).source
    assert sum(COLOURS["active"] in line for line in node_lines(source).values()) == 4
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(o, highlight=[1.5])
    with pytest.raises(TypeError, match="grad_known"):
        draw_dot(o, grad_known="o")


def test_show_local_labels_edges_with_local_derivatives():
    o, v = neuron()
    source = draw_dot(o, show_local=True).source
    n = v["n"]
    (d_tanh,) = local_derivatives(o)
    assert d_tanh == pytest.approx(1 - o.data**2)
    assert f"v8 -> o9 [label=<{draw._number(d_tanh)}>];" in source
    mul = n.parents[0].parents[0]  # x1·w1: ∂/∂x1 = w1 = -3, ∂/∂w1 = x1 = 2
    assert mul.op == "mul"
    # x1 is v0, w1 is v1, x1·w1 is v5
    assert "v0 -> o5 [label=<-3.0000>];" in source and "v1 -> o5 [label=<2.0000>];" in source
    assert "local derivative" in source


def test_show_local_where_the_derivative_is_undefined():
    x = Value(0.0, label="x")
    source = draw_dot(x.sqrt(), show_local=True).source
    assert "label=<undefined>" in source


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda x: x**2, "^2"),
        (lambda x: x**-0.5, "^-0.5"),
        (lambda x: x.leaky_relu(0.01), "leaky_relu α=0.01"),
        (lambda x: x.elu(), "elu α=1"),
        (lambda x: x.swish(2.0), "swish β=2"),
        (lambda x: x * 2.0, "×"),
        (lambda x: x.sigmoid(), "σ"),
    ],
)
def test_op_nodes_show_the_symbol_and_argument(make, text):
    out = make(Value(1.5, label="x"))
    assert f"label=<{text}>" in draw_dot(out).source


def test_rankdir_and_argument_checks():
    x = Value(1.0, label="x")
    assert "rankdir=TB" in draw_dot(x.tanh(), rankdir="TB").source
    assert "rankdir=LR" in draw_dot(x.tanh()).source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(x, rankdir="sideways")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_dot(1.0)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(x, max_nodes=0)


def test_a_single_leaf_is_drawn_as_the_output():
    g = draw_dot(Parameter(1.0, label="p"))
    assert (g.values, g.ops, g.edges) == (1, 0, 0)
    assert COLOURS["output"] in node_lines(g.source)["v0"]


def test_a_deep_chain_draws_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(30_000):
        y = y * 1.0
    g = draw_dot(y)
    assert g.values == 60_001 and g.ops == 30_000


# --------------------------------------------------------------------------------------------
# Module clusters (duck-typed, as nn provides them)
# --------------------------------------------------------------------------------------------


class FakeModule:
    """What draw_dot needs of an nn Module: named_modules(), _span, parameters()."""

    def __init__(self, params=(), children=()):
        self.params, self.children, self._span = list(params), dict(children), None

    def parameters(self):
        found = list(self.params)
        for child in self.children.values():
            found += child.parameters()
        return found

    def named_modules(self):
        stack = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            for key, child in reversed(list(module.children.items())):
                stack.append((f"{name}.{key}" if name else key, child))


def neuron_forward(module, xs):
    from engine import sequence_mark

    start = sequence_mark()
    w, b = module.params[:-1], module.params[-1]
    out = b
    for wi, xi in zip(w, xs):
        out = out + wi * xi
    out = out.tanh()
    module._span = (start, sequence_mark())
    return out


def test_modules_give_one_nested_cluster_per_module():
    from engine import sequence_mark

    n1 = FakeModule([Parameter(0.5, label="a.w0"), Parameter(0.1, label="a.b")])
    n2 = FakeModule([Parameter(-0.5, label="b.w0"), Parameter(0.2, label="b.b")])
    layer = FakeModule(children={"n1": n1, "n2": n2})
    model = FakeModule(children={"layer": layer})
    x = Value(1.0, label="x")
    start = sequence_mark()
    layer_start = sequence_mark()
    h1, h2 = neuron_forward(n1, [x]), neuron_forward(n2, [x])
    layer._span = (layer_start, sequence_mark())
    out = h1 + h2
    model._span = (start, sequence_mark())
    unrelated = FakeModule([Parameter(9.0)])  # never ran: no cluster
    model.children["unused"] = unrelated

    source = draw_dot(out, modules=model).source
    assert source.count("subgraph cluster_") == 4  # model, layer, n1, n2
    blocks = _cluster_contents(source)
    assert blocks["layer.n1"] >= {"a.w0", "a.b"} and "b.w0" not in blocks["layer.n1"]
    assert blocks["layer.n2"] >= {"b.w0", "b.b"}
    assert "x" in blocks["top"]  # the input was made outside every module
    # nesting: n1 and n2 inside layer inside the model
    assert _nesting(source) == {"layer.n1": "layer", "layer.n2": "layer", "layer": "model"}
    # every box and oval is declared exactly once
    ids = re.findall(r"^  ([vo]\d+) \[", source, re.M)
    assert len(ids) == len(set(ids)) == 12 + 7  # x, 4 parameters, 2 × (mul, add, tanh), add


def _cluster_contents(source: str) -> dict[str, set[str]]:
    """Cluster label -> the labels of the boxes declared directly in it ("top" for none)."""
    contents: dict[str, set[str]] = {"top": set()}
    stack = ["top"]
    for line in source.splitlines():
        if line.startswith("  subgraph cluster_"):
            stack.append(None)
        elif line.startswith("  label=<") and stack[-1] is None:
            stack[-1] = re.match(r"  label=<([^>]*)>", line).group(1)
            contents[stack[-1]] = set()
        elif line == "  }":
            stack.pop()
        elif re.match(r"  v\d+ \[", line):
            m = re.search(r"<tr><td>([^<]*)</td><td>data", line)
            if m:
                contents[stack[-1]].add(m.group(1))
    return contents


def _nesting(source: str) -> dict[str, str]:
    parents, stack = {}, []
    for line in source.splitlines():
        if line.startswith("  subgraph cluster_"):
            stack.append(None)
        elif line.startswith("  label=<") and stack and stack[-1] is None:
            stack[-1] = re.match(r"  label=<([^>]*)>", line).group(1)
            if len(stack) > 1:
                parents[stack[-1]] = stack[-2]
        elif line == "  }":
            stack.pop()
    return parents


def test_modules_must_look_like_a_module():
    with pytest.raises(TypeError, match="named_modules"):
        draw_dot(Value(1.0), modules=[1, 2])


def test_real_nn_mlp_clusters():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "MLP"):
        pytest.skip("nn.MLP not available yet")
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    if getattr(model, "_span", None) is None:
        pytest.skip("nn modules do not record _span yet")
    source = draw_dot(out, modules=model).source
    named = [name for name, m in model.named_modules() if getattr(m, "_span", None)]
    assert source.count("subgraph cluster_") == len(named) > 1
    ids = re.findall(r"^  ([vo]\d+) \[", source, re.M)
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------------------------

HOSTILE = [
    'say "hi"',
    "<b>bold</b>",
    "{a|b}",
    'x]; evil [label="pwned"',
    "back\\slash \\N \\G",
    "two\nlines",
    "semi;colon",
    "&amp; &#60;",
    "tab\there",
    "bell\x07",
    "}\n}\ndigraph x {",
    "<<table>>",
    "'single'",
    "ünï∂ode ×",
    "\\",
    "a" * 200,
]


def _unescape(text: str) -> str:
    text = text.replace('<br align="left"/>', "\n").replace("\\\\", "\\")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


@given(st.text(max_size=60))
def test_escape_label_is_inert_and_reversible(text):
    escaped = escape_label(text)
    plain = escaped.replace('<br align="left"/>', "")
    assert "<" not in plain and ">" not in plain and '"' not in plain
    assert re.fullmatch(r"(?:[^\\]|\\\\)*", plain)  # every backslash is doubled
    assert not any(ord(c) < 32 for c in escaped)
    plain_text = all(c == "\n" or (ord(c) >= 32 and c not in "\x7f\ufffe\uffff") for c in text)
    if len(text) <= draw.MAX_LABEL_CHARS and plain_text:
        assert _unescape(escaped) == text


def test_escape_label_cuts_long_labels():
    escaped = escape_label("x" * 500)
    assert len(escaped) == draw.MAX_LABEL_CHARS and escaped.endswith("…")


def test_hostile_labels_stay_inside_their_label():
    nodes = [Value(float(i), label=label) for i, label in enumerate(HOSTILE)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    source = draw_dot(out).source
    assert "pwned" not in re.sub(r"<table.*?</table>", "", source)  # only ever inside a label
    assert len(re.findall(r"^digraph", source, re.M)) == 1 and source.endswith("\n}\n")
    statements = re.findall(r"^  ([vo]\d+) \[", source, re.M)
    assert len(statements) == len(HOSTILE) * 3 - 2  # leaves, sums, and their + ovals


@pytest.mark.parametrize("renderer", RENDERERS)
def test_hostile_labels_render_as_text(renderer):
    path = renderer_or_skip(renderer)
    labels = [label for label in HOSTILE if len(label) < 60]
    nodes = [Value(float(i), label=label) for i, label in enumerate(labels)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    g = draw_dot(out)
    svg = g.pipe("svg", renderer=path)
    root = ET.fromstring(svg)  # still well-formed XML
    groups = [e for e in root.iter(f"{SVG}g") if e.get("class") == "node"]
    assert len(groups) == g.values + g.ops + 1  # + the legend: no injected nodes
    texts = svg_texts(svg)
    joined = "\n".join(texts)
    for label in labels:
        for part in label.replace("\t", " ").split("\n"):
            part = part.replace("\x07", "\\x07")
            assert part in joined, (label, part)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS)
def test_svg_has_every_label_data_and_grad(renderer):
    path = renderer_or_skip(renderer)
    o, v = neuron()
    svg = draw_dot(o, show_local=True).pipe(format="svg", renderer=path)
    texts = svg_texts(svg)
    for node in [o, *v.values()]:
        if node.label:
            assert node.label in texts
        assert f"data {draw._number(node.data)}" in texts
        assert f"grad {draw._number(node.grad)}" in texts
    assert "tanh" in texts and "×" in texts
    assert any(
        "Courier" in (e.get("font-family") or "") for e in ET.fromstring(svg).iter(f"{SVG}text")
    )


@pytest.mark.parametrize("renderer", RENDERERS)
def test_clusters_render(renderer):
    path = renderer_or_skip(renderer)
    from engine import sequence_mark

    n1 = FakeModule([Parameter(0.5, label="w"), Parameter(0.1, label="b")])
    model = FakeModule(children={"n1": n1})
    start = sequence_mark()
    out = neuron_forward(n1, [Value(1.0, label="x")])
    model._span = (start, sequence_mark())
    svg = draw_dot(out, modules=model, highlight=out).pipe(renderer=path)
    root = ET.fromstring(svg)
    clusters = [e for e in root.iter(f"{SVG}g") if e.get("class") == "cluster"]
    assert len(clusters) == 2


def test_default_renderer_is_found_and_used():
    if not draw.find_renderers():
        pytest.skip("no renderer installed")
    o, _ = neuron()
    svg = draw_dot(o).pipe()
    assert ET.fromstring(svg).tag == f"{SVG}svg"
    bundle = draw_dot(o)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_graphviz_pure_is_found_in_the_scripts_folder_without_path(monkeypatch, tmp_path):
    scripts = Path(sys.executable).parent
    if not (scripts / "graphviz-pure").exists():
        pytest.skip("graphviz-pure is not in this interpreter's scripts folder")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # like a notebook kernel whose venv is not on PATH
    found = draw.find_renderers()
    assert found and found[-1].name == "graphviz-pure"
    svg = draw_dot(neuron()[0]).pipe()
    assert b"graphviz-pure" in svg or b"<svg" in svg


def test_no_renderer_raises_a_helpful_error(no_renderer, tmp_path):
    o, _ = neuron()
    g = draw_dot(o)
    with pytest.raises(RendererNotFoundError) as info:
        g.pipe()
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "pip install graphviz-pure" in message and "apt-get install graphviz" in message
    assert ".source" in message and "\n" not in message
    with pytest.raises(RendererNotFoundError):
        draw.find_renderer()
    with pytest.raises(RendererNotFoundError):
        g.save(tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == [tmp_path / "empty-bin"]  # nothing written
    assert g.save(tmp_path / "g.dot").read_text(encoding="utf-8") == g.source
    bundle = g._repr_mimebundle_()
    assert bundle == {"text/plain": message}


def _fake_renderer(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_a_failing_renderer_falls_back_to_the_next(monkeypatch, tmp_path):
    real = draw._which("graphviz-pure")
    if real is None:
        pytest.skip("graphviz-pure is not installed")
    broken = _fake_renderer(
        tmp_path, "dot", "sys.stderr.write('Format: svg not recognized\\n'); sys.exit(1)"
    )
    monkeypatch.setattr(draw, "find_renderers", lambda: [broken, real])
    svg = draw_dot(neuron()[0]).pipe()
    assert ET.fromstring(svg).tag == f"{SVG}svg"
    with pytest.raises(RenderError, match="svg not recognized"):
        draw_dot(neuron()[0]).pipe(renderer=broken)


def test_a_hanging_renderer_is_stopped(tmp_path):
    slow = _fake_renderer(tmp_path, "slowdot", "time.sleep(30)")
    g = draw_dot(Value(1.0, label="x"))
    with pytest.raises(RenderError, match="did not finish"):
        g.pipe(renderer=slow, timeout=0.5)


def test_bad_format_and_missing_explicit_renderer(tmp_path):
    g = draw_dot(Value(1.0, label="x"))
    with pytest.raises(ValueError, match="format"):
        g.pipe(format="svg -o /tmp/x")
    with pytest.raises(RendererNotFoundError, match="does not exist"):
        g.pipe(renderer=tmp_path / "nope" / "dot")


# --------------------------------------------------------------------------------------------
# Size limit
# --------------------------------------------------------------------------------------------


def test_too_big_graphs_are_refused_before_layout(monkeypatch, tmp_path):
    o, _ = neuron()
    g = draw_dot(o, max_nodes=5)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the renderer must not be started")

    monkeypatch.setattr(draw, "_run_renderer", must_not_run)
    with pytest.raises(GraphTooLargeError) as info:
        g.pipe()
    message = str(info.value)
    assert "10 values" in message and "max_nodes=5" in message and ".dot" in message
    with pytest.raises(GraphTooLargeError):
        g.save(tmp_path / "big.svg")
    assert not (tmp_path / "big.svg").exists()
    assert g.save(tmp_path / "big.dot").read_text(encoding="utf-8") == g.source
    assert g._repr_mimebundle_() == {"text/plain": message}


def test_default_limit_lets_a_small_model_through():
    assert draw_dot(neuron()[0]).max_nodes == draw.DEFAULT_MAX_NODES >= 1000


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def test_save_dot_is_atomic_and_leaves_no_temporary_files(tmp_path):
    o, _ = neuron()
    target = tmp_path / "out" / "graph.dot"  # the folder is created
    path = draw_dot(o).save(target)
    assert path == target and target.read_text(encoding="utf-8") == draw_dot(o).source
    assert sorted(p.name for p in target.parent.iterdir()) == ["graph.dot"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_save_svg_with_a_renderer(tmp_path):
    if not draw.find_renderers():
        pytest.skip("no renderer installed")
    path = draw_dot(neuron()[0]).save(str(tmp_path / "graph.SVG"))
    assert ET.parse(path).getroot().tag == f"{SVG}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.SVG"]


def test_save_refuses_unknown_suffixes(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        draw_dot(Value(1.0)).save(tmp_path / "graph.txt")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_keeps_the_old_file(no_renderer, tmp_path):
    target = tmp_path / "graph.svg"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RendererNotFoundError):
        draw_dot(Value(1.0)).save(target)
    assert target.read_text(encoding="utf-8") == "old"


def test_write_atomic_cleans_up_on_error(tmp_path, monkeypatch):
    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        draw.write_atomic(tmp_path / "x.dot", b"data")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Import cost
# --------------------------------------------------------------------------------------------


def test_importing_engine_and_drawing_does_not_import_graphviz():
    code = (
        "import sys, engine; from engine import draw_dot, Value; "
        "draw_dot(Value(1.0) * 2).source; "
        "print(sorted(m for m in ('graphviz', 'numpy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=6))
def test_any_numbers_give_well_formed_source(numbers):
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(numbers)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node if math.isfinite(out.data) or True else out
    source = draw_dot(out, show_local=True).source
    assert source.count("{") == source.count("}")
    assert len(re.findall(r"^  v\d+ \[", source, re.M)) == draw_dot(out).values


def test_golden_frame_with_clusters_highlight_and_unknown_grads():
    from engine import sequence_mark

    n1 = FakeModule([Parameter(0.5, label="w"), Parameter(0.1, label="b")])
    model = FakeModule(children={"n1": n1})
    start = sequence_mark()
    x = Value(1.0, label="x")
    h = neuron_forward(n1, [x])
    out = h * h
    model._span = (start, sequence_mark())
    out.backward()
    source = draw_dot(out, rankdir="TB", modules=model, highlight=h, grad_known=[out, h]).source
    golden = GOLDEN / "frame_clusters.dot"
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8")
