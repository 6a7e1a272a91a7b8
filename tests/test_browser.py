"""The course in the browser: micrograd_plus in Pyodide (under Node) and the JupyterLite site (in headless Chromium).

Both checks run offline: the wheel and everything it needs come from files built here, Pyodide from the
`pyodide` npm package (`npm ci`), and Chromium may reach only the local server. They are skipped, saying
why, where Node.js, node_modules or Chromium is missing; `.ci/run` installs all three.
"""

import asyncio
import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from browser_workloads import graph_source, readme_example, training_run

from micrograd_plus.viz import StepThrough, draw_graph, wasm
from micrograd_plus.viz import render as render_module

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE_MODULES = ROOT / "node_modules"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "browser" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = _load_builder()


def needs_node():
    if NODE is None:
        pytest.skip("node is not installed (apt-get install nodejs npm, then `npm ci` here)")
    if not (NODE_MODULES / "pyodide").is_dir():
        pytest.skip("node_modules is missing: run `npm ci` in the repository")


@pytest.fixture(scope="session")
def wheels(tmp_path_factory) -> list[Path]:
    """micrograd_plus's wheel, then the pure wheels it requires in Pyodide (from PyPI), built once per session."""
    needs_node()  # Pyodide's Python version and package list come from the npm package
    folder = tmp_path_factory.mktemp("wheels")
    wheel = build_site.build_wheel(folder)
    return [wheel, *build_site.download_wheels(tuple(build_site.browser_requirements(wheel)), folder)]


# ---- the package --------------------------------------------------------------------------------------------


def test_the_vendored_graphviz_is_the_version_package_lock_pins():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/@viz-js/viz"]["version"]
    vendored = wasm.viz_js()
    assert re.match(r"/\*!\s*Viz\.js (\S+)", vendored).group(1) == pinned
    assert f"@viz-js/viz {pinned} " in (ROOT / "micrograd_plus" / "_vendor" / "viz-js" / "README.md").read_text()
    assert "</script" not in vendored  # page_script() inlines it in a <script> element
    installed = NODE_MODULES / "@viz-js" / "viz" / "dist" / "viz-global.js"
    if installed.exists():  # `python browser/vendor_graphviz.py` copied it unchanged
        assert installed.read_text(encoding="utf-8") == vendored


def test_in_pyodide_the_wheel_requires_only_what_installs_there(wheels):
    # graphviz-pure (a native program) and matplotlib (Pyodide's own, loaded on demand) must not be required,
    # or micropip refuses the whole install / reaches for the network. Every requirement left must be pure.
    required = build_site.browser_requirements(wheels[0])
    assert not any(name in req for req in required for name in ("graphviz-pure", "matplotlib"))
    assert len(wheels) == 1 + len(required) and all(path.name.endswith("-none-any.whl") for path in wheels[1:])


# ---- the WebAssembly drawing, outside the browser -------------------------------------------------------------


@pytest.fixture
def as_in_pyodide(monkeypatch):
    """This machine as Pyodide sees itself: no Graphviz program, drawings left to the page."""
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    monkeypatch.setattr(wasm, "IN_BROWSER", True)
    monkeypatch.setattr(wasm, "_sent_to_page", False)


def test_in_pyodide_a_notebook_drawing_carries_its_dot_text_and_viz_js_once(as_in_pyodide):
    first = draw_graph(readme_graph())._repr_mimebundle_()
    second = draw_graph(readme_graph())._repr_mimebundle_()
    assert set(first) == {"text/html", "text/plain"}
    assert 'class="mgp-graphviz"' in first["text/html"] and "tanh" in first["text/html"]  # the DOT text
    assert "<pre>" in first["text/html"]  # the text tree, shown where scripts do not run
    assert wasm.viz_js() in first["text/html"] and wasm.viz_js() not in second["text/html"]
    assert len(second["text/html"]) < 20_000


def test_in_pyodide_a_drawing_too_big_to_lay_out_stays_text(as_in_pyodide, monkeypatch):
    monkeypatch.setattr(render_module, "MAX_LAYOUT_WORK", 5)
    bundle = draw_graph(readme_graph())._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "too big" in bundle["text/plain"]


def test_elsewhere_nothing_changes():
    assert not wasm.IN_BROWSER
    with pytest.raises(RuntimeError, match="only inside Pyodide"):
        asyncio.run(wasm.render_svg("digraph { a -> b }"))


