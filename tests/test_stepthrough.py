"""StepThrough: one frame per step from the steps alone, and a page that works, fits the window, and degrades."""

import re
import shutil
import subprocess
import tempfile

import pytest
from example_graphs import karpathy_graph

from micrograd_plus import MLP, Value, mse_loss
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.stepthrough import CURRENT, RECEIVING, StepThrough

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def karpathy():  # L = (a*b + c) * f, before backward()
    return karpathy_graph()[0]


def mlp():  # a small MLP's loss over two samples
    model = MLP(2, [3, 1], activation="relu", seed=7)
    return mse_loss([model([0.5, -1.0]), model([-0.25, 2.0])], [1.0, -1.0])


def record_line(source, name):
    return next(line for line in source.splitlines() if f"<B>{name}</B>" in line)


def test_the_repr_counts_frames_and_steps_as_the_page_does():
    steps = StepThrough(karpathy())
    assert len(steps) == 4
    assert repr(steps).startswith("<StepThrough: 4 frames, the start (L.grad = 1.0) then 3 backward steps, one per op")
    assert 'max="3"' in steps.html()  # the page counts "Step 0 of 3" ... "Step 3 of 3"
    assert steps.steps[-1].headline.startswith("Step 3 of 3:")


def test_frames_highlight_the_current_node_and_fill_grads_so_far():
    loss = karpathy()
    steps = StepThrough(loss)
    source = steps[-1].source  # e = a * b
    assert f'BGCOLOR="{CURRENT}"' in record_line(source, "e")
    assert f'BGCOLOR="{RECEIVING}"' in record_line(source, "a") and f'BGCOLOR="{RECEIVING}"' in record_line(source, "b")
    assert "grad 6.0000" in record_line(source, "a")
    first_op = steps[1].source  # L = d * f: a and b have not been reached yet, so their grads are grey
    assert 'COLOR="#757575">grad 0.0000' in record_line(first_op, "a")
    assert 'COLOR="#757575"' not in record_line(first_op, "d")
    assert first_op.count("penwidth=2.5") == 2  # d -> * and f -> *, the edges the gradient flows back along
    assert all(node.grad == 0.0 for node in topological_order(loss))


def test_each_frame_is_drawn_from_the_steps_with_one_sort_and_one_replay(monkeypatch):
    import micrograd_plus.viz.steps as steps_module

    sorts = []
    real = steps_module.ordered_values
    monkeypatch.setattr(steps_module, "ordered_values", lambda roots: sorts.append(1) or real(roots))
    steps = StepThrough(mlp())
    assert len(sorts) == 1 and len(steps.frames) == len(steps.steps)


def test_unlabelled_values_are_named_in_the_frames_as_in_the_text():
    x = Value(0.5)
    y = (x * 2.0).tanh()
    steps = StepThrough(y)
    assert steps.steps[0].name == "y" and "<B>x</B>" in steps[0].source
    child = steps.steps[1].terms[0].child_name
    assert re.fullmatch(r"v\d+", child) and f"<B>{child}</B>" in steps[1].source


def test_bad_arguments_get_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="one picture per op.*more than max_nodes=10"):
        StepThrough(mlp(), max_nodes=10)
    with pytest.raises(TypeError, match="takes one output Value"):
        StepThrough([karpathy()])
    steps = StepThrough(karpathy())
    with pytest.raises(IsADirectoryError, match="which is a folder; give a file name inside it"):
        steps.save_html(tmp_path)
    with pytest.raises(ValueError, match=r"must end in \.html, got .*backprop\.svg"):
        steps.save_html(tmp_path / "backprop.svg")
    assert list(tmp_path.iterdir()) == []


