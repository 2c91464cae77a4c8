"""engine.draw.render and the Digraph's own methods: pictures in every advertised format, files,
timeouts, failing renderers, notebook display."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from engine import Parameter, Value, draw_dot, sequence_mark
from engine.draw import (
    PICTURE_FORMATS,
    DrawError,
    Drawing,
    FormatNotSupportedError,
    RendererFailedError,
    RendererNotFoundError,
    RenderError,
    find_renderers,
    format_number,
    render_bytes,
    renderer_formats,
    renderers,
    save,
)

SVG = "{http://www.w3.org/2000/svg}"
MAGIC = {
    "svg": b"<?xml",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "pdf": b"%PDF",
    "gif": b"GIF8",
    "ps": b"%!PS",
    "eps": b"%!PS",
    "svgz": b"\x1f\x8b",
}


def svg_texts(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def renderer_params():
    return [pytest.param(name, id=name) for name in ("graphviz-pure", "dot")]


def installed(name: str) -> Path:
    path = renderers._which(name)
    if path is None:
        pytest.skip(f"the renderer {name!r} is not installed")
    return path


# --------------------------------------------------------------------------------------------
# Every advertised format renders
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", renderer_params())
def test_every_format_the_renderer_offers_renders(name, neuron, tmp_path):
    path = installed(name)
    offered = [f for f in PICTURE_FORMATS if f in renderer_formats(path)]
    assert {"svg", "png", "jpg"} <= set(offered)
    g = draw_dot(neuron[0], renderer=path)
    for fmt in offered:
        target = save(g, tmp_path / f"neuron.{fmt}")
        data = target.read_bytes()
        if fmt == "webp":
            assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        else:
            assert data.startswith(MAGIC[fmt]), fmt
    assert sorted(p.suffix for p in tmp_path.iterdir()) == sorted(f".{f}" for f in offered)


def test_auto_takes_each_format_from_a_renderer_that_writes_it(any_renderer, neuron, tmp_path):
    g = draw_dot(neuron[0])
    writable = set().union(*(renderer_formats(p) for p in find_renderers()))
    for fmt in PICTURE_FORMATS:
        if fmt in writable:
            assert save(g, tmp_path / f"g.{fmt}").stat().st_size > 0
        else:
            with pytest.raises(FormatNotSupportedError, match=f"writes {fmt}|write {fmt}"):
                save(g, tmp_path / f"g.{fmt}")


@pytest.mark.parametrize("name", renderer_params())
def test_svg_has_every_label_data_and_grad(name, neuron):
    path = installed(name)
    o, v = neuron
    svg = draw_dot(o, show_local=True, renderer=path).pipe(format="svg")
    texts = svg_texts(svg)
    for node in [o, *v.values()]:
        assert node.label in texts
        assert f"data {format_number(node.data)}" in texts
        assert f"grad {format_number(node.grad)}" in texts
    assert "tanh" in texts and "×" in texts and "-3" in texts
    fonts = [e.get("font-family") or "" for e in ET.fromstring(svg).iter(f"{SVG}text")]
    assert any("Courier" in f for f in fonts)


@pytest.mark.parametrize("name", renderer_params())
def test_hostile_labels_render_as_text(name):
    path = installed(name)
    labels = ['say "hi"', "<b>b</b>", 'x]; evil [label="pwned"', "back\\slash \\N", "two\nlines"]
    labels += ["&amp;", "bell\x07", "}\n}\ndigraph x {", "ünï∂ode ×", "\\"]
    nodes = [Value(float(i), label=label) for i, label in enumerate(labels)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    g = draw_dot(out, renderer=path)
    svg = g.pipe(format="svg")
    groups = [e for e in ET.fromstring(svg).iter(f"{SVG}g") if e.get("class") == "node"]
    assert len(groups) == g.values + g.ops + 1  # + the legend: no injected nodes
    joined = "\n".join(svg_texts(svg))
    for label in labels:
        for part in label.split("\n"):
            assert part.replace("\x07", "\\x07") in joined, (label, part)


@pytest.mark.parametrize("name", renderer_params())
def test_clusters_render(name):
    path = installed(name)

    class Module:
        def __init__(self, params=(), children=()):
            self.params, self.children, self._span = list(params), dict(children), None

        def parameters(self):
            return self.params + [p for c in self.children.values() for p in c.parameters()]

        def named_modules(self):
            yield "", self
            yield from self.children.items()

    w, b = Parameter(0.5, label="w"), Parameter(0.1, label="b")
    n1 = Module([w, b])
    model = Module(children={"n1": n1})
    start = sequence_mark()
    out = (w * Value(1.0, label="x") + b).tanh()
    n1._span = model._span = (start, sequence_mark())
    svg = draw_dot(out, modules=model, highlight=out, renderer=path).pipe()
    clusters = [e for e in ET.fromstring(svg).iter(f"{SVG}g") if e.get("class") == "cluster"]
    assert len(clusters) == 2


# --------------------------------------------------------------------------------------------
# The package's own render and view
# --------------------------------------------------------------------------------------------


def test_render_outfile_picks_the_format_from_the_suffix(any_renderer, neuron, tmp_path):
    g = draw_dot(neuron[0])
    rendered = g.render(outfile=tmp_path / "neuron.png", cleanup=True)
    assert Path(rendered).read_bytes().startswith(MAGIC["png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.png"]
    g.render(tmp_path / "plain")  # the Digraph's format: svg
    assert (tmp_path / "plain.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "plain").read_text(encoding="utf-8") == g.source  # the package's source


def test_view_renders_then_opens_a_viewer(any_renderer, neuron, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(Drawing, "_view", lambda self, path, **kw: opened.append(path))
    result = draw_dot(neuron[0]).view(filename=tmp_path / "n.gv", cleanup=True)
    assert opened == [result] and Path(result).read_bytes().startswith(b"<?xml")


def test_package_save_writes_the_dot_text(neuron, tmp_path):
    g = draw_dot(neuron[0])
    written = g.save(tmp_path / "n.gv")  # graphviz's save: the source, no renderer
    assert Path(written).read_text(encoding="utf-8") == g.source


# --------------------------------------------------------------------------------------------
# Failing and hanging renderers
# --------------------------------------------------------------------------------------------


def test_a_failing_renderer_raises_the_packages_error_and_ours(fake_renderer, neuron):
    broken = fake_renderer("broken", "sys.stderr.write('layout crashed\\n'); sys.exit(3)")
    g = draw_dot(neuron[0], renderer=broken)
    with pytest.raises(RendererFailedError) as info:
        g.pipe(format="svg")
    assert isinstance(info.value, graphviz.CalledProcessError)
    assert isinstance(info.value, DrawError) and info.value.returncode == 3
    assert str(info.value) == "broken failed (exit status 3): layout crashed"
    with pytest.raises(RenderError, match="broken -Tsvg failed .exit status 3.: layout crashed"):
        render_bytes(g)


def test_auto_falls_back_to_the_next_renderer(fake_renderer, neuron, monkeypatch, any_renderer):
    broken = fake_renderer("dot", "sys.stderr.write('svg not recognized\\n'); sys.exit(1)")
    monkeypatch.setattr(renderers, "find_renderers", lambda: [broken, any_renderer])
    svg = render_bytes(draw_dot(neuron[0]))
    assert ET.fromstring(svg).tag == f"{SVG}svg"


def test_a_hanging_renderer_is_stopped(fake_renderer, tmp_path):
    slow = fake_renderer("slowdot", "time.sleep(30)")
    g = draw_dot(Value(1.0, label="x"), renderer=slow, timeout=0.5)
    with pytest.raises(RenderError, match="did not finish .* within 0.5 s"):
        render_bytes(g)
    with pytest.raises(RenderError, match="did not finish"):
        save(g, tmp_path / "x.svg")
    assert not (tmp_path / "x.svg").exists()
    bundle = g._repr_mimebundle_()  # a notebook shows the reason instead of hanging
    assert list(bundle) == ["text/plain"] and "did not finish" in bundle["text/plain"]
    with pytest.raises(ValueError, match="timeout"):
        render_bytes(g, timeout=-1)


# --------------------------------------------------------------------------------------------
# Notebook display
# --------------------------------------------------------------------------------------------


def test_display_honours_include_and_exclude(any_renderer, neuron):
    g = draw_dot(neuron[0])
    default = g._repr_mimebundle_()
    assert list(default) == ["image/svg+xml"]  # IPython adds text/plain from repr
    assert default["image/svg+xml"].lstrip().startswith("<?xml")
    assert g._repr_mimebundle_(exclude=["image/svg+xml"]) == {}
    text = g._repr_mimebundle_(include=["text/plain", "image/svg+xml"], exclude=["image/svg+xml"])
    assert text == {"text/plain": repr(g)}
    png = g._repr_mimebundle_(include=["image/png"])
    assert list(png) == ["image/png"] and png["image/png"].startswith(MAGIC["png"])
    assert g._repr_mimebundle_(include=[]) == {}
    both = g._repr_mimebundle_(include=["image/svg+xml", "image/jpeg"], exclude=["image/svg+xml"])
    assert list(both) == ["image/jpeg"] and both["image/jpeg"].startswith(MAGIC["jpg"])


def test_display_without_a_renderer_is_a_note(no_renderer, neuron):
    g = draw_dot(neuron[0])
    note = g._repr_mimebundle_()
    assert list(note) == ["text/plain"] and "pip install graphviz-pure" in note["text/plain"]
    assert g._repr_mimebundle_(exclude=["text/plain", "image/svg+xml"]) == {}


# --------------------------------------------------------------------------------------------
# save: by the suffix, atomically
# --------------------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_save_dot_is_atomic_and_leaves_no_temporary_files(neuron, tmp_path):
    g = draw_dot(neuron[0])
    target = tmp_path / "out" / "graph.dot"  # the folder is created
    assert save(g, target) == target and target.read_text(encoding="utf-8") == g.source
    assert save(g, str(tmp_path / "g.gv")).read_text(encoding="utf-8") == g.source
    assert sorted(p.name for p in target.parent.iterdir()) == ["graph.dot"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_save_svg_with_an_upper_case_suffix(any_renderer, neuron, tmp_path):
    path = save(draw_dot(neuron[0]), tmp_path / "graph.SVG")
    assert ET.parse(path).getroot().tag == f"{SVG}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.SVG"]


def test_save_works_for_any_graphviz_object(any_renderer, tmp_path):
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    assert save(plain, tmp_path / "plain.svg").read_bytes().startswith(b"<?xml")
    source = graphviz.Source("digraph { x }")
    assert save(source, tmp_path / "s.dot").read_text(encoding="utf-8") == source.source


def test_save_refuses_unknown_suffixes_and_folders(neuron, tmp_path):
    g = draw_dot(neuron[0])
    for name in ("graph.txt", "graph", "graph.xdot"):
        with pytest.raises(FormatNotSupportedError, match="suffix"):
            save(g, tmp_path / name)
    (tmp_path / "dir.svg").mkdir()
    with pytest.raises(IsADirectoryError, match="folder"):
        save(g, tmp_path / "dir.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["dir.svg"]


def test_a_failed_save_keeps_the_old_file(no_renderer, tmp_path):
    target = tmp_path / "graph.svg"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RendererNotFoundError):
        save(draw_dot(Value(1.0)), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_render_bytes_checks_its_format(neuron):
    with pytest.raises(FormatNotSupportedError, match="format"):
        render_bytes(draw_dot(neuron[0]), "svg -o /tmp/x")
