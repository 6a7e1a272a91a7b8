"""Graph: a drawing of a computation graph, and a graphviz.Digraph, so what learners know of graphviz works.

`.source`, `.render('graph', format='png')`, `.pipe(format='svg')`, `.view()` and display in Jupyter
behave as graphviz documents them, drawn by the system's `dot` or, with only pip packages, by
`graphviz-pure` (see render.py). What we add:
- `save('graph.svg')` or `save('graph.png')` writes the picture; any other name gets the DOT text, as
  graphviz's save() does (render() relies on that);
- in a notebook the picture keeps its natural size where it fits and scales down to the output width
  where not (right-click it, "Open image in new tab", for full size); it is an <img>, so it stays a
  picture in an untrusted notebook; in the browser (Pyodide) the page draws it (wasm.py); with no
  renderer at all it is a text tree and the install hint.
"""

import base64
import html
import os
import re
from collections.abc import Mapping
from pathlib import Path

import graphviz

from ..engine import Value
from ..files import write_atomically
from . import wasm
from .labels import format_grad, format_number
from .ops import made_by
from .render import INSTALL_HINT, RendererNotFoundError, render

__all__ = ["Graph", "FONT", "picture_html", "text_tree"]

# A monospace font: every common one (Courier, Courier New, DejaVu Sans Mono, Menlo, Consolas) is 0.6 em
# per character, which is how both dot and graphviz-pure measure Courier, so text fits its box whichever
# renderer laid it out and whichever font the browser picks. Proportional fonts differ by 10% and more.
FONT = "Courier"
_DOT_TEXT = {"dot", "gv", "canon", "xdot", "xdot1.2", "xdot1.4", "plain", "plain-ext"}  # formats that are text
_TEXT_TREE_LINES = 300  # the text fallback stops here: a longer listing helps nobody
_SIZE = re.compile(r'<svg[^>]*?\swidth="([0-9.]+)pt"[^>]*?\sheight="([0-9.]+)pt"', re.DOTALL)


