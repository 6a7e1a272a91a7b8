"""Every op kind in words (viz/ops.py): the formula that made it, its local derivatives with the right numbers, and
its label in a drawing, folded constants included (x * 2 is one node, "× 2")."""

import math
import re

import pytest

from micrograd_plus import Value
from micrograd_plus.functional import add_all, dot, linear, logsumexp, softmax
from micrograd_plus.gpt import attention_scores, rms_norm, softmax_cross_entropy
from micrograd_plus.losses import cross_entropy
from micrograd_plus.viz import draw_graph
from micrograd_plus.viz.ops import RULES, op_kind
from micrograd_plus.viz.steps import backward_steps

PRODUCT = ": each factor's derivative is the other factor"
INPUTS = {"a": 1.5, "b": -0.4, "c": 0.7, "d": 0.9}
# kind, how y is made from a, b, c, d (named Values), the step's headline formula, and its local derivative line,
# "#" standing for each number (checked below against finite differences, child by child)
CASES = [
    ("*c", lambda a, b, c, d: a * 2, "y = a · 2", "∂y/∂a = 2 (the constant)"),
    ("*c", lambda a, b, c, d: 0.5 * a, "y = a · 0.5", "∂y/∂a = 0.5 (the constant)"),
    ("*c", lambda a, b, c, d: a * -2, "y = a · (-2)", "∂y/∂a = -2 (the constant)"),
    ("*c", lambda a, b, c, d: a * (1 / 3), "y = a · 0.333333", "∂y/∂a = 0.333333 (the constant)"),
    ("+c", lambda a, b, c, d: a + 1, "y = a + 1", "∂y/∂a = 1"),
    ("+c", lambda a, b, c, d: a + 1e-6, "y = a + 1e-06", "∂y/∂a = 1"),
    ("-c", lambda a, b, c, d: a - 1, "y = a - 1", "∂y/∂a = 1"),
    ("c-", lambda a, b, c, d: 1 - a, "y = 1 - a", "∂y/∂a = -1"),
    ("/c", lambda a, b, c, d: a / 2, "y = a / 2", "∂y/∂a = 1/2 = #"),
    ("c/", lambda a, b, c, d: 2 / a, "y = 2 / a", "∂y/∂a = -2/a² = #"),
    ("**c", lambda a, b, c, d: a**2, "y = a**2", "∂y/∂a = 2·a = #"),
    ("**c", lambda a, b, c, d: a**1, "y = a**1", "∂y/∂a = 1"),
    ("c**", lambda a, b, c, d: 2**a, "y = 2**a", "∂y/∂a = 2**a·ln(2) = #"),
    ("neg", lambda a, b, c, d: -a, "y = -a", "∂y/∂a = -1"),
    ("+", lambda a, b, c, d: a + b, "y = a + b", "∂y/∂a = 1 and ∂y/∂b = 1"),
    ("-", lambda a, b, c, d: a - b, "y = a - b", "∂y/∂a = 1 and ∂y/∂b = -1"),
    ("*", lambda a, b, c, d: a * b, "y = a · b", "∂y/∂a = b = # and ∂y/∂b = a = #" + PRODUCT),
    ("/", lambda a, b, c, d: a / b, "y = a / b", "∂y/∂a = 1/b = # and ∂y/∂b = -a/b² = #"),
    ("**", lambda a, b, c, d: a**c, "y = a**c", "∂y/∂a = c·a**(c-1) = # and ∂y/∂c = a**c·ln(a) = #"),
    ("sum", lambda a, b, c, d: add_all([a, b, c]), "y = a + b + c", "∂y/∂a = 1, ∂y/∂b = 1 and ∂y/∂c = 1"),
    ("dot", lambda a, b, c, d: dot([a, b], [c, d]), "y = a·c + b·d",
     "∂y/∂a = c = # and ∂y/∂c = a = #, and likewise for the other 2" + PRODUCT),
    ("w·x+b", lambda a, b, c, d: linear([b], [a], c), "y = a·b + c",
     "∂y/∂a = b = #, ∂y/∂b = a = # and ∂y/∂c = 1: each weight's derivative is its input, each input's is its weight"),
    ("softmax", lambda a, b, c, d: softmax([a, b, c])[1], "y = exp(b) / (exp(a) + exp(b) + exp(c))",
     "∂y/∂a = -y·p(a) = #, ∂y/∂b = y·(1 - y) = # and ∂y/∂c = -y·p(c) = #, where p = softmax(a, b, c)"),
    ("logsumexp", lambda a, b, c, d: logsumexp([a, b, c]), "y = ln(exp(a) + exp(b) + exp(c))",
     "∂y/∂a = exp(a - y) = #, ∂y/∂b = exp(b - y) = # and ∂y/∂c = exp(c - y) = #: the softmax of a, b, c"),
    ("cross_entropy", lambda a, b, c, d: cross_entropy([a, b, c], 2), "y = ln(exp(a) + exp(b) + exp(c)) - c",
     "∂y/∂a = p(a) = #, ∂y/∂b = p(b) = # and ∂y/∂c = p(c) - 1 = #, where p = softmax(a, b, c): the predicted "
     "probability, minus 1 at the target"),
    ("cross-entropy", lambda a, b, c, d: softmax_cross_entropy([a, b, c], 0), "y = ln(exp(a) + exp(b) + exp(c)) - a",
     "∂y/∂a = p(a) - 1 = #, ∂y/∂b = p(b) = # and ∂y/∂c = p(c) = #, where p = softmax(a, b, c): the predicted "
     "probability, minus 1 at the target"),
    ("1/rms", lambda a, b, c, d: rms_norm([a, b, c])[0]._children[1], "y = 1/sqrt(mean(a², b², c²) + ε)",
     "∂y/∂a = -a·y³/3 = #, ∂y/∂b = -b·y³/3 = # and ∂y/∂c = -c·y³/3 = #"),
    ("q·k/√d", lambda a, b, c, d: attention_scores([a, b], [[c, d]])[0], "y = (a·c + b·d) / √2",
     "∂y/∂a = c/√2 = # and ∂y/∂c = a/√2 = #, and likewise for the other 2"),
]  # fmt: skip
NUMBER = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"