def test_save_html_that_cannot_write_names_the_users_path_never_a_temporary_file(tmp_path, monkeypatch):
    def refused(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", f"{dir}/.backprop.html.abc.tmp")

    steps = StepThrough(karpathy())
    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(PermissionError) as info:
        steps.save_html(tmp_path / "backprop.html")
    assert f"cannot write {str(tmp_path / 'backprop.html')!r}: Permission denied" in str(info.value)
    assert ".tmp" not in str(info.value)


@needs_dot
def test_save_html_is_one_self_contained_page(tmp_path):
    steps = StepThrough(mlp())
    page = steps.save_html(tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("data:image/svg+xml;base64,") == len(steps) + 1
    assert 'src="http' not in page and "<link" not in page and "@import" not in page
    assert "</script>" not in page.split('class="mgp-data">')[1].split("</script>\n<style>")[0]


def test_without_a_renderer_the_page_still_steps_through_the_dot_text(monkeypatch):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    page = StepThrough(karpathy()).html()
    assert "data:image/svg+xml" not in page and page.count("pip install graphviz-pure") == 5  # 4 frames + static


def test_the_notebook_display_is_a_fragment_with_its_own_id_and_a_picture_without_scripts():
    steps = StepThrough(karpathy())
    first, second = steps._repr_html_(), steps._repr_html_()
    ids = [re.search(r'class="mgp-steps" id="([\w-]+)"', html).group(1) for html in (first, second)]
    assert ids[0] != ids[1] and "<!DOCTYPE" not in first and 'document.getElementById("' + ids[0] in first
    assert "document.addEventListener" not in first  # in a notebook the arrow keys belong to the notebook
    # An untrusted notebook removes scripts (and their content): the start is still a picture, with the way back.
    untrusted = re.sub(r"<script.*?</script>", "", first, flags=re.DOTALL)
    assert untrusted.count("<img ") == 1 and "Run this cell to get them back" in untrusted
    assert "<svg" not in untrusted
    # JupyterLab's sanitiser also drops <style> and the hidden attribute: the dead buttons stay out of sight.
    sanitised = re.sub(r"<style>.*?</style>", "", untrusted, flags=re.DOTALL).replace(" hidden", "")
    assert 'style="display: none"' in re.search(r'<div class="mgp-controls"[^>]*>', sanitised).group(0)


# ---- the page in a real browser --------------------------------------------------------------------


def chromium(profile, *arguments):
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dump_dom(path, profile, fragment="", window="1000,700"):
    """The page's DOM after its scripts ran, from headless chromium."""
    return chromium(profile, f"--window-size={window}", "--dump-dom", path.as_uri() + fragment)


def visible_steps(dom):
    sections = re.findall(r'<section class="mgp-frame" data-step="(\d+)"( hidden(?:="")?)?', dom)
    return [int(step) for step, hidden in sections if not hidden]


CLICKS = """<script>
  var box = document.getElementById("mgp-steps");
  for (var i = 0; i < 3; i++) { box.querySelector(".mgp-next").click(); }
  box.querySelector(".mgp-prev").click();
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
  document.body.setAttribute("data-test-done", "yes");
</script>"""
# where the shown picture lands in the window, written into the DOM for the test to read
MEASURE = """<script>
  window.addEventListener("load", function () {
    var frame = document.querySelector('.mgp-frame:not([hidden]) img').getBoundingClientRect();
    document.body.setAttribute("data-fit", [frame.right, frame.bottom, window.innerWidth, window.innerHeight,
                                            frame.width].join(","));
  });
</script>"""


@needs_chromium
def test_the_buttons_and_arrow_keys_move_between_frames_in_headless_chromium(tmp_path):
    page = StepThrough(karpathy()).html()
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.replace("</body>", CLICKS + "</body>"), encoding="utf-8")
    plain = tmp_path / "plain.html"
    plain.write_text(page, encoding="utf-8")

    dom = dump_dom(plain, tmp_path / "profile")
    assert 'data-current="0"' in dom and visible_steps(dom) == [0]  # the script ran and hid all but one
    assert 'class="mgp-controls" hidden' not in dom and "Step 0 of 3" in dom
    assert re.search(r'<section class="mgp-static" hidden', dom)

    dom = dump_dom(clicked, tmp_path / "profile")
    assert 'data-test-done="yes"' in dom
    # next x3 -> 3, prev -> 2, right arrow -> 3, right arrow again -> 3 (the last frame stays)
    assert 'data-current="3"' in dom and visible_steps(dom) == [3] and "Step 3 of 3" in dom

    dom = dump_dom(plain, tmp_path / "profile", "#step=2")  # a teacher can link to one step
    assert visible_steps(dom) == [2]


@needs_chromium
def test_a_page_whose_script_is_broken_shows_the_start_and_says_why(tmp_path):
    # The check above must be able to fail: with the script broken, no frame is built and the start stays.
    page = StepThrough(karpathy()).html()
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("function show(step)", "function show(step"), encoding="utf-8")
    dom = dump_dom(broken, tmp_path / "profile")
    assert 'data-current="' not in dom and visible_steps(dom) == []
    assert "the buttons for all 3 steps need JavaScript" in dom and 'class="mgp-controls" hidden' in dom


@needs_dot
@needs_chromium
@pytest.mark.parametrize("window", ["1400,900", "700,500"])
def test_the_page_fits_the_window(tmp_path, window):
    model = MLP(3, [2, 1], activation="tanh", seed=0)  # a wide drawing: 30 Values side by side
    page = StepThrough(model([0.5, -1.0, 2.0]), names=model).html()
    path = tmp_path / "page.html"
    path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = dump_dom(path, tmp_path / "profile", window=window)
    right, bottom, width, height, shown = (float(x) for x in re.search(r'data-fit="([^"]+)"', dom).group(1).split(","))
    assert right <= width and bottom <= height and shown > 100


def test_the_ipywidgets_view_moves_with_its_buttons():
    ipywidgets = pytest.importorskip("ipywidgets", reason="ipywidgets is optional (pip install ipywidgets)")
    steps = StepThrough(karpathy())
    widget = steps.widget()
    assert isinstance(widget, ipywidgets.VBox)
    (previous, slider, next_), view = widget.children[0].children, widget.children[1]
    assert steps.steps[0].headline in view.value
    for _ in range(5):  # past the end: stays on the last step
        next_.click()
    previous.click()
    assert slider.value == 2 and steps.steps[2].headline in view.value
