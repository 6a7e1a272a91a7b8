"""Turn DOT text into SVG or PNG with whichever Graphviz renderer this machine has.

The fallback chain, tried in order:
1. the system's `dot` (apt-get install graphviz, brew install graphviz, conda install graphviz);
2. `graphviz-pure`, a pip-installable build of Graphviz's `dot` (a wheel with one self-contained
   program, for Linux, macOS and Windows), found on PATH or beside the running Python;
3. none: `render()` raises RendererNotFoundError, whose message is the one-line install hint,
   and callers show the DOT text or a text tree instead.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

__all__ = ["RENDERERS", "FORMATS", "INSTALL_HINT", "RendererNotFoundError", "find_renderer", "render"]

RENDERERS = ("dot", "graphviz-pure")  # command names, in the order they are tried
FORMATS = ("svg", "png")
INSTALL_HINT = (
    "No Graphviz renderer found: run `pip install graphviz-pure` (or install Graphviz: "
    "`apt-get install graphviz`, `brew install graphviz`) to see graphs as pictures."
)
_TIMEOUT_SECONDS = 120  # a graph of a few thousand nodes lays out in seconds; this only stops a hang
_PNG_DPI = 144  # twice the screen default, so PNGs stay sharp on a projector


class RendererNotFoundError(RuntimeError):
    """No Graphviz program (`dot` or `graphviz-pure`) is installed; the message says how to get one."""


def find_renderer() -> str | None:
    """The path of the first renderer in RENDERERS that is installed, or None."""
    for command in RENDERERS:
        path = _which(command)
        if path:
            return path
    return None


def _which(command: str) -> str | None:
    # A notebook kernel started from a virtualenv often lacks the venv's bin/ on PATH, so
    # also look beside the running interpreter, where pip puts a wheel's programs.
    found = shutil.which(command)
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which(command, path=folder)
        if found:
            return found
    return None


def render(source: str, format: str = "svg") -> bytes:
    """Lay out DOT `source` and return the picture as bytes in `format` ("svg" or "png")."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}, got {format!r}")
    program = find_renderer()
    if program is None:
        raise RendererNotFoundError(INSTALL_HINT)
    command = [program, f"-T{format}"]
    if format == "png":
        command.append(f"-Gdpi={_PNG_DPI}")
    try:
        result = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"{Path(program).name} took more than {_TIMEOUT_SECONDS} s to lay out the graph; "
            "draw a smaller graph (draw_graph(..., max_nodes=200) collapses big ones)"
        ) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{Path(program).name} could not render the graph (exit {result.returncode}): {message}")
    return result.stdout