def build(make, **shift):
    """y from fresh leaves a, b, c (each moved by `shift`), labelled as the text names them."""
    leaves = {name: Value(data + shift.get(name, 0.0), label=name) for name, data in INPUTS.items()}
    y = make(**leaves)
    y.label = "y"
    return y


def finite_difference(make, name, h=1e-6):
    return (build(make, **{name: h}).data - build(make, **{name: -h}).data) / (2 * h)


@pytest.mark.parametrize("kind, make, made, rule", CASES, ids=[f"{case[0]} {case[2]}" for case in CASES])
def test_each_op_reads_as_a_teacher_writes_it_and_its_numbers_are_the_derivatives(kind, make, made, rule):
    y = build(make)
    assert op_kind(y)[0] == kind
    step = backward_steps(y)[1]
    assert step.headline.startswith(f"Step 1 of 1: {made} passes its grad (1.0) back to ")
    line = step.text.splitlines()[1].removeprefix("  local derivative: ")
    assert re.fullmatch(re.escape(rule).replace("\\#", NUMBER).replace("\\ ", " "), line), line
    stated = re.findall(rf"∂y/∂(\w) = (?:[^,=∂]+ = )?{NUMBER}", line)
    assert stated, line
    for name, number in stated:  # each stated derivative, whether by formula or as a plain number
        assert float(number) == pytest.approx(finite_difference(make, name), rel=1e-5, abs=1e-8), (name, line)


def test_every_row_of_the_table_has_a_case():
    covered = {kind for kind, *_ in CASES} | {"exp", "log", "tanh", "sigmoid", "softplus", "relu", "abs", "sqrt"}
    assert set(RULES) <= covered | {"sin", "cos"}  # the functions of one child: test_viz_steps.py's UNARY_RULES


def test_the_lessons_example_reads_as_the_chain_rule():
    x = Value(0.3, label="x")
    y = (x * 2 + 1).tanh() * 0.5
    text = "\n".join(step.text for step in backward_steps(y))
    assert "Step 1 of 4: y = v3 · 0.5 passes its grad (1.0) back to v3" in text
    assert "local derivative: ∂y/∂v3 = 0.5 (the constant)\n" in text
    assert "Step 3 of 4: v2 = v1 + 1 passes" in text and "Step 4 of 4: v1 = x · 2 passes" in text
    assert "recorded" not in text and "*0.5" not in text


def test_a_step_names_the_children_it_passes_its_grad_to_as_a_sentence():
    y = build(lambda a, b, c, d: add_all([a, b, c]))
    assert backward_steps(y)[1].headline == "Step 1 of 1: y = a + b + c passes its grad (1.0) back to a, b and c"


DRAWN = [  # how the op node of y reads in a drawing
    (lambda a, b, c, d: a * 2, "× 2"),
    (lambda a, b, c, d: a * (1 / 3), "× 0.333333"),
    (lambda a, b, c, d: a * -2, "× -2"),
    (lambda a, b, c, d: a + 1, "+ 1"),
    (lambda a, b, c, d: a + 1e-6, "+ 1e-06"),
    (lambda a, b, c, d: a - 1, "- 1"),
    (lambda a, b, c, d: 1 - a, "1 -"),
    (lambda a, b, c, d: a / 2, "/ 2"),
    (lambda a, b, c, d: 2 / a, "2 /"),
    (lambda a, b, c, d: a**2, "** 2"),
    (lambda a, b, c, d: 2**a, "2 **"),
    (lambda a, b, c, d: -a, "neg"),
    (lambda a, b, c, d: a * b, "×"),
    (lambda a, b, c, d: a - b, "-"),
    (lambda a, b, c, d: add_all([a, b, c]), "+"),
    (lambda a, b, c, d: dot([a], [b]), "dot"),
    (lambda a, b, c, d: a.tanh(), "tanh"),
]


@pytest.mark.parametrize("make, label", DRAWN, ids=[label for _, label in DRAWN])
def test_a_drawings_op_node_shows_the_op_and_its_constant(make, label):
    source = draw_graph(build(make)).source
    op_labels = re.findall(r"_op \[label=<(.*?)>", source)
    assert op_labels == [label]


def test_an_op_the_table_does_not_know_keeps_its_own_name_in_the_drawing_and_text():
    a = Value(2.0, label="a")
    y = Value(a.data**3, (a,), (3 * a.data**2,), "*cube")  # looks like a folded constant, is not one
    y.label = "y"
    assert re.findall(r"_op \[label=<(.*?)>", draw_graph(y).source) == ["*cube"]
    step = backward_steps(y)[1]
    assert step.headline.startswith("Step 1 of 1: y = *cube(a) passes")
    assert "local derivative: ∂y/∂a = 12.0, as the '*cube' op recorded" in step.text
    assert math.isclose(step.terms[0].local, 12.0)
