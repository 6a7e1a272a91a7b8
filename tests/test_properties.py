"""Random expression graphs at the edges of float64, against PyTorch: forward and every leaf gradient.

Hypothesis builds graphs whose nodes reuse earlier nodes (shared subexpressions, the same child
twice) from leaves and constants at the edges: 0, -0.0, subnormals, the largest floats, nan and
±inf, beside ordinary numbers. Each graph is evaluated by both engines op by op; then backward()
runs in both. The rule of engine.py is checked everywhere:
- where PyTorch gives nan or inf from finite inputs, ours raises an error naming the op, and only there;
- otherwise every value and every gradient is PyTorch's: nan where PyTorch has nan, the same inf, and
  finite numbers equal to 1e-12 (the last bits of exp, tanh, sin... may differ between the two libms).
Seeded (derandomize=True): the same cases on every run.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_plus import Value, add_all, cross_entropy, dot, logsumexp, softmax

EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e300, -1e300, 1.7976931348623157e308]
EDGES += [math.nan, math.inf, -math.inf, 1.0, -1.0, 0.5, -2.5, 3.0, 20.5, 710.0, -745.5]
EXPONENTS = [0.0, 1.0, 2.0, 3.0, -1.0, 0.5, -0.5, -2.0, 1.5]

numbers = st.one_of(st.sampled_from(EDGES), st.floats(-5.0, 5.0, allow_nan=False))


def t_const(c):
    return torch.tensor(c, dtype=torch.float64)


# name -> (number of Value operands, takes a constant, ours, torch's). The constant goes last.
OPS = {
    "+": (2, False, lambda a, b: a + b, lambda a, b: a + b),
    "-": (2, False, lambda a, b: a - b, lambda a, b: a - b),
    "*": (2, False, lambda a, b: a * b, lambda a, b: a * b),
    "/": (2, False, lambda a, b: a / b, lambda a, b: a / b),
    "**": (2, False, lambda a, b: a**b, lambda a, b: a**b),
    "+c": (1, True, lambda a, c: a + c, lambda a, c: a + c),
    "c-": (1, True, lambda a, c: c - a, lambda a, c: t_const(c) - a),
    "*c": (1, True, lambda a, c: c * a, lambda a, c: a * c),
    "/c": (1, True, lambda a, c: a / c, lambda a, c: a / t_const(c)),
    "c/": (1, True, lambda a, c: c / a, lambda a, c: t_const(c) / a),
    "c**": (1, True, lambda a, c: c**a, lambda a, c: torch.pow(t_const(c), a)),
    "**k": (1, "exponent", lambda a, k: a**k, lambda a, k: a**k),
    "neg": (1, False, lambda a: -a, lambda a: -a),
    "exp": (1, False, lambda a: a.exp(), torch.exp),
    "log": (1, False, lambda a: a.log(), torch.log),
    "tanh": (1, False, lambda a: a.tanh(), torch.tanh),
    "sigmoid": (1, False, lambda a: a.sigmoid(), torch.sigmoid),
    "softplus": (1, False, lambda a: a.softplus(), F.softplus),
    "relu": (1, False, lambda a: a.relu(), torch.relu),
    "abs": (1, False, lambda a: a.abs(), torch.abs),
    "sqrt": (1, False, lambda a: a.sqrt(), torch.sqrt),
    "sin": (1, False, lambda a: a.sin(), torch.sin),
    "cos": (1, False, lambda a: a.cos(), torch.cos),
    # fused ops; PyTorch's side sums in the same order as Python's sum
    "dot": (4, False, lambda a, b, c, d: dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d),
    "add_all": (3, False, lambda a, b, c: add_all([a, b, c]), lambda a, b, c: a + b + c),
    "logsumexp": (3, False, lambda *v: logsumexp(v), lambda *t: torch.logsumexp(torch.stack(t), 0)),
    "softmax": (3, False, lambda *v: softmax(v)[0], lambda *t: torch.softmax(torch.stack(t), 0)[0]),
    "cross_entropy": (
        3,
        False,
        lambda *v: cross_entropy(list(v), 1),
        lambda *t: F.cross_entropy(torch.stack(t)[None], torch.tensor([1])),
    ),
}

# the words each op's domain error must contain
ERROR_WORDS = {"/": "division", "/c": "division", "c/": "division", "log": "log", "sqrt": "sqrt"}

steps = st.tuples(
    st.sampled_from(sorted(OPS)),
    st.lists(st.integers(0, 10**6), min_size=4, max_size=4),  # operand picks, modulo the nodes so far
    st.one_of(st.sampled_from(EDGES), st.floats(-3.0, 3.0, allow_nan=False)),
    st.sampled_from(EXPONENTS),
)
graphs = st.tuples(st.lists(numbers, min_size=1, max_size=3), st.lists(steps, min_size=1, max_size=8))


@pytest.fixture(autouse=True)
def same_cases_whatever_ran_before(monkeypatch):
    """Hypothesis also tries numbers found in the source of every local module loaded so far, so its cases
    would depend on which tests ran before in the same process. Only this file's numbers, then."""
    from hypothesis.internal.conjecture import providers

    monkeypatch.setattr(providers.HypothesisProvider, "_maybe_draw_constant", lambda *_, **__: None, raising=False)


