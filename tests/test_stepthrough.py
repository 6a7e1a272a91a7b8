"""The backprop step-through: the replay matches backward() exactly, and the HTML page works in a real browser."""

import math
import re
import shutil
import subprocess

import pytest
from example_graphs import karpathy_graph

from micrograd_plus import MLP, Neuron, Value, mse_loss
from micrograd_plus.engine import topological_order
from micrograd_plus.functional import linear
from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.stepthrough import (
    CURRENT,
    LOCAL_RULES,
    RECEIVING,
    StepThrough,
    backward_steps,
    final_grads,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def karpathy():  # L = (a*b + c) * f, before backward()
    return karpathy_graph()[0]


def reuse():  # a*a: the same child twice in one op
    a = Value(3.0, label="a")
    return a * a + a


def shared_intermediate():  # b feeds three ops, two of them through the same child tuple
    a = Value(-1.5, label="a")
    b = (a * 2.0).tanh()
    return b * b + b.exp() - b / (a * a + 1.0)


def neuron():  # the 2n+1-child w·x+b node, then sigmoid and a log
    n = Neuron(3, activation="sigmoid", seed=3)
    xs = [Value(x) for x in (0.3, -1.2, 2.0)]
    return (n(xs) + 0.5).log()


def mlp():  # a small MLP's loss over two samples, with relu, powers and a mean
    model = MLP(2, [3, 1], activation="relu", seed=7)
    return mse_loss([model([0.5, -1.0]), model([-0.25, 2.0])], [1.0, -1.0])


def frozen():  # a frozen parameter: backward() leaves its grad at 0
    w = Value(0.7, label="w")
    w.requires_grad = False
    x = Value(2.0, label="x")
    return linear([x], [w], Value(0.1, label="b")) ** 3


GRAPHS = [karpathy, reuse, shared_intermediate, neuron, mlp, frozen]


@pytest.mark.parametrize("build", GRAPHS, ids=[build.__name__ for build in GRAPHS])
def test_the_replay_ends_with_exactly_the_grads_of_backward(build):
    replayed = build()
    steps = backward_steps(replayed)
    order = topological_order(replayed)
    assert all(node.grad == 0.0 for node in order)  # the replay changed no .grad
    grads = final_grads(steps)
    real = build()  # the same graph built again, filled by the real backward()
    real.backward()
    for mine, theirs in zip(order, topological_order(real), strict=True):
        assert grads.get(mine, 0.0) == theirs.grad  # bit for bit: same float operations, same order


def test_a_step_per_op_newest_first_after_the_seed():
    loss = shared_intermediate()
    steps = backward_steps(loss)
    order = topological_order(loss)
    operations = [node for node in order if node._children]
    assert len(steps) == 1 + len(operations)
    assert steps[0].node is loss and steps[0].terms == () and steps[0].upstream == 1.0
    assert [step.node for step in steps[1:]] == operations[::-1]
    position = {step.node: i for i, step in enumerate(steps[1:])}
    for step in steps[1:]:  # a node passes its gradient on only after every op that uses it has
        for term in step.terms:
            if term.child._children:
                assert position[term.child] > position[step.node]


def test_each_term_is_upstream_times_local_added_to_the_child():
    loss = mlp()
    running = {}
    for step in backward_steps(loss)[1:]:
        assert step.upstream == running.get(step.node, 0.0) or step.node is loss
        for term, child, local in zip(step.terms, step.node._children, step.node._local_grads, strict=True):
            assert term.child is child and term.local == local and term.upstream == step.upstream
            assert term.product == local * step.upstream
            running[child] = running.get(child, 0.0) + term.product
            assert term.total == running[child]


def test_the_chain_rule_text_has_the_numbers():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.label = "c"
    loss = c * 2.0
    loss.label = "L"
    steps = backward_steps(loss)
    assert steps[0].text.startswith("Start: dL/dL = 1.0")
    last = steps[-1]
    assert last.headline == "Step 2 of 2: c = a * b, with dL/dc = 2.0"
    assert "local derivative: dc/da = b = 3.0 and dc/db = a = 2.0: each factor's derivative is the other" in last.text
    assert [term.text for term in last.terms] == [
        "dL/da += dL/dc * dc/da = 2.0 * 3.0 = 6.0",
        "dL/db += dL/dc * dc/db = 2.0 * 2.0 = 4.0",
    ]


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# op, how to apply it to z, the rule it must print, and its derivative computed here with math
UNARY_RULES = [
    ("exp", lambda z: z.exp(), "d exp(z)/dz = exp(z)", math.exp),
    ("log", lambda z: z.log(), "d ln(z)/dz = 1/z", lambda x: 1.0 / x),
    ("tanh", lambda z: z.tanh(), "d tanh(z)/dz = 1 - tanh(z)²", lambda x: 1.0 - math.tanh(x) ** 2),
    ("sigmoid", lambda z: z.sigmoid(), "d σ(z)/dz = σ(z)·(1 - σ(z))", lambda x: sigmoid(x) * (1.0 - sigmoid(x))),
    ("softplus", lambda z: z.softplus(), "d softplus(z)/dz = σ(z)", sigmoid),
    ("relu", lambda z: z.relu(), "d relu(z)/dz = (1 if z > 0, else 0)", lambda x: float(x > 0)),
    ("abs", lambda z: abs(z), "d|z|/dz = sign(z)", lambda x: math.copysign(1.0, x)),
    ("sqrt", lambda z: z.sqrt(), "d sqrt(z)/dz = 1/(2·sqrt(z))", lambda x: 0.5 / math.sqrt(x)),
    ("sin", lambda z: z.sin(), "d sin(z)/dz = cos(z)", math.cos),
    ("cos", lambda z: z.cos(), "d cos(z)/dz = -sin(z)", lambda x: -math.sin(x)),
    ("**2", lambda z: z**2, "dy/dz = 2·z", lambda x: 2.0 * x),
    ("**3", lambda z: z**3, "dy/dz = 3·z**2", lambda x: 3.0 * x**2),
    ("**-1", lambda z: z**-1, "dy/dz = -1·z**(-2)", lambda x: -(x**-2)),
    ("**0.5", lambda z: z**0.5, "dy/dz = 0.5·z**(-0.5)", lambda x: 0.5 * x**-0.5),
    ("**1", lambda z: z**1, "dy/dz = 1", lambda x: 1.0),
]


def test_every_rule_in_the_table_is_checked_below():
    checked = {op for op, *_ in UNARY_RULES} | {"+", "*", "/", "**"}
    assert set(LOCAL_RULES) <= checked


@pytest.mark.parametrize("op, apply, rule, derivative", UNARY_RULES, ids=[case[0] for case in UNARY_RULES])
def test_a_one_child_rule_uses_the_childs_name_and_states_its_number(op, apply, rule, derivative):
    for x in (0.7, -1.3) if op not in ("log", "sqrt", "**0.5") else (0.7, 2.5):
        z = Value(x, label="z")
        y = apply(z)
        y.label = "y"
        step = backward_steps(y)[1]
        assert step.node._op == op
        line = step.text.splitlines()[1]
        stated = line.removeprefix(f"  local derivative: {rule} = ")
        assert stated != line, line  # the rule, in the child's own name, then "= number"
        assert math.isclose(float(stated), derivative(x), rel_tol=1e-5)
        assert "(a)" not in line and "/da" not in line


def binary_rule(build):
    p, q = Value(1.5, label="p"), Value(-0.4, label="q")
    y = build(p, q)
    y.label = "y"
    step = backward_steps(y)[1]
    return step.text.splitlines()[1].removeprefix("  local derivative: "), p.data, q.data


def numbers_in(text):
    return [float(number) for number in re.findall(r"= (-?[0-9.]+(?:e-?\d+)?)(?= and|:|;|$)", text)]


@pytest.mark.parametrize(
    "build, words, derivatives",
    [
        (lambda p, q: p + q, "dy/dp = 1 and dy/dq = 1", lambda p, q: [1.0, 1.0]),
        (lambda p, q: p * q, "dy/dp = q = -0.4 and dy/dq = p = 1.5: each factor", lambda p, q: [q, p]),
        (lambda p, q: p / q, "dy/dp = 1/q = -2.5 and dy/dq = -p/q² = ", lambda p, q: [1 / q, -p / q**2]),
    ],
    ids=["add", "mul", "div"],
)
def test_a_two_child_rule_uses_both_childrens_names(build, words, derivatives):
    rule, p, q = binary_rule(build)
    assert rule.startswith(words) and "da" not in rule and "db" not in rule
    assert numbers_in(rule) == pytest.approx(derivatives(p, q), rel=1e-5)


def test_the_power_of_two_values_states_both_derivatives():
    p, q = Value(1.5, label="p"), Value(2.5, label="q")
    y = p**q
    y.label = "y"
    rule = backward_steps(y)[1].text.splitlines()[1]
    assert "dy/dp = q·p**(q-1) = " in rule and "dy/dq = p**q·ln(p) = " in rule
    assert numbers_in(rule) == pytest.approx([2.5 * 1.5**1.5, 1.5**2.5 * math.log(1.5)], rel=1e-5)


def test_the_reviewers_examples_read_with_the_lessons_own_names():
    # a lesson with its own a and b: the rules must not call other Values a and b
    a, b = Value(2.0, label="a"), Value(0.4, label="b")
    e = a * b
    e.label = "e"
    d = e.tanh()
    d.label = "d"
    s = b**2
    s.label = "s"
    loss = d + s
    text = StepThrough(loss).text()
    assert f"d tanh(e)/de = 1 - tanh(e)² = {1 - math.tanh(0.8) ** 2:.6g}" in text
    assert "ds/db = 2·b = 0.8" in text
    assert "tanh(a)" not in text and "a**2" not in text and "(a+b)" not in text


def test_a_neurons_rule_names_its_weights_inputs_and_bias():
    n = Neuron(3, activation="linear", seed=3)
    xs = [Value(x, label=f"x{i}") for i, x in enumerate((0.3, -1.2, 2.0))]
    step = backward_steps(n(xs), names=n)[1]
    rule = step.text.splitlines()[1]
    w0, w1 = (f"{w.data:.6g}" for w in n.w[:2])
    assert f"(dL/dw.0 = x0 = 0.3, dL/dx0 = w.0 = {w0}, dL/dw.1 = x1 = -1.2, dL/dx1 = w.1 = {w1}, ...)" in rule
    assert rule.endswith("and dL/db = 1")


def test_a_child_used_twice_is_named_once_per_use_and_the_rule_says_they_add_up():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    rule = backward_steps(y)[1].text.splitlines()[1]
    assert "dy/da = a = 3.0 and dy/da = a = 3.0" in rule and "a is used twice here, so its 2 terms below add up" in rule
    x = Value(1.0, label="x")
    twice = linear([x, x], [Value(0.5, label="w"), Value(0.2, label="u")], Value(0.1, label="c"))
    assert "x is used twice here" in backward_steps(twice)[1].text


def test_unlabelled_values_are_named_in_the_rule_as_in_the_frame():
    x = Value(0.5)
    y = (x * 2.0).tanh()
    steps = StepThrough(y)
    tanh_step = steps.steps[1]
    child = steps.steps[1].terms[0].child_name
    assert re.fullmatch(r"v\d+", child)
    assert f"d tanh({child})/d{child} = 1 - tanh({child})² = " in tanh_step.text
    assert f"<B>{child}</B>" in steps[1].source  # the frame shows the same name


def test_an_op_the_table_does_not_know_states_the_numbers_it_recorded():
    c = Value(2.0, label="c")
    cube = Value(c.data**3, (c,), (3 * c.data**2,), "cube")
    cube.label = "k"
    assert "local derivative: dk/dc = 12.0, as the 'cube' op recorded" in backward_steps(cube)[1].text


def test_reuse_says_how_the_gradient_adds_up():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    terms = backward_steps(y)[1].terms
    assert terms[0].text == "dy/da += dy/dy * dy/da = 1.0 * 3.0 = 3.0"
    assert terms[1].text == "dy/da += dy/dy * dy/da = 1.0 * 3.0 = 3.0, so dy/da is now 6.0"


def test_unnamed_values_get_the_names_draw_graph_uses_and_module_names_win():
    model = MLP(1, [1], seed=0)
    out = model([Value(0.5)])
    steps = backward_steps(out, names=model)
    assert steps[0].name == "L"
    names = [term.child_name for term in steps[1].terms]
    assert names == ["layers.0.neurons.0.w.0", "v1", "layers.0.neurons.0.b"]
    assert steps[1].headline.startswith("Step 1 of 1: L = layers.0.neurons.0.w.0·v1 + layers.0.neurons.0.b, with")


def test_apply_runs_the_real_backward_and_the_default_leaves_grads_alone():
    loss = karpathy()
    loss.backward()
    before = [node.grad for node in topological_order(loss)]
    backward_steps(loss)
    assert [node.grad for node in topological_order(loss)] == before
    backward_steps(loss, apply=True)  # leaves accumulate, exactly as a second backward() would
    reference = karpathy()
    reference.backward()
    reference.backward()
    assert [node.grad for node in topological_order(loss)] == [node.grad for node in topological_order(reference)]


def test_a_gradient_other_than_one_seeds_the_output():
    loss = karpathy()
    grads = final_grads(backward_steps(loss, gradient=0.5))
    loss.backward(0.5)
    assert all(grads[node] == node.grad for node in topological_order(loss))


def test_bad_arguments_get_clear_errors():
    with pytest.raises(TypeError, match="takes the output Value"):
        backward_steps([Value(1.0)])
    with pytest.raises(TypeError, match="real number"):
        backward_steps(Value(1.0), gradient="one")
    with pytest.raises(ValueError, match="one frame per op.*more than max_nodes=10"):
        StepThrough(mlp(), max_nodes=10)
    with pytest.raises(ValueError, match="empty list"):
        final_grads([])


# ---- frames --------------------------------------------------------------------------------------


def record_line(source, name):
    return next(line for line in source.splitlines() if f"<B>{name}</B>" in line)


def test_the_repr_counts_frames_and_steps_as_the_page_does():
    steps = StepThrough(karpathy())
    assert len(steps) == 4
    assert repr(steps).startswith("<StepThrough: 4 frames, the start (dL/dL = 1.0) then 3 backward steps, one per op")
    assert 'max="3"' in steps.html()  # the page counts "Step 0 of 3" ... "Step 3 of 3"
    assert steps.steps[-1].headline.startswith("Step 3 of 3:")


def test_save_html_on_a_folder_or_without_html_says_what_to_do(tmp_path):
    steps = StepThrough(karpathy())
    with pytest.raises(IsADirectoryError, match="which is a folder; give a file name inside it"):
        steps.save_html(tmp_path)
    with pytest.raises(ValueError, match=r"must end in \.html, got .*backprop\.svg"):
        steps.save_html(tmp_path / "backprop.svg")
    assert list(tmp_path.iterdir()) == []


def test_frames_highlight_the_current_node_and_fill_grads_so_far():
    loss = karpathy()
    steps = StepThrough(loss)
    assert len(steps) == len(steps.steps) == 4
    last = steps.steps[-1]  # e = a * b
    source = steps[-1].source
    assert f'BGCOLOR="{CURRENT}"' in record_line(source, "e")
    assert f'BGCOLOR="{RECEIVING}"' in record_line(source, "a") and f'BGCOLOR="{RECEIVING}"' in record_line(source, "b")
    assert "grad 6.0000" in record_line(source, "a") and last.headline in source
    first_op = steps[1].source  # L = d * f: a and b have not been reached yet, so their grads are grey
    assert 'COLOR="#9e9e9e">grad 0.0000' in record_line(first_op, "a")
    assert 'COLOR="#9e9e9e"' not in record_line(first_op, "d")
    assert first_op.count("penwidth=2.5") == 2  # d -> * and f -> *, the edges the gradient flows back along
    assert all(node.grad == 0.0 for node in topological_order(loss))


@needs_dot
def test_save_html_is_one_self_contained_page(tmp_path):
    steps = StepThrough(mlp(), names=None)
    page = steps.save_html(tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == len(steps)
    assert "<script" in page and "src=" not in page and "<link" not in page and "@import" not in page
    # the only addresses are the SVG namespace names, which browsers never fetch
    assert set(re.findall(r"https?://[^\"' ]+", page)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for step in steps.steps:
        assert step.text.replace("<", "&lt;").replace(">", "&gt;") in page.replace("&#x27;", "'")


def test_without_a_renderer_the_page_still_steps_through_the_dot_text(monkeypatch, tmp_path):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    page = StepThrough(karpathy()).html()
    assert "<svg" not in page and page.count("pip install graphviz-pure") == 4


def test_the_notebook_display_is_a_fragment_with_its_own_id():
    steps = StepThrough(karpathy())
    first, second = steps._repr_html_(), steps._repr_html_()
    ids = [re.search(r'class="mgp-steps" id="([\w-]+)"', html).group(1) for html in (first, second)]
    assert ids[0] != ids[1] and "<!DOCTYPE" not in first and 'document.getElementById("' + ids[0] in first
    assert "document.addEventListener" not in first  # in a notebook the arrow keys belong to the notebook


# ---- the page in a real browser --------------------------------------------------------------------


def dump_dom(path, profile, fragment=""):
    """The page's DOM after its scripts ran, from headless chromium."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        path.as_uri() + fragment,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def visible_steps(dom):
    sections = re.findall(r'<section class="mgp-frame" data-step="(\d+)"( hidden(?:="")?)?', dom)
    return [int(step) for step, hidden in sections if not hidden]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_the_buttons_and_arrow_keys_move_between_frames_in_headless_chromium(tmp_path):
    steps = StepThrough(karpathy())
    page = steps.html()
    clicks = """<script>
      var box = document.getElementById("mgp-steps");
      for (var i = 0; i < 3; i++) { box.querySelector(".mgp-next").click(); }
      box.querySelector(".mgp-prev").click();
      document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
      document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
      document.body.setAttribute("data-test-done", "yes");
    </script>"""
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.replace("</body>", clicks + "</body>"), encoding="utf-8")
    plain = tmp_path / "plain.html"
    plain.write_text(page, encoding="utf-8")

    dom = dump_dom(plain, tmp_path / "profile")
    assert 'data-current="0"' in dom and visible_steps(dom) == [0]  # the script ran and hid all but one
    assert 'class="mgp-controls" hidden' not in dom and "Step 0 of 3" in dom

    dom = dump_dom(clicked, tmp_path / "profile")
    assert 'data-test-done="yes"' in dom
    # next x3 -> 3, prev -> 2, right arrow -> 3, right arrow again -> 3 (the last frame stays)
    assert 'data-current="3"' in dom and visible_steps(dom) == [3] and "Step 3 of 3" in dom

    dom = dump_dom(plain, tmp_path / "profile", "#step=2")  # a teacher can link to one step
    assert visible_steps(dom) == [2]


def test_a_page_whose_script_is_broken_fails_the_browser_check(tmp_path):
    # The check above must be able to fail: with the script removed, every frame stays visible.
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = StepThrough(karpathy()).html()
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("function show(step)", "function show(step"), encoding="utf-8")
    dom = dump_dom(broken, tmp_path / "profile")
    assert 'data-current="' not in dom and visible_steps(dom) == [0, 1, 2, 3]


def test_numbers_in_the_text_are_short_and_exact():
    x = Value(0.1, label="x")
    y = x * 3.0
    y.label = "y"
    term = backward_steps(y)[1].terms[0]
    assert term.text == "dy/dx += dy/dy * dy/dx = 1.0 * 3.0 = 3.0"
    tiny = backward_steps(Value(1e-7, label="t") * Value(2.0))[1].terms[1]
    assert tiny.text.endswith("= 1.0 * 1e-07 = 1e-07") and math.isclose(tiny.product, 1e-7)


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
