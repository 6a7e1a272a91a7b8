"""Turn DOT text into a picture with whichever Graphviz program this machine has, or say clearly why not.

The renderer chain, tried in order:
1. the system's `dot` (apt-get install graphviz, brew install graphviz, conda install graphviz);
2. `graphviz-pure`, a pip-installable port of Graphviz's `dot` (a wheel with one self-contained
   program, for Linux, macOS and Windows), found on PATH or beside the running Python;
3. in the browser (Pyodide, where no program can run), notebooks draw with the WebAssembly Graphviz
   shipped in the package (wasm.py), and `render()` raises RendererNotFoundError saying so;
4. none: `render()` raises RendererNotFoundError, whose message is the one-line install hint,
   and callers show a text tree instead.

Before a program starts, `layout_work()` estimates how big a layout it faces, and a drawing past
MAX_LAYOUT_WORK is refused with advice (collapse it, or draw part of it): dot's time grows with the
square of that number and more, so a big full drawing would run for minutes or exhaust memory.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections import defaultdict
from pathlib import Path

import graphviz

__all__ = [
    "RENDERERS",
    "INSTALL_HINT",
    "MAX_LAYOUT_WORK",
    "RendererNotFoundError",
    "DrawingTooBigError",
    "find_renderer",
    "layout_work",
    "check_size",
    "render",
]

RENDERERS = ("dot", "graphviz-pure")  # command names, in the order they are tried
INSTALL_HINT = (
    "No Graphviz renderer found: run `pip install graphviz-pure` (or install Graphviz: "
    "`apt-get install graphviz`, `brew install graphviz`) to see graphs as pictures."
)
# The size of the graph dot lays out (nodes + edges, counting the hidden ones long edges add), measured on
# 2 cores for chains, MLP losses, wide ops and recurrences (the README's drawing section has the table):
# up to this size the slower renderer finishes in about 10 s; past it, time grows with the square of the
# size or faster (a recurrence of 1.5 times this size ran 40 s), while memory stays under 200 MB.
MAX_LAYOUT_WORK = 8000
BROWSER_HINT = (
    "No Graphviz program can run in the browser (Pyodide): display the graph in the notebook, where the page draws "
    "it, or get the SVG text with `await micrograd_plus.viz.wasm.render_svg(graph.source)`."
)
_TIMEOUT_SECONDS = 120  # only stops a hang: the size check refuses what would take this long
_MEMORY_LIMIT = 4 * 2**30  # bytes of address space a renderer may take, where the system lets us cap it
_PNG_DPI = 144  # twice the screen default, so PNGs stay sharp on a projector
_EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s"\[]+)\s*->\s*("(?:[^"\\]|\\.)*"|[^\s"\[;]+)', re.MULTILINE)
_NODE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s"\[=]+)\s*\[', re.MULTILINE)


class RendererNotFoundError(RuntimeError):
    """No Graphviz program (`dot` or `graphviz-pure`) is installed; the message says how to get one."""


class DrawingTooBigError(ValueError):
    """The layout would take too long or too much memory; the message says how to draw less."""


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


def layout_work(source: str) -> int:
    """How big a graph dot lays out for `source`: its nodes and edges, plus a hidden node and edge for every
    rank a long edge crosses.

    Ranks are estimated as dot's layout (which keeps the total edge length short) places them: each node
    one rank after the latest node pointing to it, except that a node with more edges out than in sits
    just before its first use (a constant next to the op using it, a weight next to its first neuron).
    A Value that a long chain uses at every step (y = y * w + b) still crosses every rank: that is the case
    that blows up, the hidden nodes growing with the square of the chain's length.
    """
    edges = [(tail, head) for tail, head in _EDGE.findall(source) if tail != head]
    nodes = set(_NODE.findall(source)) - {"graph", "node", "edge"}
    outgoing, incoming = defaultdict(list), defaultdict(int)
    for tail, head in edges:
        nodes.update((tail, head))
        outgoing[tail].append(head)
        incoming[head] += 1
    fan_in = dict(incoming)
    order = sorted(node for node in nodes if not incoming[node])
    rank = dict.fromkeys(order, 0)
    for node in order:  # Kahn's topological order; nodes on a cycle are left out of the estimate
        for head in outgoing[node]:
            rank[head] = max(rank.get(head, 0), rank[node] + 1)
            incoming[head] -= 1
            if not incoming[head]:
                order.append(head)
    for node in reversed(order):
        if len(outgoing[node]) > fan_in.get(node, 0):
            rank[node] = min(rank[head] for head in outgoing[node]) - 1
    crossed = sum(rank[head] - rank[tail] - 1 for tail, head in edges if tail in rank and head in rank)
    return len(nodes) + len(edges) + 2 * crossed


def render(source: str, format: str = "svg") -> bytes:
    """Lay out DOT `source` and return the picture as bytes in `format` ("svg", "png", or another Graphviz format)."""
    if format not in graphviz.FORMATS:
        raise ValueError(f"format must be a Graphviz output format such as 'svg' or 'png', got {format!r}")
    program = find_renderer()
    if program is None:
        raise RendererNotFoundError(BROWSER_HINT if sys.platform == "emscripten" else INSTALL_HINT)
    check_size(source)
    command = [program, f"-T{format}"] + ([f"-Gdpi={_PNG_DPI}"] if format == "png" else [])
    name = Path(program).name
    try:
        result = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            preexec_fn=_limit_memory if os.name == "posix" else None,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"{name} took more than {_TIMEOUT_SECONDS} s to lay out the graph and was stopped; draw a smaller "
            "graph (draw_graph(root) collapses big ones; around=[value] draws the part near one Value)"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(f"{name} could not draw the graph: {_failure(result, format)}")
    return result.stdout


def check_size(source: str) -> None:
    """Raise DrawingTooBigError if laying `source` out would take too long or too much memory."""
    work = layout_work(source)
    if work > MAX_LAYOUT_WORK:
        raise DrawingTooBigError(
            f"this drawing is too big for Graphviz to lay out in reasonable time and memory (a layout of size "
            f"{work:,}, counting nodes, edges and the ranks long edges cross; the limit is {MAX_LAYOUT_WORK:,}). "
            "Draw it collapsed "
            "(draw_graph(root) collapses big graphs, collapse=True forces it) or draw part of it "
            "(around=[value], or max_nodes=200)"
        )


def _limit_memory() -> None:
    # In the child, before it runs the renderer: a runaway layout fails instead of swapping the machine to death.
    import resource

    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > _MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, hard))
    except (ValueError, OSError):  # a system that does not let us cap it (macOS): run without the cap
        pass


def _failure(result: subprocess.CompletedProcess, format: str) -> str:
    """What went wrong, in words, whatever the program printed (often nothing when it crashed)."""
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    noise = ("no value for width of non-ASCII", "stack backtrace", "note: ", "RUST_BACKTRACE")
    printed = "\n".join([line for line in lines if not any(word in line for word in noise)][:5])
    code = result.returncode
    if code < 0:
        try:
            what = f"it crashed ({signal.Signals(-code).name})"
        except ValueError:
            what = f"it was stopped by signal {-code}"
    else:
        what = f"it exited with status {code}"
    if "out of memory" in printed.lower() or "memory allocation" in printed.lower():
        what += f" after running out of memory (a renderer may use {_MEMORY_LIMIT / 2**30:g} GB)"
    elif code < 0:
        what += ", which usually means the layout needed more memory than it may use: draw a smaller graph"
    if "format" in printed.lower() and format not in ("svg", "png"):
        what += f"; it may not write {format!r}: use 'svg' or 'png'"
    return f"{what}; it printed: {printed}" if printed else f"{what}, and printed no message"
