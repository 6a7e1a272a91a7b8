"""StepThrough: the backward pass as a sequence of drawings, one per step, with prev/next buttons.

Each frame is drawn from the backprop steps alone (one sort, one replay, one DOT text per frame): the
node passing its gradient back in amber, the children receiving it in green, grads not reached yet in
grey. It shows itself in a notebook, and save_html(path) writes one self-contained page that fits the
browser window. Without scripts (an untrusted notebook, a browser with JavaScript off) it still shows
the first step as a picture and says how to get the buttons back. In the browser (Pyodide), where no
Graphviz program runs, the page draws the frames with the WebAssembly Graphviz in the package (wasm.py).
"""

import html
import itertools
import json
import os
from pathlib import Path

from ..engine import Value
from ..files import write_atomically
from . import wasm
from .drawing import Graph, picture_html
from .graph import values_graph
from .labels import parameter_names, variable_names
from .render import INSTALL_HINT, RendererNotFoundError
from .steps import BackwardStep, Replay, replay
from .values import Style, add_values

__all__ = ["StepThrough", "STEPTHROUGH_MAX_NODES", "CURRENT", "RECEIVING"]

STEPTHROUGH_MAX_NODES = 100  # one drawing per op: past this the page gets slow and nobody steps through it
CURRENT = "#ffd54f"  # amber: the node whose gradient is being passed on
RECEIVING = "#c8e6c9"  # green: the children receiving gradient in this step
_display_ids = itertools.count(1)


