"""Fused ops: each against PyTorch float64 (forward and every gradient) and against finite differences."""

import random

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import MLP, Value, add_all, dot, gradcheck, linear, logsumexp, softmax

RTOL, ATOL = 1e-12, 1e-14


def tensors(numbers):
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in numbers]


FUSED = [  # name, ours, torch's, inputs
    ("dot", lambda *v: dot(v[:3], v[3:]), lambda *t: torch.stack(t[:3]) @ torch.stack(t[3:]), 6),
    ("dot_shared", lambda a, b: dot([a, b, a], [b, b, a]), lambda a, b: a * b + b * b + a * a, 2),
    ("add_all", lambda *v: add_all(v) * v[0], lambda *t: torch.stack(t).sum() * t[0], 4),
    ("add_all_numbers", lambda a, b: add_all([a, 2.5, b, a]), lambda a, b: a + 2.5 + b + a, 2),
    (
        "linear",
        lambda *v: linear(v[:3], v[3:6], v[6]).tanh(),
        lambda *t: F.linear(torch.stack(t[:3]), torch.stack(t[3:6]), t[6]).tanh(),
        7,
    ),
    (
        "linear_layer",
        lambda *v: add_all(linear(v[:2], [v[2:4], v[4:6]], [v[6], v[7]])) ** 2,
        lambda *t: F.linear(torch.stack(t[:2]), torch.stack(t[2:6]).reshape(2, 2), torch.stack(t[6:])).sum() ** 2,
        8,
    ),
    ("linear_no_bias", lambda *v: linear(v[:2], v[2:]), lambda *t: F.linear(torch.stack(t[:2]), torch.stack(t[2:])), 4),
    ("logsumexp", lambda *v: logsumexp(v), lambda *t: torch.logsumexp(torch.stack(t), 0), 4),
    (
        "softmax",
        lambda *v: softmax(v)[1] * 3.0 + softmax(v)[2],
        lambda *t: (s := torch.softmax(torch.stack(t), 0))[1] * 3 + s[2],
        3,
    ),
]


@pytest.mark.parametrize("name, ours, theirs, count", FUSED, ids=[row[0] for row in FUSED])
def test_fused_op_matches_pytorch_forward_and_gradients(name, ours, theirs, count):
    rng = random.Random(count * 7 + len(name))
    numbers = [rng.uniform(-2, 2) for _ in range(count)]
    values, ts = [Value(x) for x in numbers], tensors(numbers)
    out, t_out = ours(*values), theirs(*ts)
    out.backward()
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=RTOL, abs=ATOL)
    assert [v.grad for v in values] == pytest.approx([t.grad.item() for t in ts], rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("name, ours, theirs, count", FUSED, ids=[row[0] for row in FUSED])
def test_fused_op_matches_finite_differences(name, ours, theirs, count):
    rng = random.Random(count)
    assert gradcheck(ours, [rng.uniform(-2, 2) for _ in range(count)], eps=1e-6, atol=1e-7, rtol=1e-6)


def test_dot_is_one_node_whose_children_are_both_sequences_in_order():
    a, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]
    out = dot(a, b)
    assert out.data == 11.0 and out._children == (*a, *b) and out._local_grads == (3.0, 4.0, 1.0, 2.0)


def test_linear_takes_torchs_argument_order_and_keeps_the_drawing_order_of_children():
    x, w, b = [Value(2.0), Value(3.0)], [Value(0.5), Value(-1.0)], Value(0.25)
    out = linear(x, w, b)  # torch.nn.functional.linear(input, weight, bias)
    assert out.data == 0.5 * 2.0 - 3.0 + 0.25
    assert out._children == (*w, *x, b) and out._op == "w·x+b"


def test_linear_with_a_matrix_of_weights_gives_one_value_per_row():
    x = [Value(1.0), Value(2.0)]
    rows, biases = [[Value(1.0), Value(0.0)], [Value(0.0), Value(1.0)]], [Value(0.5), 1.5]
    assert [v.data for v in linear(x, rows, biases)] == [1.5, 3.5]
    assert [v.data for v in linear(x, rows)] == [1.0, 2.0]


def test_numpy_numbers_are_numbers_though_they_have_a_data_attribute():
    np = pytest.importorskip("numpy")
    model = MLP(3, [4, 1], seed=1)
    assert model(np.array([1.0, 2.0, 3.0])).data == model([1.0, 2.0, 3.0]).data
    assert dot(np.array([1.0, 2.0]), [Value(3.0), Value(4.0)]).data == 11.0


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: dot([Value(1.0)], [Value(1.0), Value(2.0)]), "1 weights, got 2 inputs"),
        (lambda: linear([1.0, 2.0, 3.0], [Value(1.0), Value(2.0)], Value(0.0)), "2 weights, got 3 inputs"),
        (lambda: linear([1.0], [[Value(1.0)], [Value(2.0)]], [Value(0.0)]), "one bias per row"),
        (lambda: softmax([]), "softmax"),
        (lambda: logsumexp([]), "logsumexp"),
    ],
    ids=["dot_lengths", "linear_lengths", "linear_biases", "softmax_empty", "logsumexp_empty"],
)
def test_bad_shapes_are_refused_with_the_numbers(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_add_all_of_nothing_is_zero_like_sum():
    assert add_all([]).data == 0.0 == sum([])
