"""engine.draw.clusters: one nested cluster (a graphviz subgraph) per nn module."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from engine import Parameter, Value, draw_dot, sequence_mark

GOLDEN = Path(__file__).parent / "golden"


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
    start = sequence_mark()
    w, b = module.params[:-1], module.params[-1]
    out = b
    for wi, xi in zip(w, xs):
        out = out + wi * xi
    out = out.tanh()
    module._span = (start, sequence_mark())
    return out


def two_neuron_model():
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
    model.children["unused"] = FakeModule([Parameter(9.0)])  # never ran: no cluster
    return out, model


def clusters(source: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Cluster label -> labels of the boxes declared directly in it ("top" for none), and
    cluster label -> the label of the cluster it is nested in."""
    contents: dict[str, set[str]] = {"top": set()}
    parents: dict[str, str] = {}
    stack = ["top"]
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("subgraph cluster_"):
            stack.append("?")
        elif text.startswith("graph [") and stack[-1] == "?":
            stack[-1] = re.search(r"label=(\"[^\"]*\"|\S+)", text).group(1).strip('"')
            contents[stack[-1]] = set()
            if len(stack) > 2:
                parents[stack[-1]] = stack[-2]
        elif text == "}":
            stack.pop()
        elif re.match(r"v\d+ \[", text):
            m = re.search(r"<tr><td>([^<]*)</td><td>data", text)
            if m:
                contents[stack[-1]].add(m.group(1))
    return contents, parents


def test_modules_give_one_nested_cluster_per_module():
    out, model = two_neuron_model()
    source = draw_dot(out, modules=model).source
    assert source.count("subgraph cluster_") == 4  # model, layer, n1, n2
    contents, parents = clusters(source)
    assert contents["layer.n1"] >= {"a.w0", "a.b"} and "b.w0" not in contents["layer.n1"]
    assert contents["layer.n2"] >= {"b.w0", "b.b"}
    assert "x" in contents["top"]  # the input was made outside every module
    assert parents == {"layer.n1": "layer", "layer.n2": "layer", "layer": "model"}
    ids = re.findall(r"^\s+([vo]\d+) \[", source, re.M)
    assert len(ids) == len(set(ids)) == 12 + 7  # every box and oval declared exactly once


def test_cluster_names_are_quoted_by_the_package():
    m = FakeModule([Parameter(1.0, label="p")])
    model = FakeModule(children={'evil"]; x [label="pwned': m})
    start = sequence_mark()
    out = neuron_forward(m, [Value(2.0, label="x")])
    model._span = (start, sequence_mark())
    source = draw_dot(out, modules=model).source
    line = next(s for s in source.splitlines() if "evil" in s)
    assert 'label="evil\\"]; x [label=\\"pwned"' in line  # one quoted string
    assert len(re.findall(r"^\s+x \[", source, re.M)) == 0


def test_modules_must_look_like_a_module():
    with pytest.raises(TypeError, match="named_modules"):
        draw_dot(Value(1.0), modules=[1, 2])


def test_real_nn_mlp_clusters():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    if getattr(model, "_span", None) is None:
        pytest.skip("nn modules do not record _span")
    source = draw_dot(out, modules=model).source
    named = [name for name, m in model.named_modules() if getattr(m, "_span", None)]
    assert source.count("subgraph cluster_") == len(named) > 1
    ids = re.findall(r"^\s+([vo]\d+) \[", source, re.M)
    assert len(ids) == len(set(ids))


def test_golden_frame_with_clusters_highlight_and_unknown_grads():
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


def test_clusters_hold_their_nodes_when_topological_order_is_not_creation_order():
    """Spans are creation numbers; the drawing's order is the walk's. p is made (in m1) before
    q (in m2), but ``q * p`` lists q first: each still lands in the module that made it."""
    from engine.core.graph import topological_order
    from engine.draw.clusters import assign_clusters, module_clusters

    m1, m2 = FakeModule(), FakeModule()
    model = FakeModule(children={"m1": m1, "m2": m2})
    x = Value(1.0, label="x")
    start = sequence_mark()
    p = x * 2.0
    m1._span = (start, sequence_mark())
    middle = sequence_mark()
    q = x + 1.0
    m2._span = (middle, sequence_mark())
    out = q * p
    order = topological_order(out)
    assert order.index(q) < order.index(p) and q._seq > p._seq  # the case under test
    clusters, owners = module_clusters(model)
    homes = assign_clusters(order, clusters, owners)
    name = {id(node): home.name if home else None for node, home in zip(order, homes)}
    two, one = p.parents[1], q.parents[1]  # the constants, made inside the spans
    assert name == {
        id(x): None,
        id(one): "m2",
        id(two): "m1",
        id(q): "m2",
        id(p): "m1",
        id(out): None,
    }
    source = draw_dot(out, modules=model).source
    body = source[source.index("label=m1") :].split("}")[0]  # cluster m1's statements
    assert f"v{order.index(p)} " in body and f"v{order.index(q)} " not in body