def readme_graph():
    from micrograd_plus import Value

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    d = (a * b + b**2).tanh()
    d.backward()
    return d


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_in_pyodide_the_step_through_page_and_notebook_outputs_draw_in_headless_chromium(as_in_pyodide, tmp_path):
    needs_node()
    steps = StepThrough(readme_graph())
    page = steps.save_html(tmp_path / "steps.html")
    # A notebook drawing shown before Viz.js arrives is drawn when it does: put the second output first.
    first, second = (draw_graph(readme_graph())._repr_mimebundle_()["text/html"] for _ in range(2))
    outputs = tmp_path / "outputs.html"
    outputs.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body>{second}{first}</body>', encoding="utf-8")
    for path, pictures in ((page, len(steps) + 1), (outputs, 2)):  # every frame and the static first one
        report = run_node("drawn_check.mjs", path.as_uri())
        assert report["elements"] == report["drawn"] == pictures, (path.name, report)
        assert report["failed"] == 0 and report["page_errors"] == []


def run_node(script: str, *args: str, timeout: int = 300) -> dict:
    """Run tests/browser/SCRIPT with Node and return the JSON line it prints last."""
    command = [NODE, str(ROOT / "tests" / "browser" / script), *args]
    env = {**os.environ, "CHROMIUM": CHROMIUM or ""}
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- (1) Pyodide under Node -------------------------------------------------------------------------------------


def test_the_wheel_installs_and_runs_in_pyodide_under_node_offline(wheels, tmp_path):
    needs_node()
    pyodide = build_site.assemble_pyodide(tmp_path / "pyodide", ("micropip",))
    report = run_node("pyodide_check.mjs", str(pyodide), *map(str, wheels))

    assert report["platform"] == "emscripten"
    given = [wheel.name.split("-")[0] for wheel in wheels[1:]]
    assert report["packages"] == sorted(["micrograd-plus", "micropip", *given])  # nothing else came in
    assert report["readme"] == pytest.approx(readme_example(), rel=1e-12)
    training = training_run()
    assert report["training"]["losses"] == pytest.approx(training["losses"], rel=1e-9, abs=1e-12)
    assert report["training"]["parameters"] == pytest.approx(training["parameters"], rel=1e-9, abs=1e-12)
    assert report["graph_source"] == graph_source()
    svg = report["svg"]
    assert "<svg" in svg and "graphviz version 16.1.0" in svg
    assert "render_svg" in report["save_error"]  # Graph.save("x.svg") says how to get the picture there
    nodes = re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]+)</title>', svg)
    assert sorted(nodes) == sorted(set(re.findall(r"^\s*(v\d+(?:_op)?) \[", graph_source(), re.MULTILINE)))


# ---- (2) the site in headless Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site(wheels, tmp_path_factory) -> Path:
    """The JupyterLite site, built once per session (about 5 s)."""
    needs_node()
    return build_site.build_site(tmp_path_factory.mktemp("site") / "site", wheel=wheels[0])


def test_the_site_holds_every_lesson_and_exercise_each_installing_micrograd_plus_first(site):
    files = site / "files"
    lessons = sorted(path.name for path in (ROOT / "notebooks").glob("0*.ipynb"))
    exercises = sorted(path.name for path in (ROOT / "notebooks" / "exercises").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(path.name for path in files.glob("0*.ipynb")) == lessons and lessons
    assert sorted(path.name for path in (files / "exercises").glob("*.ipynb")) == exercises and exercises
    for path in [*files.glob("*.ipynb"), *(files / "exercises").glob("*.ipynb")]:
        first = "".join(json.loads(path.read_text())["cells"][0]["source"])
        assert "%pip install -q micrograd_plus" in first, path.name
    index = json.loads((site / "pypi" / "all.json").read_text())
    assert "micrograd-plus" in index and "graphviz" in index  # installed from the site, not from PyPI
    assert (site / "static" / "pyodide" / "pyodide.asm.wasm").exists()
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]["pyodideUrl"].startswith("./")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_lesson_one_runs_from_the_site_in_headless_chromium_and_draws_its_graph_offline(site, tmp_path):
    handler = functools.partial(QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            report = run_node("lesson_check.mjs", url, "01_value_and_graph.ipynb", timeout=400)
        finally:
            server.shutdown()
    print(f"lesson 1 in Chromium: {report}")  # the timings, for `pytest -s`
    assert report["offsite"] == []  # nothing was asked of any other host
    assert report["errors"] == [] and report["executed"] == report["code_cells"] > 1
    assert report.get("first_graph") is not None and report["graphs"] and min(report["graphs"]) > 2


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (http.server's name)
        pass
