"""The renderer fixture the drawing tests share: each test runs with the system's dot, then with only graphviz-pure."""

import shutil

import pytest

from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.render import find_renderer


def hide_programs(monkeypatch, *missing):
    """Make the renderer search find no program named in `missing`, wherever it looks."""
    real_which = shutil.which
    monkeypatch.setattr(
        render_module.shutil, "which", lambda cmd, path=None: None if cmd in missing else real_which(cmd, path=path)
    )


@pytest.fixture(params=["system dot", "graphviz-pure"])
def renderer(request, monkeypatch):
    """Run a test twice: with the system's dot, and with it hidden so that only pip's graphviz-pure is left."""
    if request.param == "system dot":
        if shutil.which("dot") is None:
            pytest.skip("Graphviz `dot` is not installed")
    else:
        hide_programs(monkeypatch, "dot")
        if find_renderer() is None:
            pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    return request.param
