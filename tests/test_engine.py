"""Value: every op against PyTorch (float64) and against finite differences, plus the bad inputs."""

import gc
import math
import random

import pytest
import torch

from micrograd_plus import MLP, Value, engine, gradcheck, linear, logsumexp, no_gc, softmax
from micrograd_plus.datasets import make_moons
from micrograd_plus.engine import topological_order

# float64 results may differ from PyTorch's only in the last few bits
RTOL = 1e-12
ATOL = 1e-14

OPS = [  # name, ours, torch's, inputs
    ("add", lambda a, b: a + b, lambda a, b: a + b, [1.5, -2.0]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [1.5, -2.0]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [1.5, -2.0]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [1.5, -2.0]),
    ("neg", lambda a: -a, lambda a: -a, [0.7]),
    ("radd", lambda a: 2 + a, lambda a: 2 + a, [0.7]),
    ("rsub", lambda a: 2 - a, lambda a: 2 - a, [0.7]),
    ("rmul", lambda a: 2 * a, lambda a: 2 * a, [0.7]),
    ("rdiv", lambda a: 2 / a, lambda a: 2 / a, [0.7]),
    ("rpow", lambda a: 2**a, lambda a: 2**a, [0.7]),
    ("pow_square", lambda a: a**2, lambda a: a**2, [-1.3]),
    ("pow_cube", lambda a: a**3, lambda a: a**3, [-1.3]),
    ("pow_half", lambda a: a**0.5, lambda a: a**0.5, [2.3]),
    ("pow_minus_one", lambda a: a**-1, lambda a: a**-1, [-2.3]),
    ("pow_zero", lambda a: a**0, lambda a: a**0, [2.3]),
    ("pow_value", lambda a, b: a**b, lambda a, b: a**b, [1.7, 2.2]),
    ("pow_value_negative_exponent", lambda a, b: a**b, lambda a, b: a**b, [0.4, -1.5]),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [0.7]),
    ("log", lambda a: a.log(), lambda a: a.log(), [0.7]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [0.7]),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [0.7]),
    ("sigmoid_negative", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [-3.1]),
    ("softplus", lambda a: a.softplus(), torch.nn.functional.softplus, [0.7]),
    ("softplus_negative", lambda a: a.softplus(), torch.nn.functional.softplus, [-3.1]),
    ("relu_positive", lambda a: a.relu(), lambda a: a.relu(), [0.7]),
    ("relu_negative", lambda a: a.relu(), lambda a: a.relu(), [-0.7]),
    ("abs_positive", lambda a: a.abs(), lambda a: a.abs(), [0.7]),
    ("abs_negative", lambda a: a.abs(), lambda a: a.abs(), [-0.7]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [2.3]),
    ("sin", lambda a: a.sin(), lambda a: a.sin(), [0.7]),
    ("cos", lambda a: a.cos(), lambda a: a.cos(), [0.7]),
    ("reuse", lambda a: a * a + a, lambda a: a * a + a, [3.0]),
    ("reuse_many_times", lambda a: a * a * a * a + a / a - a, lambda a: a * a * a * a + a / a - a, [1.1]),
    ("shared_intermediate", lambda a, b: (c := a * b) * c + c, lambda a, b: (c := a * b) * c + c, [0.5, -1.5]),
    (
        "linear",
        lambda w0, w1, x0, x1, b: linear([x0, x1], [w0, w1], b).tanh(),
        lambda w0, w1, x0, x1, b: (w0 * x0 + w1 * x1 + b).tanh(),
        [0.3, -0.8, 1.5, 0.25, 0.1],
    ),
    (
        "softmax",
        lambda a, b, c: softmax([a, b, c])[1] * 3.0 + softmax([a, b, c])[2],
        lambda a, b, c: (s := torch.softmax(torch.stack([a, b, c]), 0))[1] * 3.0 + s[2],
        [0.5, -1.2, 2.0],
    ),
    (
        "logsumexp",
        lambda a, b, c: logsumexp([a, b, c]),
        lambda a, b, c: torch.logsumexp(torch.stack([a, b, c]), 0),
        [0.5, -1.2, 2.0],
    ),
]


def run_ours(f, inputs):
    values = [Value(x) for x in inputs]
    out = f(*values)
    out.backward()
    return out.data, [v.grad for v in values]


def run_torch(f, inputs):
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = f(*tensors)
    out.backward()
    return out.item(), [t.grad.item() for t in tensors]


