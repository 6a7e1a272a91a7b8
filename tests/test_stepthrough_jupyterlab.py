"""The step-through where learners meet it: a JupyterLab server, driven by headless Chromium.

A downloaded notebook is untrusted: JupyterLab runs none of its scripts and sanitises its HTML (the `hidden`
attribute and <style> go). It must still show the first frame as a picture that fits, the note saying how to get
the buttons back, and no buttons that do nothing. A trusted notebook (run by the learner, or signed with
`jupyter trust`) runs the step-through's script: its buttons step.
Needs Node.js, `npm ci` (playwright-core) and Chromium, as tests/test_browser.py does; skipped, saying why, without.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# The lecture's neuron, its names taken from the code: the step-through's third step is x1w1 + x2w2.
CELL = """\
from micrograd_plus import StepThrough, Value
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x2w2 = x2 * w2
s = x1w1 + x2w2
n = s + b
o = n.tanh()
StepThrough(o)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on localhost serving tmp_path/notebooks, with its own settings, stopped afterwards."""
    if NODE is None or CHROMIUM is None:
        pytest.skip("Node.js or Chromium is not installed (apt-get install nodejs chromium)")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.skip("node_modules is missing: run `npm ci` in the repository")
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (pip install -e '.[notebooks]')")
    folder = tmp_path / "notebooks"
    folder.mkdir()
    port = free_port()
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp_path / name.lower())  # a fresh notebook secret: nothing saved elsewhere is trusted
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        f"--ServerApp.root_dir={folder}",
    ]
    command += ["--ServerApp.token=", "--ServerApp.password=", "--LabApp.expose_app_in_browser=True", "--allow-root"]
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if server.poll() is not None:
                pytest.fail(f"JupyterLab stopped: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 2 minutes")
        yield url, folder, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_in_jupyterlab_an_untrusted_step_through_is_a_still_picture_and_a_trusted_one_steps(lab, tmp_path):
    url, folder, env = lab
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, kernel_name="python3", timeout=120).execute()  # run elsewhere, as a download is
    nbformat.write(notebook, folder / "trusted.ipynb")
    notebook.metadata["title"] = "a download"  # other bytes: trust is by content, so a copy would share it
    nbformat.write(notebook, folder / "saved.ipynb")
    # Trusted as the learner's own runs are: signed with this server's secret (what `jupyter trust` does), so
    # JupyterLab runs the output's script when it opens it; no kernel has to start in the browser.
    trust = [sys.executable, "-m", "jupyter", "trust", str(folder / "trusted.ipynb")]
    subprocess.run(trust, env=env, check=True, capture_output=True, timeout=120)

    command = [NODE, str(ROOT / "tests" / "browser" / "jupyterlab_check.mjs"), url, "saved.ipynb", "trusted.ipynb"]
    done = subprocess.run([*command, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    untrusted = report["untrusted"]
    assert not untrusted["controls_shown"]  # no Prev/Next that would do nothing
    assert untrusted["text"].startswith("Start: o.grad = 1.0")
    assert "the buttons for all 5 steps are off because this notebook is not trusted" in untrusted["text"]
    assert untrusted["picture_natural_width"] > 0  # the SVG decoded: a picture, not its text
    assert untrusted["picture_width"] <= untrusted["output_width"]  # scaled to fit, not cut off

    trusted = report["trusted"]
    assert trusted["counter"] == "Step 3 of 5"
    assert not trusted["static_shown"] and trusted["frames_shown"] == 1
    assert trusted["text"].startswith("Step 3 of 5: s = x1w1 + x2w2 passes its grad (0.5) back to x1w1 and x2w2")
    assert "x1w1.grad += s.grad × ∂s/∂x1w1 = 0.5 × 1.0 = 0.5" in trusted["text"]