class Graph(graphviz.Digraph):
    """A drawn computation graph: a graphviz.Digraph (`.source`, `.render()`, `.pipe()`, `.view()`) that
    draws with the system's dot or graphviz-pure, saves with `.save('graph.svg')`, and shows in Jupyter."""

    def __init__(self, *args, roots=(), names: Mapping[Value, str] | None = None, num_nodes: int = 0, note: str = "",
                 **kwargs):  # fmt: skip
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)
        self.num_nodes = num_nodes  # Values in the whole graph (the drawing may show fewer)
        self.note = note  # why the drawing is collapsed or partial; "" when it shows everything
        self._roots = list(roots)
        self._names = dict(names or {})
        self._saving_source = False

    def _copy_kwargs(self, **kwargs):  # graphviz's copy() and subgraph() build a new instance from these
        kwargs = super()._copy_kwargs(**kwargs)
        kwargs.update(roots=self._roots, names=self._names, num_nodes=self.num_nodes, note=self.note)
        return kwargs

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *, engine=None,
             encoding=None):  # fmt: skip
        """The picture as bytes (a str if `encoding` is given), drawn by the system's dot or graphviz-pure."""
        if renderer or formatter or neato_no_op or (engine or self.engine) != "dot":
            return super().pipe(format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding)
        data = render(self.source, format or self.format)
        return data if encoding is None else data.decode(encoding)

    def render(self, *args, **kwargs) -> str:
        """graphviz's render(): save the DOT text to `filename` (default G.gv), draw it beside as filename.format."""
        self._saving_source = True  # render() calls save() for the DOT text: keep graphviz's meaning there
        try:
            return super().render(*args, **kwargs)
        finally:
            self._saving_source = False

    def _render(self, engine, format, filepath, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
                outfile=None, raise_if_result_exists=False, overwrite_filepath=False) -> str:  # fmt: skip
        # graphviz's render() calls this to run dot on the file it saved: draw self.source with our chain instead
        if renderer or formatter or neato_no_op or engine != "dot":
            return graphviz.render(engine, format, filepath, renderer=renderer, formatter=formatter,
                                   neato_no_op=neato_no_op, quiet=quiet, outfile=outfile,
                                   raise_if_result_exists=raise_if_result_exists,
                                   overwrite_filepath=overwrite_filepath)  # fmt: skip
        filepath = Path(filepath)
        target = Path(outfile) if outfile is not None else filepath.with_suffix(f"{filepath.suffix}.{format}")
        if raise_if_result_exists and target.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(target)!r}")
        write_atomically(target, render(self.source, format))
        return os.fspath(target)

    def save(self, filename=None, directory=None, *, skip_existing=False) -> Path:
        """Write the picture to `filename` if it ends in .svg or .png (or another picture format), else the
        DOT text, as graphviz's save() does; return the path written."""
        kind = Path(os.fspath(filename)).suffix.lower().lstrip(".") if filename is not None else ""
        if kind in graphviz.FORMATS and kind not in _DOT_TEXT and not self._saving_source:
            path = Path(os.fspath(directory or ""), os.fspath(filename))
            if path.is_dir():  # before drawing: say so at once
                raise IsADirectoryError(
                    f"save() got {str(path)!r}, which is a folder; give a file name inside it, "
                    f"e.g. {str(path / 'graph.svg')!r}"
                )
            if skip_existing and path.exists():
                return path
            return write_atomically(path, self.pipe(kind))
        if filename is not None:
            self.filename = os.fspath(filename)
        if directory is not None:
            self.directory = os.fspath(directory)
        path = Path(self.filepath)
        if skip_existing and path.exists():
            return path
        return write_atomically(path, self.source)

    def text_tree(self) -> str:
        """The graph as an indented text tree (what a notebook shows when no renderer is installed)."""
        return text_tree(self._roots, self._names)

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        # A notebook display never raises: without a renderer, or if it fails, it shows text.
        try:
            svg = self.pipe("svg")
        except RendererNotFoundError:
            if wasm.IN_BROWSER:  # no program runs in Pyodide: the page draws it with the WebAssembly Graphviz we ship
                return wasm.notebook_bundle(self.source, self.text_tree(), repr(self))
            return {"text/plain": f"{self.text_tree()}\n{INSTALL_HINT}"}
        except Exception as error:  # noqa: BLE001 (any render failure becomes the text fallback)
            return {"text/plain": f"{self.text_tree()}\nCould not draw the graph: {error}"}
        bundle = {
            "text/html": picture_html(svg, f"computation graph of {self.num_nodes} Values"),
            "text/plain": repr(self),
        }
        if include is not None and "image/svg+xml" in include:
            bundle["image/svg+xml"] = svg.decode("utf-8")
        return {mime: data for mime, data in bundle.items() if mime not in (exclude or ())}

    def __repr__(self) -> str:
        note = f" ({self.note.splitlines()[0]})" if self.note else ""
        return (
            f"<Graph of {self.num_nodes} Values{note}: .source holds the DOT text, "
            ".render('graph', format='png') or .save('graph.svg') draws it>"
        )


def picture_html(svg: bytes, alt: str) -> str:
    """An <img> of the SVG at its natural size that scales down to the width it is shown in (and stays an image,
    so an untrusted notebook, which strips scripts and inline SVG, still shows it)."""
    size = _SIZE.search(svg[:2000].decode("utf-8", "replace"))
    dimensions = ""
    if size:  # Graphviz sizes in points; a CSS pixel is 3/4 of a point
        width, height = (round(float(points) * 4 / 3) for points in size.groups())
        dimensions = f' width="{width}" height="{height}"'
    data = base64.b64encode(svg).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}"{dimensions} alt="{html.escape(alt)}" '
        'style="max-width: 100%; height: auto">'
    )


def text_tree(roots: list[Value], names: Mapping[Value, str], max_lines: int = _TEXT_TREE_LINES) -> str:
    """An indented listing of the graph from its outputs; a Value met again is listed once, then referred to.

    `names` holds a name for every Value (draw_graph passes v0, v1, ... for the unnamed ones).
    """
    lines = []
    listed = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack and len(lines) < max_lines:
        node, level = stack.pop()
        if node in listed:
            lines.append(f"{'  ' * level}{names[node]} (listed above)")
            continue
        listed.add(node)
        made = f"  = {made_by(node, [names[child] for child in node._children])}" if node._children else ""
        numbers = f"data {format_number(node.data)}, grad {format_grad(node.grad)}"
        lines.append(f"{'  ' * level}{names[node]}: {numbers}{made}")
        stack.extend((child, level + 1) for child in reversed(node._children))
    if stack:
        lines.append(f"... (stopped after {max_lines} lines)")
    return "\n".join(lines)