@pytest.mark.parametrize("name, ours, theirs, inputs", OPS, ids=[op[0] for op in OPS])
def test_op_matches_pytorch(name, ours, theirs, inputs):
    data, grads = run_ours(ours, inputs)
    torch_data, torch_grads = run_torch(theirs, inputs)
    assert data == pytest.approx(torch_data, rel=RTOL, abs=ATOL)
    assert grads == pytest.approx(torch_grads, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("name, ours, theirs, inputs", OPS, ids=[op[0] for op in OPS])
def test_op_matches_finite_differences(name, ours, theirs, inputs):
    assert gradcheck(ours, inputs, eps=1e-6, atol=1e-7, rtol=1e-6)


# ---- random expression trees, compared with PyTorch ---------------------------------------

UNARY = [
    ("tanh", lambda v: v.tanh(), lambda t: t.tanh()),
    ("sigmoid", lambda v: v.sigmoid(), lambda t: t.sigmoid()),
    ("exp_of_tanh", lambda v: v.tanh().exp(), lambda t: t.tanh().exp()),
    ("square", lambda v: v**2, lambda t: t**2),
    ("relu", lambda v: v.relu(), lambda t: t.relu()),
    ("log_of_softplus", lambda v: (v.softplus() + 0.1).log(), lambda t: (torch.nn.functional.softplus(t) + 0.1).log()),
    ("sin", lambda v: v.sin(), lambda t: t.sin()),
    ("neg", lambda v: -v, lambda t: -t),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("safe_div", lambda a, b: a / (b * b + 1.0)),
]


def random_expression(rng: random.Random, depth: int):
    """A random recipe: a nested tuple that both engines can evaluate."""
    if depth == 0 or rng.random() < 0.2:
        return ("leaf", rng.randrange(3))
    if rng.random() < 0.4:
        return ("unary", rng.randrange(len(UNARY)), random_expression(rng, depth - 1))
    return (
        "binary",
        rng.randrange(len(BINARY)),
        random_expression(rng, depth - 1),
        random_expression(rng, depth - 1),
    )


def evaluate(recipe, leaves, is_torch):
    kind = recipe[0]
    if kind == "leaf":
        return leaves[recipe[1]]
    if kind == "unary":
        _, ours, theirs = UNARY[recipe[1]]
        return (theirs if is_torch else ours)(evaluate(recipe[2], leaves, is_torch))
    _, op = BINARY[recipe[1]]
    return op(evaluate(recipe[2], leaves, is_torch), evaluate(recipe[3], leaves, is_torch))


@pytest.mark.parametrize("seed", range(40))
def test_random_expression_matches_pytorch(seed):
    rng = random.Random(seed)
    recipe = random_expression(rng, depth=6)
    inputs = [rng.uniform(-2, 2) for _ in range(3)]
    ours = [Value(x) for x in inputs]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = evaluate(recipe, ours, False)
    torch_out = evaluate(recipe, theirs, True)
    out.backward()
    if torch_out.requires_grad:
        torch_out.backward()
    torch_grads = [0.0 if t.grad is None else t.grad.item() for t in theirs]
    assert out.data == pytest.approx(torch_out.item(), rel=1e-11, abs=1e-13)
    assert [v.grad for v in ours] == pytest.approx(torch_grads, rel=1e-10, abs=1e-12)


# ---- saturation and numerical safety --------------------------------------------------------


def test_tanh_saturates_without_overflow():
    x = Value(400.0)
    y = x.tanh()
    y.backward()
    assert y.data == 1.0
    assert x.grad == 0.0


@pytest.mark.parametrize("a, expected", [(-800.0, 0.0), (800.0, 1.0)])
def test_sigmoid_saturates_without_overflow(a, expected):
    x = Value(a)
    y = x.sigmoid()
    y.backward()
    assert y.data == pytest.approx(expected, abs=1e-300)
    assert math.isfinite(x.grad) and x.grad == pytest.approx(0.0, abs=1e-300)


def test_softplus_is_stable_for_large_inputs():
    big, small = Value(800.0).softplus(), Value(-800.0).softplus()
    assert big.data == 800.0
    assert small.data == pytest.approx(0.0, abs=1e-300)


def test_softmax_of_huge_logits_is_finite():
    probabilities = softmax([1000.0, 1001.0, 999.0])
    expected = torch.softmax(torch.tensor([1000.0, 1001.0, 999.0], dtype=torch.float64), 0).tolist()
    assert [p.data for p in probabilities] == pytest.approx(expected, rel=RTOL)


# ---- backward(): PyTorch's accumulation rule, no recursion ----------------------------------


def test_backward_twice_accumulates_like_pytorch():
    x = Value(3.0)
    z = (x * x) * 2
    z.backward()
    z.backward()
    assert x.grad == 24.0  # micrograd gives 36: its intermediate x*x keeps piling up


def test_intermediate_grads_hold_the_latest_pass_unlike_pytorchs_retain_grad():
    x = Value(3.0)
    y = x * x
    z = y * 2
    z.backward()
    z.backward()
    tx = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ty = tx * tx
    ty.retain_grad()
    tz = ty * 2
    tz.backward(retain_graph=True)
    tz.backward()
    assert (x.grad, y.grad) == (tx.grad.item(), 2.0)
    assert ty.grad.item() == 4.0  # PyTorch's retained grad accumulates; ours holds the latest pass


def test_backward_of_a_leaf_seeds_its_grad():
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_with_a_custom_seed():
    x = Value(2.0)
    (x * 3).backward(0.5)
    assert x.grad == 1.5


def test_backward_on_a_million_node_chain_needs_no_recursion():
    x = Value(1.0)
    y = x
    with no_gc():  # the chain has no cycles: building it needs no garbage collector (and is 3x faster)
        for _ in range(500_000):  # two nodes per step: a million nodes
            y = y * 1.000001 + 0.000001
    y.backward()
    # y = (x + 1) * 1.000001**n - 1, so dy/dx = 1.000001**n
    assert x.grad == pytest.approx(1.000001**500_000, rel=1e-9)


def test_backward_spaces_young_collections_by_the_size_of_its_graph(monkeypatch):
    others = gc.get_threshold()[1:]
    thresholds = []
    monkeypatch.setattr(gc, "set_threshold", lambda *numbers: thresholds.append(numbers))
    x = Value(1.0)
    y = x
    for _ in range(1000):
        y = y * 1.5  # 1,000 ops
    y.backward()
    (x * 2).backward()  # a small graph: Python's own threshold
    with no_gc():
        y.backward()  # the collector is off: its thresholds are left alone
    assert engine.YOUNG_PER_OP == 4
    monkeypatch.setattr(engine, "YOUNG_PER_OP", None)
    y.backward()  # the setting that leaves them alone
    assert thresholds == [(4 * 1000, *others), (engine._PYTHON_YOUNG, *others)]
    assert gc.isenabled()


def test_topological_order_lists_children_before_parents_in_recorded_order():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for child in node._children:
            assert position[child] < position[node]
    assert order[-1] is e
    assert order.index(a) < order.index(b)  # children are visited in their recorded order: a before b


def test_children_are_an_ordered_tuple_with_repeats():
    a = Value(2.0)
    square = a * a
    assert square._children == (a, a)
    assert square._local_grads == (2.0, 2.0)


def test_a_leaf_used_many_times_starts_from_none_once_and_a_frozen_one_stays_at_zero():
    w, frozen = Value(2.0), Value(3.0)
    frozen.requires_grad = False
    w.grad = None  # after zero_grad()
    out = w * frozen + w * w + frozen * frozen
    out.backward()
    assert (w.grad, frozen.grad) == (3.0 + 2 * 2.0, 0.0)  # d out/dw = frozen + 2w
    out.backward()  # a second walk over the same nodes
    assert (w.grad, frozen.grad) == (2 * (3.0 + 2 * 2.0), 0.0)


def test_frozen_leaf_gets_no_gradient():
    w, x = Value(2.0), Value(3.0)
    w.requires_grad = False
    (w * x).backward()
    assert (w.grad, x.grad) == (0.0, 2.0)


# ---- Value itself ---------------------------------------------------------------------------


def test_data_is_stored_as_float_and_bool_is_accepted():
    assert type(Value(3).data) is float
    assert Value(True).data == 1.0


def test_repr_is_readable():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2.0, label="a")) == "Value(data=2.0, grad=0.0, label='a')"