def same(ours: float, theirs: float, scale: float = 0.0) -> bool:
    """nan with nan, the same infinity, or finite numbers equal to 1e-12 relative (or 1e-12 * `scale`)."""
    if math.isnan(theirs) or math.isinf(theirs):
        return math.isnan(ours) if math.isnan(theirs) else ours == theirs
    allowed = 1e-12 * scale if math.isfinite(scale) else math.inf
    return math.isfinite(ours) and math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=max(allowed, 1e-300))


def torch_op(fn, values, args):
    """PyTorch's op on exactly these Values' numbers: (its output, the fresh input tensors)."""
    fresh = [t_const(v.data).requires_grad_() for v in values]
    return fn(*fresh, *args), fresh


def torch_op_is_not_finite(fn, values, args) -> bool:
    """Whether PyTorch's op gives a non-finite value or local derivative at these finite inputs."""
    out, fresh = torch_op(fn, values, args)
    grads = torch.autograd.grad(out, fresh, allow_unused=True)
    return not all(math.isfinite(x) for x in [out.item()] + [0.0 if g is None else g.item() for g in grads])


@settings(max_examples=1000, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs)
def test_random_graphs_at_the_edges_match_pytorch_forward_and_backward(graph):
    # Each op is checked against PyTorch's at the very numbers it met, forward and backward, so that no check
    # depends on how earlier ops rounded (tanh'(x) = 1 - tanh(x)**2 near x = 10, sin of 1e10: one last bit of
    # difference there would become a large one). Every gradient then sums PyTorch's terms.
    leaves, recipe = graph
    nodes = [Value(x) for x in leaves]
    made = []  # (node, its operands, PyTorch's output, PyTorch's fresh inputs)
    for name, picks, constant, exponent in recipe:
        arity, extra, ours_fn, torch_fn = OPS[name]
        operands = [nodes[pick % len(nodes)] for pick in picks[:arity]]  # earlier nodes, repeats allowed: shared
        args = [] if not extra else [exponent if extra == "exponent" else constant]
        try:
            out = ours_fn(*operands, *args)
        except (ValueError, ZeroDivisionError) as error:  # a domain error: only at finite inputs, where torch isn't
            assert all(math.isfinite(v.data) for v in operands) and all(math.isfinite(a) for a in args)
            assert torch_op_is_not_finite(torch_fn, operands, args), f"{name}{args} raised {error}"
            assert ERROR_WORDS.get(name, "**" if "*" in name else name) in str(error)
            return
        t_out, fresh = torch_op(torch_fn, operands, args)
        bounded = name in ("sin", "cos", "tanh", "sigmoid", "softmax")  # their last bits are about 1e-16, absolutely
        assert same(out.data, t_out.item(), 1e-3 * bounded), f"{name}{args}: {out.data!r} vs torch {t_out.item()!r}"
        nodes.append(out)
        made.append((out, operands, t_out, fresh))
    root = nodes[-1]
    root.backward()
    torch_grads = {root: 1.0}  # PyTorch's terms at our upstream gradients, summed in reverse order of making
    scales = {root: 1.0}
    for node, operands, t_out, fresh in reversed(made):
        if node not in torch_grads:
            continue  # not on the way to the root
        assert same(node.grad, torch_grads[node], scales[node]), f"{node._op}: grad {node.grad} vs {torch_grads[node]}"
        terms = torch.autograd.grad(t_out, fresh, grad_outputs=t_const(node.grad), allow_unused=True)
        for operand, term in zip(operands, terms):
            term = 0.0 if term is None else term.item()
            torch_grads[operand] = torch_grads.get(operand, 0.0) + term
            # where terms cancel, last bits may differ; and a local derivative computed from PyTorch's own
            # output (tanh's 1 - t*t) may differ from ours by its last bits times the upstream gradient
            scales[operand] = scales.get(operand, 0.0) + abs(term) + abs(node.grad)
    for index, leaf in enumerate(nodes[: len(leaves)]):
        if leaf in torch_grads:
            assert same(leaf.grad, torch_grads[leaf], scales[leaf]), f"leaf {index}: {leaf.grad} vs {torch_grads[leaf]}"