class StepThrough:
    """The backward pass as a sequence of graph frames; shows itself in a notebook, .save_html(path) for a browser."""

    def __init__(self, root: Value, gradient: float = 1.0, names: object = None, rankdir: str = "LR",
                 max_nodes: int | None = STEPTHROUGH_MAX_NODES):  # fmt: skip
        if not isinstance(root, Value):
            raise TypeError(
                f"StepThrough takes one output Value (backward() starts from one output), got {type(root).__name__}"
            )
        result = replay(root, gradient, names, variable_names())
        if max_nodes is not None and len(result.order) > max_nodes:
            raise ValueError(
                f"StepThrough draws one picture per op, and this graph has {len(result.order)} Values, more than "
                f"max_nodes={max_nodes}. Step through a smaller example (one neuron, one sample), "
                "or pass max_nodes=None to draw them all anyway."
            )
        self.root = root
        self.steps: list[BackwardStep] = result.steps
        parameters = frozenset(value for value in parameter_names(names) if not value._children)
        self.frames: list[Graph] = _frames(result, rankdir, parameters)
        self._pictures: list[str] | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Graph:
        return self.frames[index]

    def __repr__(self) -> str:
        # The page counts "Step 0 of N": frame 0 is the start (the forward values, the output's grad
        # seeded), then N backward steps, one per op.
        frames, operations = len(self.frames), len(self.steps) - 1
        start = self.steps[0].headline.removeprefix("Start: ")
        return (
            f"<StepThrough: {frames} frame{'s' if frames != 1 else ''}, the start ({start}) then "
            f"{operations} backward step{'s' if operations != 1 else ''}, one per op: "
            ".steps, .frames, .save_html('backprop.html')>"
        )

    def text(self) -> str:
        """Every step's chain-rule text, one block per step."""
        return "\n\n".join(step.text for step in self.steps)

    def pictures(self) -> list[str]:
        """Each frame as an <img> (its SVG inline), or its DOT text and the install hint without a renderer."""
        if self._pictures is None:
            self._pictures = [_picture(frame, step) for frame, step in zip(self.frames, self.steps, strict=True)]
        return self._pictures

    def html(self, element_id: str = "mgp-steps", standalone: bool = True) -> str:
        """The step-through as HTML: a whole page (standalone) or a fragment to embed in a notebook."""
        pictures = self.pictures()
        count = len(self.frames) - 1
        if standalone:
            note = f"Only the start is shown: the buttons for all {count} steps need JavaScript, which is off here."
        else:
            note = (
                f"Only the start is shown: the buttons for all {count} steps are off because this notebook is not "
                "trusted (a downloaded notebook runs no scripts). Run this cell to get them back."
            )
        data = json.dumps([{"text": step.text, "picture": picture} for step, picture in zip(self.steps, pictures)])
        data = data.replace("<", "\\u003c")  # no "</script>" or "<!--" in the data can end its script element
        body = (
            f'<div class="mgp-steps" id="{element_id}" tabindex="0">\n'
            f'<div class="mgp-controls" hidden style="display: none">'
            f'<button type="button" class="mgp-prev">◀ Prev</button> '
            f'<input type="range" class="mgp-slider" min="0" max="{count}" value="0"> '
            f'<button type="button" class="mgp-next">Next ▶</button> <span class="mgp-counter"></span>'
            f'<span class="mgp-hint">(or the ← → keys)</span><div class="mgp-legend">'
            f'<span style="background: {CURRENT}">passing its grad back</span> '
            f'<span style="background: {RECEIVING}">receiving grad</span> '
            f'<span style="color: #757575">grey grad: not reached yet</span></div></div>\n'
            # inline styles: an untrusted notebook drops <style> and the hidden attribute but keeps these
            f'<section class="mgp-static"><pre class="mgp-text" style="white-space: pre-wrap">'
            f'{html.escape(self.steps[0].text)}</pre><div class="mgp-picture">{pictures[0]}</div>'
            f'<p class="mgp-note" style="color: #757575">{html.escape(note)}</p></section>\n'
            f'<div class="mgp-frames"></div>\n'
            f'<script type="application/json" class="mgp-data">{data}</script>\n'
            f"<style>{_CSS}{_PAGE_CSS if standalone else _NOTEBOOK_CSS}</style>\n"
            f"<script>{_SCRIPT % {'id': element_id, 'keys': 'document' if standalone else 'box'}}</script>\n"
            f"{(wasm.page_script() if standalone else wasm.notebook_script()) if wasm.IN_BROWSER else ''}"
            "</div>\n"
        )
        if not standalone:
            return body
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Backpropagation, step by step: {html.escape(self.steps[0].name)}</title>\n"
            f"</head>\n<body>\n{body}</body>\n</html>\n"
        )

    def save_html(self, path: str | os.PathLike) -> Path:
        """Write one self-contained HTML page (no network needed) with prev/next buttons and the arrow keys."""
        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(
                f"save_html() got {str(path)!r}, which is a folder; give a file name inside it, "
                f"e.g. {str(path / 'backprop.html')!r}"
            )
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"save_html() writes an HTML page, so the file name must end in .html, got {str(path)!r}; "
                f"e.g. {str(path.with_suffix('.html'))!r}"
            )
        return write_atomically(path, self.html())

    def _repr_html_(self) -> str:
        # A notebook display never raises; each display gets its own element id.
        try:
            return self.html(f"mgp-steps-{next(_display_ids)}", standalone=False)
        except Exception as error:  # noqa: BLE001
            return f"<pre>{html.escape(self.text())}\n\nCould not draw the frames: {html.escape(str(error))}</pre>"

    def widget(self):
        """An ipywidgets slider over the frames (needs `pip install ipywidgets`); display() it in a notebook."""
        try:
            import ipywidgets
        except ImportError:
            raise ImportError(
                "StepThrough.widget() needs ipywidgets: pip install ipywidgets "
                "(or just display the StepThrough itself: it has its own prev/next buttons)"
            ) from None
        pictures = self.pictures()
        view = ipywidgets.HTML()
        slider = ipywidgets.IntSlider(min=0, max=len(pictures) - 1, value=0, description="step")
        previous, next_ = ipywidgets.Button(description="◀ Prev"), ipywidgets.Button(description="Next ▶")
        previous.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, slider.min)))
        next_.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, slider.max)))

        def show(change=None):
            step = self.steps[slider.value]
            view.value = f"<pre>{html.escape(step.text)}</pre>{pictures[slider.value]}"

        slider.observe(show, names="value")
        show()
        return ipywidgets.VBox([ipywidgets.HBox([previous, slider, next_]), view])


