"""Graphviz in the browser, for where no Graphviz program can run (Pyodide and JupyterLite).

There `sys.platform == "emscripten"`: Python runs in WebAssembly and cannot start `dot`. The package carries
Viz.js (micrograd_plus/_vendor/viz-js/: Graphviz 16.1.0 compiled to WebAssembly, with its licences), and
the page lays the graph out and draws it:
- `notebook_html(source, fallback)` is what a notebook shows for a drawing: an element holding the DOT
  text and a script that renders it with Viz.js. The first drawing of a kernel session carries Viz.js
  inline (1.3 MB); later ones find it in the page. Where scripts do not run (a notebook opened without
  running it), the element shows `fallback` instead.
- `page_html(...)` is the same for a saved, self-contained HTML page: Viz.js is always inline.
- `await render_svg(source)` renders inside Pyodide's own JavaScript runtime (a browser or Node) and
  returns the SVG text, for saving a picture.
"""

import html
import json
import sys
from functools import cache
from importlib.resources import files

__all__ = ["IN_BROWSER", "VIZ_JS", "viz_js", "dot_element", "page_script", "notebook_html", "render_svg"]

IN_BROWSER = sys.platform == "emscripten"  # Pyodide: no processes, so no `dot` and no graphviz-pure
VIZ_JS = files("micrograd_plus") / "_vendor" / "viz-js" / "viz-global.js"

_sent_to_page = False  # has this kernel already put Viz.js into the notebook page?

# Renders every element made by dot_element() that is not drawn yet, once Viz.js is in the page; safe to
# run many times and in any order (a drawing whose script ran before Viz.js arrived is drawn when it does).
_RENDER_ALL = """(function () {
  if (typeof Viz === "undefined") { return; }
  window.mgpViz = window.mgpViz || Viz.instance();
  window.mgpViz.then(function (viz) {
    document.querySelectorAll("div.mgp-dot:not([data-drawn])").forEach(function (box) {
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
    return f'<div class="mgp-dot" data-dot="{html.escape(source)}">{fallback}</div>'


def page_script(inline_viz_js: bool = True) -> str:
    """The script that draws the page's dot_element()s; with Viz.js inline, or relying on one already there."""
    loader = f"<script>{_script_safe(viz_js())}</script>" if inline_viz_js else ""
    return f"{loader}<script>{_RENDER_ALL}</script>"


def notebook_html(source: str, fallback: str) -> str:
    """A notebook output that draws DOT `source` in the page; Viz.js rides along the first time only."""
    global _sent_to_page
    inline = not _sent_to_page
    _sent_to_page = True
    return dot_element(source, fallback) + page_script(inline_viz_js=inline)


def _script_safe(code: str) -> str:
    # A "</script" inside the code would end the <script> element early.
    return code.replace("</script", "<\\/script")


async def render_svg(source: str) -> str:
    """Lay out DOT `source` with the vendored Graphviz inside Pyodide and return the SVG text."""
    if not IN_BROWSER:
        raise RuntimeError("render_svg() runs only inside Pyodide; elsewhere use Graph.pipe('svg'), which runs dot")
    import js  # Pyodide's bridge to the JavaScript global scope
    from pyodide.code import run_js

    if not hasattr(js, "Viz"):
        run_js(viz_js())
    viz = await js.Viz.instance()
    return viz.renderString(source, js.JSON.parse(json.dumps({"format": "svg"})))