def run_both(ours, theirs, inputs):
    """(value, leaf grads) of `ours` on Values and of `theirs` on float64 tensors, from the same inputs."""
    values = [Value(x) for x in inputs]
    tensors = [t_const(x).requires_grad_() for x in inputs]
    out, t_out = ours(*values), theirs(*tensors)
    out.backward()
    t_out.backward()
    return (out.data, [v.grad for v in values]), (t_out.item(), [t.grad.item() for t in tensors])


# the cases of issue 12, each with its gradients
ISSUE_12 = [
    ("relu_of_nan", lambda a: a.relu(), torch.relu, [math.nan]),
    (
        "overflow_through_relu",
        lambda a: (a * 10 - a * 10).relu() * 2.0,
        lambda a: (a * 10 - a * 10).relu() * 2.0,
        [1e308],
    ),
    ("dead_relu_with_nan_upstream", lambda a, b: a.relu() * b, lambda a, b: a.relu() * b, [-1.0, math.nan]),
    ("lse_inf", lambda a, b: logsumexp([a, b]), lambda a, b: torch.logsumexp(torch.stack([a, b]), 0), [math.inf, 1.0]),
    ("lse_minus_inf", lambda a: logsumexp([a]), lambda a: torch.logsumexp(a[None], 0), [-math.inf]),
    ("lse_huge", lambda a, b: logsumexp([a, b]), lambda a, b: torch.logsumexp(torch.stack([a, b]), 0), [1e308, 1e308]),
    (
        "cross_entropy_huge_logits",
        lambda a, b: cross_entropy([a, b], 0),
        lambda a, b: F.cross_entropy(torch.stack([a, b])[None], torch.tensor([0])),
        [1e8, 1e8],
    ),
    (
        "cross_entropy_inf",
        lambda a, b: cross_entropy([a, b], 1),
        lambda a, b: F.cross_entropy(torch.stack([a, b])[None], torch.tensor([1])),
        [math.inf, 1.0],
    ),
    (
        "cross_entropy_target_at_minus_inf_times_inf",
        lambda a, b: cross_entropy([a, b], 1) * math.inf,
        lambda a, b: F.cross_entropy(torch.stack([a, b])[None], torch.tensor([1])) * math.inf,
        [0.0, -math.inf],
    ),
    ("zero_to_the_zero_times_inf", lambda a, b: a**b * math.inf, lambda a, b: a**b * math.inf, [0.0, 0.0]),
    (
        "softmax_inf",
        lambda a, b: softmax([a, b])[1],
        lambda a, b: torch.softmax(torch.stack([a, b]), 0)[1],
        [math.inf, 1.0],
    ),
    ("divide_by_a_subnormal", lambda a, b: a / b * 1e-300, lambda a, b: a / b * 1e-300, [1.0, 5e-324]),
    ("log_of_a_subnormal", lambda a: a.log() * 1e-300, lambda a: a.log() * 1e-300, [5e-324]),
    ("zero_to_a_value_power", lambda b: 0.0**b, lambda b: torch.pow(t_const(0.0), b), [0.5]),
    ("sin_of_inf", lambda a: a.sin(), torch.sin, [math.inf]),
    ("exp_overflow", lambda a: a.exp(), torch.exp, [1000.0]),
    ("pow_overflow", lambda a: a**3, lambda a: a**3, [-1e200]),
]


@pytest.mark.parametrize("name, ours, theirs, inputs", ISSUE_12, ids=[row[0] for row in ISSUE_12])
def test_the_edges_of_issue_12_give_pytorchs_value_and_gradients(name, ours, theirs, inputs):
    (data, grads), (t_data, t_grads) = run_both(ours, theirs, inputs)
    assert same(data, t_data), f"value {data!r} vs torch {t_data!r}"
    assert all(same(g, t) for g, t in zip(grads, t_grads)), f"grads {grads} vs torch {t_grads}"


def test_cross_entropy_of_huge_equal_logits_is_exactly_ln_2_like_pytorch():
    assert cross_entropy([Value(1e8), Value(1e8)], 0).data == math.log(2.0)


def test_division_by_a_tiny_divisor_divides_the_gradient_instead_of_overflowing():
    a, b = Value(1.0), Value(5e-324)
    (a / b * 1e-300).backward()
    assert a.grad == 1e-300 / 5e-324  # 2e23, as PyTorch; 1e-300 * (1 / 5e-324) would be inf


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(-1.0).log(), ValueError, "log"),
        (lambda: Value(0.0).sqrt(), ZeroDivisionError, "sqrt"),
        (lambda: Value(1.0) / 0.0, ZeroDivisionError, "division"),
        (lambda: 0.0 ** Value(-1.0), ZeroDivisionError, r"0.0 \*\* Value\(-1.0\)"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"-8.0 \*\* 0.5"),
    ],
    ids=["log", "sqrt", "division", "rpow", "pow"],
)
def test_finite_inputs_outside_the_domain_raise_an_error_naming_the_op(make, error, words):
    with pytest.raises(error, match=words):
        make()
