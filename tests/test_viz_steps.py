"""backward_steps: the replay matches backward() bit for bit, and its text speaks the chain rule unambiguously."""

import math
import re

import pytest
from example_graphs import karpathy_graph

from micrograd_plus import MLP, Neuron, Value, mse_loss
from micrograd_plus.engine import topological_order
from micrograd_plus.functional import linear
from micrograd_plus.viz.steps import backward_steps, final_grads


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
    operations = [node for node in topological_order(loss) if node._children]
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


def test_the_chain_rule_text_has_the_numbers_as_the_code_does_it():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.label = "c"
    loss = c * 2.0
    loss.label = "L"
    steps = backward_steps(loss)
    assert steps[0].text.startswith("Start: L.grad = 1.0\n  ∂L/∂L = 1: the output's own gradient starts")
    assert max(len(line) for step in steps for line in step.text.splitlines()) <= 120  # no mid-word break in Jupyter
    last = steps[-1]
    assert last.headline == "Step 2 of 2: c = a · b passes its grad (2.0) back to a and b"
    assert "local derivative: ∂c/∂a = b = 3.0 and ∂c/∂b = a = 2.0: each factor's derivative is the other" in last.text
    assert [term.text for term in last.terms] == [
        "a.grad += c.grad × ∂c/∂a = 2.0 × 3.0 = 6.0",
        "b.grad += c.grad × ∂c/∂b = 2.0 × 2.0 = 4.0",
    ]


