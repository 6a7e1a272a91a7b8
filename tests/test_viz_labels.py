"""No text a user writes can change a drawing's structure: hostile labels are drawn exactly as written."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from viz_renderers import renderer  # noqa: F401 (a fixture)

from micrograd_plus import StepThrough, Value, draw_graph
from micrograd_plus.viz.labels import format_number, html_text

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "\\N",  # Graphviz would write the node's name
    "\\G and \\E and \\T \\H \\L",  # the graph's name, the edge's, ...
    "\\\\N",  # an escaped backslash, then N
    "ends in a backslash \\",
    '"quoted" \\"',
    "<b>bold</b> & <i>",
    "a > b < c && d",
    "]; evil [shape=box",  # would close the attribute list in a plain DOT label
    "} digraph H { x",
    "&amp; &#92; &lt;",  # entities stay as typed
    "tab\there",
    "NUL \x00 and BEL \x07",
    "lone surrogate \ud800",
    "σ(x) · ∂y/∂x ²",
]
SHOWN = {  # what the drawing shows, where it differs from what was typed
    "tab\there": "tab here",
    "NUL \x00 and BEL \x07": "NUL \ufffd and BEL \ufffd",
    "lone surrogate \ud800": "lone surrogate \ufffd",
}


def texts(svg: bytes) -> list[str]:
    return ["".join(text.itertext()) for text in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def nodes(svg: bytes) -> int:
    return sum(1 for group in ElementTree.fromstring(svg).iter(f"{SVG}g") if group.get("class") == "node")


def test_html_text_escapes_markup_doubles_backslashes_and_replaces_what_cannot_be_drawn():
    assert html_text("<a href=\"x\">\\N & 'q'") == "&lt;a href=&quot;x&quot;&gt;\\\\N &amp; &#x27;q&#x27;"
    assert html_text("one\ntwo") == "one<BR/>two"
    assert html_text("one\ntwo", align="LEFT") == 'one<BR ALIGN="LEFT"/>two<BR ALIGN="LEFT"/>'
    assert html_text("\x00\x1f\x7f\ud800\udfff\ufffe") == "\ufffd" * 6
    assert format_number(float("nan")) == "nan" and format_number(1e-9) == "1.000e-09"


def test_hostile_labels_are_drawn_exactly_as_written(renderer):  # noqa: F811 (renderer: the fixture)
    for label in HOSTILE:
        x = Value(2.0, label=label)
        y = x * 3.0
        y.label = "y"
        svg = draw_graph(y, caption=f"caption: {label}").pipe("svg")
        shown = SHOWN.get(label, label)
        assert shown in texts(svg), (label, texts(svg))
        assert f"caption: {shown}" in texts(svg)
        assert nodes(svg) == 3, label  # x, the op *3, y: nothing added, nothing lost


def test_hostile_names_and_op_names_too(renderer):  # noqa: F811 (renderer: the fixture)
    a = Value(1.0)
    weird = Value(5.0, (a,), (1.0,), '<op> "\\N"')
    svg = draw_graph(weird, names={a: "]]> \\G \x00"}).pipe("svg")
    assert '<op> "\\N"' in texts(svg) and "]]> \\G \ufffd" in texts(svg) and nodes(svg) == 3


def test_a_multiline_label_is_several_lines_in_its_box(renderer):  # noqa: F811 (renderer: the fixture)
    x = Value(1.0, label="first line\nsecond line")
    svg = draw_graph(x).pipe("svg")
    assert "first line" in texts(svg) and "second line" in texts(svg) and nodes(svg) == 1


def test_the_step_through_draws_and_writes_hostile_labels_safely():
    x = Value(2.0, label="<script>alert(1)</script> \\N")
    y = x.tanh()
    y.label = "y"
    steps = StepThrough(y)
    assert "<script>alert" not in steps.html() and "&lt;script&gt;alert(1)&lt;/script&gt;" in steps.html()
    assert "(<script>alert(1)</script> \\N).grad += y.grad" in steps.steps[1].text


@pytest.mark.parametrize("label, written", [("\\N", "\\\\N"), ('"', "&quot;"), ("\x00", "\ufffd"), ("<", "&lt;")])
def test_the_dot_text_holds_every_label_escaped(label, written):
    source = draw_graph(Value(1.0, label=label)).source
    assert re.search(r"<B>(.*?)</B>", source).group(1) == written
