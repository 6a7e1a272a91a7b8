"""Text fits its box in a real browser, whichever renderer laid the drawing out (system dot or graphviz-pure).

Each drawing is rendered to SVG, inlined in a page, and headless Chromium measures every text's box
(getBBox) against the smallest shape around its anchor: the table cell, the op's ellipse, or the picture.
"""

import json
import re
import shutil
import subprocess

import pytest
from example_graphs import karpathy_graph
from viz_renderers import renderer  # noqa: F401 (a fixture)

from micrograd_plus import MLP, Value, draw_graph, mse_loss
from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.stepthrough import StepThrough

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

MEASURE = """
<pre id="result"></pre>
<script>
var found = [];
document.querySelectorAll("svg").forEach(function (svg, picture) {
  var whole = svg.viewBox.baseVal;
  svg.querySelectorAll("text").forEach(function (text) {
    var box = text.getBBox();
    var group = text.closest("g.node, g.edge") || svg;
    var x = parseFloat(text.getAttribute("x")), y = parseFloat(text.getAttribute("y"));
    var cell = null;
    group.querySelectorAll("polygon, ellipse, path").forEach(function (shape) {
      var b = shape.getBBox();
      var inside = x >= b.x - 0.5 && x <= b.x + b.width + 0.5 && y >= b.y - 0.5 && y <= b.y + b.height + 0.5;
      if (inside && b.width > 1 && b.height > 1 && (!cell || b.width * b.height < cell.width * cell.height)) {
        cell = b;
      }
    });
    var within = group === svg ? {x: 0, width: whole.width} : cell;
    if (!within) { return; }
    if (group === svg) {  // the caption: its own coordinates are in the shifted graph group, so measure in px
      var frame = svg.getBoundingClientRect(), seen = text.getBoundingClientRect();
      found.push({picture: picture, text: text.textContent, over: Math.max(frame.left - seen.left,
                  seen.right - frame.right), width: seen.width});
      return;
    }
    found.push({picture: picture, text: text.textContent, width: box.width, cell: within.width,
                over: Math.max(within.x - box.x, box.x + box.width - (within.x + within.width))});
  });
});
document.getElementById("result").textContent = JSON.stringify(found);
</script>
"""


def measure(svgs: list[str], tmp_path) -> list[dict]:
    """Every text of every SVG, with how far (in SVG units) it reaches past its box: 'over' <= 0 means it fits."""
    page = tmp_path / "measure.html"
    body = "\n".join(f"<div>{re.sub(r'^.*?(?=<svg)', '', svg, flags=re.DOTALL)}</div>" for svg in svgs)
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}{MEASURE}</body></html>',
                    encoding="utf-8")  # fmt: skip
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    found = json.loads(re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL).group(1).replace("&amp;", "&"))
    assert len(found) > 10 * len(svgs) / 2, "the measuring script found too few texts"
    return found


def drawings():
    """What learners see: the lecture's graph, a neuron with long names, a collapsed MLP, a caption, a frame."""
    loss, _ = karpathy_graph(backward=True)
    model = MLP(3, [4, 1], activation="tanh", seed=0)
    features = [Value(x, label=name) for x, name in ((3.0, "bedrooms"), (5000.0, "lotsize"), (1.0, "airco"))]
    price = model(features)
    price.backward()
    names = {p: f"w {f.label}" for p, f in zip(model.layers[0].neurons[0].w, features)}
    big = MLP(2, [16, 16, 1], seed=0)
    big_loss = mse_loss([big([0.1 * i, -0.2 * i]) for i in range(8)], [0.0] * 8)
    big_loss.backward()
    return [
        draw_graph(loss),
        draw_graph(price, names=names, caption="grad = d(predicted price)/d(node), for test house 1 of 110"),
        draw_graph(big_loss, names=big),
        StepThrough(loss)[2],
    ]


def test_no_text_is_wider_than_its_box_in_chromium(renderer, tmp_path):  # noqa: F811 (renderer: the fixture)
    svgs = [graph.pipe("svg", encoding="utf-8") for graph in drawings()]
    assert all(("(graphviz-pure)" in svg) == (renderer == "graphviz-pure") for svg in svgs)
    found = measure(svgs, tmp_path)
    overflowing = [f"{item['text']!r} by {item['over']:.1f}" for item in found if item["over"] > 0.5]
    assert overflowing == [], f"text wider than its box with {renderer}"


def test_the_check_catches_text_laid_out_for_one_font_and_shown_in_another(tmp_path, monkeypatch):
    # graphviz-pure measures Helvetica with Helvetica's widths; a browser without Helvetica draws a wider font.
    pure = shutil.which("graphviz-pure") or render_module._which("graphviz-pure")
    if pure is None:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(render_module, "find_renderer", lambda: pure)
    source = draw_graph(karpathy_graph(backward=True)[0]).source.replace("Courier", "Helvetica")
    svg = render_module.render(source, "svg").decode("utf-8")
    if "Helvetica" in subprocess.run(["fc-match", "Helvetica"], capture_output=True, text=True).stdout:
        pytest.skip("this machine has Helvetica itself")
    assert any(item["over"] > 0.5 for item in measure([svg], tmp_path))