def lecture_neuron():
    """The Zero-to-Hero lecture's neuron, with its labels: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_the_lectures_neuron_reads_as_the_chain_rule():
    steps = backward_steps(lecture_neuron())
    assert steps[1].text.splitlines() == [
        "Step 1 of 5: o = tanh(n) passes its grad (1.0) back to n",
        "  local derivative: ∂o/∂n = 1 - tanh(n)² = 0.5",
        "  n.grad += o.grad × ∂o/∂n = 1.0 × 0.5 = 0.5",
    ]
    assert steps[2].headline == (
        "Step 2 of 5: n = (x1*w1 + x2*w2) + b passes its grad (0.5) back to (x1*w1 + x2*w2) and b"
    )
    assert "(x1*w1 + x2*w2).grad += n.grad × ∂n/∂(x1*w1 + x2*w2) = 0.5 × 1.0 = 0.5" in steps[2].text
    assert steps[3].headline == "Step 3 of 5: x1*w1 + x2*w2 passes its grad (0.5) back to (x1*w1) and (x2*w2)"
    assert steps[5].headline == "Step 5 of 5: x1*w1 passes its grad (0.5) back to x1 and w1"  # named as labelled
    assert "w1.grad += (x1*w1).grad × ∂(x1*w1)/∂w1 = 0.5 × 2.0 = 1.0" in steps[4].text + steps[5].text
    for step in steps:
        for term in step.terms:  # never the same expression on both sides of +=
            left, right = term.text.split(" += ")
            assert left not in right.split(" = ")[0], term.text


def test_the_output_is_named_as_the_code_names_it():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b + b**2
    d = c.tanh()
    steps = backward_steps(d)  # the README's ten lines: d has no label, but the code calls it d
    assert steps[0].headline == "Start: d.grad = 1.0" and steps[1].headline.startswith("Step 1 of 4: d = tanh(c)")
    assert steps[0].name == "d" and "∂d/∂d" in steps[0].text
    assert backward_steps(Value(2.0) * Value(3.0))[0].headline == "Start: out.grad = 1.0"  # held by no variable


def test_karpathys_graph_with_an_output_called_d_has_no_dd():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    text = "\n".join(step.text for step in backward_steps(d))
    assert "dd/d" not in text and "e.grad += d.grad × ∂d/∂e = 1.0 × 1.0 = 1.0" in text


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# op, how to apply it to z, the rule it must print, and its derivative computed here with math
UNARY_RULES = [
    ("exp", lambda z: z.exp(), "∂y/∂z = exp(z)", math.exp),
    ("log", lambda z: z.log(), "∂y/∂z = 1/z", lambda x: 1.0 / x),
    ("tanh", lambda z: z.tanh(), "∂y/∂z = 1 - tanh(z)²", lambda x: 1.0 - math.tanh(x) ** 2),
    ("sigmoid", lambda z: z.sigmoid(), "∂y/∂z = σ(z)·(1 - σ(z))", lambda x: sigmoid(x) * (1.0 - sigmoid(x))),
    ("softplus", lambda z: z.softplus(), "∂y/∂z = σ(z)", sigmoid),
    ("relu", lambda z: z.relu(), "∂y/∂z = (1 if z > 0, else 0)", lambda x: float(x > 0)),
    ("abs", lambda z: abs(z), "∂y/∂z = sign(z)", lambda x: math.copysign(1.0, x)),
    ("sqrt", lambda z: z.sqrt(), "∂y/∂z = 1/(2·sqrt(z))", lambda x: 0.5 / math.sqrt(x)),
    ("sin", lambda z: z.sin(), "∂y/∂z = cos(z)", math.cos),
    ("cos", lambda z: z.cos(), "∂y/∂z = -sin(z)", lambda x: -math.sin(x)),
    ("**2", lambda z: z**2, "∂y/∂z = 2·z", lambda x: 2.0 * x),
    ("**3", lambda z: z**3, "∂y/∂z = 3·z**2", lambda x: 3.0 * x**2),
    ("**-1", lambda z: z**-1, "∂y/∂z = -1·z**(-2)", lambda x: -(x**-2)),
    ("**0.5", lambda z: z**0.5, "∂y/∂z = 0.5·z**(-0.5)", lambda x: 0.5 * x**-0.5),
]


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


def binary_rule(build):
    p, q = Value(1.5, label="p"), Value(-0.4, label="q")
    y = build(p, q)
    y.label = "y"
    return backward_steps(y)[1].text.splitlines()[1].removeprefix("  local derivative: "), p.data, q.data


def numbers_in(text):
    return [float(number) for number in re.findall(r"= (-?[0-9.]+(?:e-?\d+)?)(?= and|:|;|$)", text)]


@pytest.mark.parametrize(
    "build, words, derivatives",
    [
        (lambda p, q: p + q, "∂y/∂p = 1 and ∂y/∂q = 1", lambda p, q: [1.0, 1.0]),
        (lambda p, q: p * q, "∂y/∂p = q = -0.4 and ∂y/∂q = p = 1.5: each factor", lambda p, q: [q, p]),
        (lambda p, q: p / q, "∂y/∂p = 1/q = -2.5 and ∂y/∂q = -p/q² = ", lambda p, q: [1 / q, -p / q**2]),
    ],
    ids=["add", "mul", "div"],
)
def test_a_two_child_rule_uses_both_childrens_names(build, words, derivatives):
    rule, p, q = binary_rule(build)
    assert rule.startswith(words)
    assert numbers_in(rule) == pytest.approx(derivatives(p, q), rel=1e-5)


def test_the_power_of_two_values_states_both_derivatives():
    p, q = Value(1.5, label="p"), Value(2.5, label="q")
    y = p**q
    y.label = "y"
    rule = backward_steps(y)[1].text.splitlines()[1]
    assert "∂y/∂p = q·p**(q-1) = " in rule and "∂y/∂q = p**q·ln(p) = " in rule
    assert numbers_in(rule) == pytest.approx([2.5 * 1.5**1.5, 1.5**2.5 * math.log(1.5)], rel=1e-5)


def test_a_neurons_rule_names_its_weights_inputs_and_bias():
    n = Neuron(3, activation="linear", seed=3)
    xs = [Value(x, label=f"x{i}") for i, x in enumerate((0.3, -1.2, 2.0))]
    step = backward_steps(n(xs), names=n)[1]
    rule = step.text.splitlines()[1]
    w0 = f"{n.w[0].data:.6g}"
    assert rule == (
        f"  local derivative: ∂out/∂w.0 = x0 = 0.3, ∂out/∂x0 = w.0 = {w0} and ∂out/∂b = 1, and likewise for the other "
        "4: each weight's derivative is its input, each input's is its weight"
    )
    assert step.headline.startswith("Step 1 of 1: out = w.0·x0 + w.1·x1 + w.2·x2 + b passes")
    assert step.headline.endswith("back to its 7 inputs")


def test_a_child_used_twice_is_named_once_per_use_and_the_rule_says_they_add_up():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    step = backward_steps(y)[1]
    rule = step.text.splitlines()[1]
    assert "∂y/∂a = a = 3.0 and ∂y/∂a = a = 3.0" in rule and "a is used twice here, so its 2 terms below add up" in rule
    assert [term.text for term in step.terms] == [
        "a.grad += y.grad × ∂y/∂a = 1.0 × 3.0 = 3.0",
        "a.grad += y.grad × ∂y/∂a = 1.0 × 3.0 = 3.0, so a.grad is now 6.0",
    ]
    x = Value(1.0, label="x")
    twice = linear([x, x], [Value(0.5, label="w"), Value(0.2, label="u")], Value(0.1, label="c"))
    assert "x is used twice here" in backward_steps(twice)[1].text


def test_unnamed_values_are_v_and_their_position_and_module_names_win():
    model = MLP(1, [1], seed=0)
    steps = backward_steps(model([Value(0.5)]), names=model)
    assert steps[0].name == "out"
    assert [term.child_name for term in steps[1].terms] == ["layers.0.neurons.0.w.0", "v1", "layers.0.neurons.0.b"]
    assert steps[1].headline.startswith("Step 1 of 1: out = layers.0.neurons.0.w.0·v1 + layers.0.neurons.0.b")


def test_an_op_the_table_does_not_know_states_the_numbers_it_recorded():
    c = Value(2.0, label="c")
    cube = Value(c.data**3, (c,), (3 * c.data**2,), "cube")
    cube.label = "k"
    assert "local derivative: ∂k/∂c = 12.0, as the 'cube' op recorded" in backward_steps(cube)[1].text


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
    steps = backward_steps(loss, gradient=0.5)
    grads = final_grads(steps)
    loss.backward(0.5)
    assert all(grads[node] == node.grad for node in topological_order(loss))
    assert "backward(0.5) seeds it with 0.5" in steps[0].text


def test_bad_arguments_get_clear_errors():
    with pytest.raises(TypeError, match="takes the output Value"):
        backward_steps([Value(1.0)])
    with pytest.raises(TypeError, match="real number"):
        backward_steps(Value(1.0), gradient="one")
    with pytest.raises(ValueError, match="empty list"):
        final_grads([])


def test_numbers_in_the_text_are_short_and_exact():
    x = Value(0.1, label="x")
    y = x * 3.0
    y.label = "y"
    term = backward_steps(y)[1].terms[0]
    assert term.text == "x.grad += y.grad × ∂y/∂x = 1.0 × 3.0 = 3.0"
    tiny = backward_steps(Value(1e-7, label="t") * Value(2.0))[1].terms[1]
    assert tiny.text.endswith("= 1.0 × 1e-07 = 1e-07") and math.isclose(tiny.product, 1e-7)
