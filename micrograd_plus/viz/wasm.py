"""Graphviz in the browser: the last link of the renderer chain, where no Graphviz program can run.

In Pyodide and JupyterLite (`sys.platform == "emscripten"`) Python runs in WebAssembly and cannot start
`dot` or graphviz-pure. The package carries Viz.js instead (micrograd_plus/_vendor/viz-js/: Graphviz
16.1.0 compiled to WebAssembly, with its licences), and the page lays the graph out and draws it:
- `notebook_bundle(...)` is what a notebook shows for a drawing: an element holding the DOT text and a
  script that draws it with Viz.js. The first drawing of a kernel session carries Viz.js inline
  (1.3 MB); later ones find it in the page. Where scripts do not run (a notebook opened without running
  it) the element shows the text tree instead.
- `dot_element()` and `page_script()` do the same inside other HTML (the step-through's frames).
- `await render_svg(source)` draws inside Pyodide's own JavaScript runtime (a browser or Node) and
  returns the SVG text, for saving a picture.
Where a Graphviz program can run none of this is used.
"""

import html
import json
import sys
from functools import cache
from importlib.resources import files

from .render import DrawingTooBigError, check_size

__all__ = ["IN_BROWSER", "VIZ_JS", "viz_js", "dot_element", "page_script", "notebook_script", "notebook_bundle"]

IN_BROWSER = sys.platform == "emscripten"  # Pyodide: no processes, so no `dot` and no graphviz-pure
VIZ_JS = files("micrograd_plus") / "_vendor" / "viz-js" / "viz-global.js"

_sent_to_page = False  # has this kernel already put Viz.js into the notebook page?

# Draws every element of dot_element() not drawn yet, once Viz.js is in the page. Safe to run many times
# and in any order: a drawing whose script ran before Viz.js arrived is drawn when it arrives.
_DRAW_ALL = """(function () {
  if (typeof Viz === "undefined") { return; }
  window.mgpViz = window.mgpViz || Viz.instance();
  window.mgpViz.then(function (viz) {
    document.querySelectorAll("div.mgp-graphviz:not([data-drawn])").forEach(function (box) {
      box.setAttribute("data-drawn", "yes");
      try {
        var svg = viz.renderSVGElement(box.getAttribute("data-dot"));
        svg.style.maxWidth = "100%";
        svg.style.height = "auto";
        box.replaceChildren(svg);
      } catch (error) {
        box.insertAdjacentText("afterbegin", "Graphviz could not draw this graph: " + error.message);
      }
    });
  });
})();"""


@cache
def viz_js() -> str:
    """The text of the vendored Viz.js: a script that defines the global `Viz`."""
    return VIZ_JS.read_text(encoding="utf-8")


def dot_element(source: str, fallback: str) -> str:
    """An HTML element that page_script() replaces with the drawing of DOT `source`; shows `fallback` until then."""
    return f'<div class="mgp-graphviz" data-dot="{html.escape(source)}">{fallback}</div>'


def page_script(inline_viz_js: bool = True) -> str:
    """The script that draws the page's dot_element()s: with Viz.js inline, or using the one already there."""
    loader = f"<script>{viz_js()}</script>" if inline_viz_js else ""  # Viz.js holds no "</script"
    return f"{loader}<script>{_DRAW_ALL}</script>"


def notebook_script() -> str:
    """page_script() for a notebook output: Viz.js rides along with the kernel's first drawing only."""
    global _sent_to_page
    inline, _sent_to_page = not _sent_to_page, True
    return page_script(inline_viz_js=inline)


def notebook_bundle(source: str, text: str, plain: str) -> dict[str, str]:
    """A notebook display of DOT `source` drawn in the page; `text` (a text tree) where it cannot be drawn."""
    try:
        check_size(source)  # the page would freeze on what a Graphviz program would take minutes over
    except DrawingTooBigError as error:
        return {"text/plain": f"{text}\n{error}"}
    picture = dot_element(source, f"<pre>{html.escape(text)}</pre>") + notebook_script()
    return {"text/html": picture, "text/plain": plain}


async def render_svg(source: str) -> str:
    """Lay out DOT `source` with the vendored Graphviz inside Pyodide and return the SVG text."""
    if not IN_BROWSER:
        raise RuntimeError("render_svg() runs only inside Pyodide; elsewhere use graph.pipe('svg'), which runs dot")
    check_size(source)
    import js  # Pyodide's bridge to the JavaScript global scope
    from pyodide.code import run_js

    if not hasattr(js, "Viz"):
        run_js(viz_js())
    viz = await js.Viz.instance()
    return viz.renderString(source, js.JSON.parse(json.dumps({"format": "svg"})))