def test_slots_catch_attribute_typos():
    v = Value(1.0)
    with pytest.raises(AttributeError):
        v.gard = 0.0


def test_values_stay_hashable_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2


@pytest.mark.parametrize("bad", ["abc", None, [1.0], {"a": 1}, 1j])
def test_value_of_a_non_number_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_a_label_passed_by_position_is_a_clear_type_error():
    with pytest.raises(TypeError, match="pass the label by name"):
        Value(2.0, "a")


def test_abs_and_unary_plus_work_on_values():
    a = Value(-2.0)
    b = abs(a)
    b.backward()
    assert (b.data, a.grad) == (2.0, -1.0)
    assert +a is a


def test_linear_accepts_a_plain_number_as_bias():
    out = linear([3.0], [Value(2.0)], 0.5)
    assert out.data == 6.5


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize(
    "make",
    [lambda: Value(1) + "2", lambda: "2" + Value(1), lambda: Value(1) * None, lambda: Value(2) ** "x"],
    ids=["add_str", "radd_str", "mul_none", "pow_str"],
)
def test_combining_with_a_non_number_is_a_type_error(make):
    with pytest.raises(TypeError, match="str|NoneType"):
        make()


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(-1.0).log(), ValueError, "log"),
        (lambda: Value(0.0).log(), ValueError, "log"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(-1.0).sqrt(), ValueError, "sqrt"),
        (lambda: Value(0.0).sqrt(), ZeroDivisionError, "sqrt"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, "fractional power"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, "negative power"),
        (
            lambda: Value(0.0) ** 0.5,
            ZeroDivisionError,
            r"0.0 \*\* 0.5: its derivative 0.5 \* 0.0 \*\* \(0.5 - 1\) divides",
        ),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, "base"),
    ],
    ids=[
        "log_negative",
        "log_zero",
        "div_zero",
        "rdiv_zero",
        "sqrt_negative",
        "sqrt_zero",
        "negative_fractional_power",
        "zero_negative_power",
        "zero_half_power",
        "negative_base_value_exponent",
    ],
)
def test_domain_errors_are_specific(make, error, words):  # overflow is not one: exp(1000.0) is inf (test_properties)
    with pytest.raises(error, match=words):
        make()


