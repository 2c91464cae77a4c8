"""The teaching notebook demos/backprop.ipynb runs top to bottom (nbclient, the 'notebook' extra)
and shows the numbers the lecture derives by hand: 0.7071, -1.5, 1, 0.5, 0."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "demos" / "backprop.ipynb"
HAS_RENDERER = bool(shutil.which("dot") or shutil.which("graphviz-pure"))


@pytest.fixture(scope="module")
def executed():
    nbformat = pytest.importorskip("nbformat", reason="the 'notebook' extra (nbformat) is missing")
    nbclient = pytest.importorskip("nbclient", reason="the 'notebook' extra (nbclient) is missing")
    pytest.importorskip("ipykernel", reason="the 'notebook' extra (ipykernel) is missing")
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("no 'python3' Jupyter kernel is installed (python -m ipykernel install)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    old = dict(os.environ)
    os.environ.update(env)  # the kernel imports this checkout's engine and nn
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return {cell.id: cell for cell in nb.cells if cell.cell_type == "code"}


def text(cell) -> str:
    parts = []
    for output in cell.outputs:
        assert output.output_type != "error", (
            f"{cell.id}: {output.get('ename')} {output.get('evalue')}"
        )
        if output.output_type == "stream":
            parts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "".join(parts)


def mimes(cell) -> set[str]:
    return {m for output in cell.outputs for m in output.get("data", {})}


def test_the_notebook_is_valid_and_unexecuted_in_the_repository():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert [c.id for c in nb.cells if c.cell_type == "code"] == [
        "by-hand", "engine", "step", "practice", "check", "derive", "network", "moons",
    ]  # fmt: skip


def test_by_hand_and_the_engine_give_the_lectures_numbers(executed):
    hand = text(executed["by-hand"])
    assert hand == (
        "by hand: o = 0.7071, do/dn = 0.5\n"
        "by hand: do/dx1 = -1.5, do/dw1 = 1, do/dx2 = 0.5, do/dw2 = 0\n"
    )
    engine = text(executed["engine"])
    assert engine.startswith("engine: o = 0.7071\n")
    for name, grad in (("x1", "-1.5"), ("w1", "1"), ("x2", "0.5"), ("w2", "0")):
        assert f"\nengine: {name}.grad = {grad}\n" in engine


def test_stepping_shows_the_player(executed):
    cell = executed["step"]
    assert "[2/10] n = add₁ + b = 0.8814" in text(cell)
    if HAS_RENDERER:
        html = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        assert html and html[0].startswith("<iframe srcdoc=")


def test_practice_check_and_derivation(executed):
    practice = text(executed["practice"])
    assert "\nhint: o = tanh(n), so ∂o/∂n = 1 - tanh(n)² = 1 - tanh(0.8814)²\n" in practice
    assert "\nright: ∂o/∂n = 0.5\n" in practice and "\nright: n.grad = 0.5\n" in practice
    assert "score: 17/18 right first time, 1 after a hint" in practice
    assert text(executed["check"]).splitlines()[:2] == ["right", "off by 200%: is the sign right?"]
    derive = executed["derive"]
    assert "\n        = 0.5 × 1 × 1 × (-3)\n        = -1.5\n" in text(derive)
    assert "backward() found ∂⁺o/∂x1 = -1.5: the two agree" in text(derive)
    assert "text/latex" in mimes(derive)


def test_network_and_moons(executed):
    network = executed["network"]
    assert "[1/3] layer 3, the output layer" in text(network)
    if HAS_RENDERER:
        assert "image/svg+xml" in mimes(network)
    moons = text(executed["moons"])
    accuracy = int(re.search(r"training accuracy: (\d+)%", moons).group(1))
    assert accuracy >= 90


def test_the_notebook_instruction_opens_the_notebook_in_jupyterlab(tmp_path):
    """teaching.md and the notebook's first cell say ``pip install 'chainrule[notebook]'`` then
    ``jupyter lab demos/backprop.ipynb``: run that command (without a browser, on a free port,
    with Jupyter's files in a temporary folder), fetch the notebook's page and its contents,
    then stop the server."""
    import json
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    lab = shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) or shutil.which(
        "jupyter-lab"
    )
    if lab is None:
        pytest.skip("jupyter-lab is not installed (the 'notebook' extra installs JupyterLab)")
    token = "chainrule-test-token"
    env = {**os.environ, "HOME": str(tmp_path)}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    command = [lab, "demos/backprop.ipynb", "--no-browser", "--port=0", "--ip=127.0.0.1"]
    command.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        url, log, deadline = None, [], time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line and server.poll() is not None:
                break
            log.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        assert url is not None, "jupyter lab did not start:\n" + "".join(log)
        fetch = urllib.request.build_opener(urllib.request.ProxyHandler({})).open  # no proxy
        # given a notebook, JupyterLab serves its folder and opens it: /lab/tree/backprop.ipynb
        page = f"{url}/lab/tree/backprop.ipynb?token={token}"
        while True:  # the log line can come a moment before the socket accepts
            try:
                with fetch(page) as r:
                    assert r.status == 200 and "JupyterLab" in r.read().decode()
                break
            except urllib.error.URLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        api = f"{url}/api/contents/backprop.ipynb?token={token}"
        with fetch(api) as r:
            model = json.loads(r.read())
        assert model["type"] == "notebook" and len(model["content"]["cells"]) > 10
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