def _frames(result: Replay, rankdir: str, parameters: frozenset) -> list[Graph]:
    """One Graph per step, from the steps alone: the grads so far, the node and children of this step."""
    grads = dict.fromkeys(result.order, 0.0)
    pending = set(result.order)
    frames = []
    for step in result.steps:
        if step.number == 0:
            grads[step.node] = step.upstream
            pending.discard(step.node)
        for term in step.terms:
            grads[term.child] = term.total
            pending.discard(term.child)
        colours = {term.child: RECEIVING for term in step.terms}
        colours[step.node] = CURRENT
        style = Style(
            colours=colours,
            grads=dict(grads),
            pending=frozenset(pending),
            hot_edges=frozenset((term.child, step.node) for term in step.terms),
            parameters=parameters,
        )
        frame = values_graph([result.steps[0].node], result.order, result.names, rankdir)
        add_values(frame, result.order, result.names, style)
        frames.append(frame)
    return frames


def _picture(frame: Graph, step: BackwardStep) -> str:
    try:
        return picture_html(frame.pipe("svg"), step.headline)
    except RendererNotFoundError:
        if wasm.IN_BROWSER:  # no program runs in Pyodide: the page draws the frame (html() adds the script)
            return wasm.dot_element(frame.source, f'<pre class="mgp-dot">{html.escape(frame.source)}</pre>')
        return f'<pre class="mgp-dot">{html.escape(INSTALL_HINT)}\n\n{html.escape(frame.source)}</pre>'
    except Exception as error:  # noqa: BLE001 (a failed drawing still leaves the chain-rule text readable)
        return f'<pre class="mgp-dot">Could not draw this step: {html.escape(str(error))}</pre>'


_CSS = """
.mgp-steps [hidden] { display: none !important; }
.mgp-steps { font-family: Helvetica, Arial, sans-serif; outline: none; }
.mgp-controls { padding: 6px 0; }
.mgp-controls button { font-size: 16px; padding: 4px 14px; cursor: pointer; }
.mgp-slider { width: 30%; vertical-align: middle; }
.mgp-counter { font-weight: bold; margin-left: 10px; }
.mgp-hint { color: #757575; margin-left: 10px; font-size: 13px; }
.mgp-legend { margin-top: 6px; }
.mgp-legend span { padding: 2px 8px; margin-right: 8px; border: 1px solid #bdbdbd; font-size: 13px; }
.mgp-text { font-size: 15px; line-height: 1.45; background: #fafafa; padding: 8px 12px; margin: 4px 0;
  white-space: pre-wrap; }
.mgp-note { color: #757575; font-size: 13px; }
.mgp-picture img { max-width: 100%; width: auto; height: auto; }
"""
_NOTEBOOK_CSS = ".mgp-picture img { max-height: 75vh; }\n"
# A page of its own fills the window: controls and text on top, the picture takes the rest, scaled to fit.
_PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; padding: 8px 16px; box-sizing: border-box; }
.mgp-steps { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.mgp-frames, .mgp-frame, .mgp-static { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.mgp-frames:empty { display: none; }
.mgp-picture { flex: 1; min-height: 0; }
.mgp-picture img { max-height: 100%; }
"""

# %(keys)s: "document" on a page of its own; "box" in a notebook, where the arrow keys belong to the
# notebook unless the step-through has the focus (click on it first).
_SCRIPT = """
(function () {
  var box = document.getElementById("%(id)s");
  var data = JSON.parse(box.querySelector(".mgp-data").textContent);
  var holder = box.querySelector(".mgp-frames");
  var slider = box.querySelector(".mgp-slider");
  var counter = box.querySelector(".mgp-counter");
  var frames = [];
  data.forEach(function (frame, i) {
    var section = document.createElement("section");
    section.className = "mgp-frame";
    section.setAttribute("data-step", i);
    section.innerHTML = '<pre class="mgp-text"></pre><div class="mgp-picture">' + frame.picture + "</div>";
    section.querySelector(".mgp-text").textContent = frame.text;
    holder.appendChild(section);
    frames.push(section);
  });
  var current = 0;
  function show(step) {
    current = Math.max(0, Math.min(frames.length - 1, step));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
    slider.value = current;
    counter.textContent = "Step " + current + " of " + (frames.length - 1);
    box.setAttribute("data-current", current);
  }
  box.querySelector(".mgp-prev").addEventListener("click", function () { show(current - 1); });
  box.querySelector(".mgp-next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  %(keys)s.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
  box.querySelector(".mgp-static").hidden = true;
  var controls = box.querySelector(".mgp-controls");
  controls.hidden = false;
  controls.style.display = "";
  var start = /step=(\\d+)/.exec(window.location.hash);
  show(start ? Number(start[1]) : 0);
})();
"""