def test_linear_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 weights, got 3 inputs"):
        linear([1.0, 2.0, 3.0], [Value(1.0), Value(2.0)], Value(0.0))


def test_linear_accepts_plain_numbers_as_inputs():
    w = [Value(0.5), Value(-1.0)]
    out = linear([2.0, 3], w, Value(0.25))
    out.backward()
    assert out.data == 0.5 * 2.0 - 3.0 + 0.25
    assert [p.grad for p in w] == [2.0, 3.0]


def test_backward_rejects_a_non_number_seed():
    with pytest.raises(TypeError, match="str"):
        Value(1.0).backward("1")


def test_softmax_and_logsumexp_reject_empty_input():
    with pytest.raises(ValueError, match="softmax"):
        softmax([])
    with pytest.raises(ValueError, match="logsumexp"):
        logsumexp([])


# ---- the speed-ups in engine.py change no result ----------------------------------------------
# backward() skips the children of a node whose gradient is 0 (when that changes nothing), and
# topological_order() places a node at once when its children are all placed. Both are checked here
# against the textbook versions, bit for bit.


def textbook_topological_order(root: Value) -> list[Value]:
    """Iterative depth-first search that goes down into every child: the order before the speed-up."""
    order, visited, stack = [], {root}, [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child._children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def textbook_backward(root: Value) -> None:
    """The chain rule over every edge, skipping nothing (for graphs without frozen leaves)."""
    order = textbook_topological_order(root)
    for node in order:
        if node._children:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        for child, local in zip(node._children, node._local_grads, strict=True):
            child.grad += local * node.grad


def moons_loss(seed: int) -> tuple[Value, list[Value]]:
    """W1's loss on 20 points: many dead ReLUs and zero margins, so many zero gradients."""
    points, labels = make_moons(20)
    model = MLP(2, [8, 8, 1], seed=seed)
    scores = [model([Value(x) for x in point]) for point in points]
    margins = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    return sum(margins) * (1.0 / len(margins)) + 1e-4 * sum(p * p for p in model.parameters()), model.parameters()


def random_graph(rng: random.Random) -> Value:
    """A random DAG of shared nodes and repeated children."""
    nodes = [Value(rng.uniform(-2, 2)) for _ in range(4)]
    for _ in range(40):
        a, b = rng.choice(nodes), rng.choice(nodes[-6:])
        nodes.append(rng.choice([a + b, a * b, (a * b).relu(), a.tanh(), a * a]))
    return sum(nodes[-8:])


@pytest.mark.parametrize("seed", range(5))
def test_topological_order_is_the_textbook_depth_first_order(seed):
    loss, _ = moons_loss(seed)
    assert topological_order(loss) == textbook_topological_order(loss)
    graph = random_graph(random.Random(seed))
    assert topological_order(graph) == textbook_topological_order(graph)


@pytest.mark.parametrize("seed", range(5))
def test_backward_gives_the_textbook_gradients_bit_for_bit(seed):
    loss, params = moons_loss(seed)
    loss.backward()
    ours = [p.grad for p in params]
    skipped = [node for node in topological_order(loss) if node._children and node.grad == 0.0]
    assert len(skipped) > 20  # dead ReLUs and zero margins: the skip really happens here
    for p in params:
        p.grad = 0.0
    textbook_backward(loss)
    assert ours == [p.grad for p in params]


def test_zero_gradient_times_an_infinite_local_derivative_is_still_nan_like_pytorch():
    a, b = Value(2.0), Value(math.inf)
    (a * b * 0.0).backward()  # a*b has gradient 0, but its local derivative for a is inf: 0 * inf = nan
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(math.inf, dtype=torch.float64, requires_grad=True)
    (ta * tb * 0.0).backward()
    assert math.isnan(a.grad) and math.isnan(ta.grad.item())
    assert b.grad == tb.grad.item() == 0.0
