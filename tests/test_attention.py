"""Attention: forward and every gradient against PyTorch (float64) and finite differences, plus bad inputs."""

import json
import random

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import Value, gradcheck, softmax
from micrograd_plus.attention import SelfAttention, scaled_dot_product_attention

RTOL = 1e-11
ATOL = 1e-13


def random_vectors(rng: random.Random, count: int, width: int, scale: float = 1.0) -> list[list[float]]:
    return [[rng.gauss(0.0, scale) for _ in range(width)] for _ in range(count)]


def as_values(rows: list[list[float]]) -> list[list[Value]]:
    return [[Value(x) for x in row] for row in rows]


def weighted_sum(rows: list[list[Value]], coefficients: list[list[float]]) -> Value:
    """sum(c * out): a scalar loss whose gradient reaches every output with a different weight."""
    total = Value(0.0)
    for row, row_coefficients in zip(rows, coefficients):
        for out, c in zip(row, row_coefficients):
            total = total + out * c
    return total


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize(
    "n_queries, n_keys, d, d_value", [(4, 4, 3, 2), (3, 5, 2, 4), (5, 3, 4, 1), (1, 1, 1, 1)], ids=str
)
def test_scaled_dot_product_attention_matches_pytorch(n_queries, n_keys, d, d_value, causal):
    rng = random.Random(n_queries * 100 + n_keys * 10 + d + causal)
    Q, K, V = random_vectors(rng, n_queries, d), random_vectors(rng, n_keys, d), random_vectors(rng, n_keys, d_value)
    coefficients = random_vectors(rng, n_queries, d_value)
    queries, keys, values = as_values(Q), as_values(K), as_values(V)
    outputs, weights = scaled_dot_product_attention(queries, keys, values, is_causal=causal)
    weighted_sum(outputs, coefficients).backward()

    tq, tk, tv = (torch.tensor(rows, dtype=torch.float64, requires_grad=True) for rows in (Q, K, V))
    t_out = F.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
    (t_out * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()
    # PyTorch's weights, written out: its causal mask keeps key j for query i when j <= i
    scores = tq @ tk.T / d**0.5
    if causal:
        scores = scores.masked_fill(torch.ones(n_queries, n_keys, dtype=torch.bool).tril().logical_not(), float("-inf"))
    t_weights = torch.softmax(scores, dim=-1)

    assert [[o.data for o in row] for row in outputs] == [pytest.approx(r, rel=RTOL, abs=ATOL) for r in t_out.tolist()]
    assert [[w.data for w in row] for row in weights] == [
        pytest.approx(r, rel=RTOL, abs=ATOL) for r in t_weights.tolist()
    ]
    for ours, theirs in ((queries, tq), (keys, tk), (values, tv)):
        assert [[x.grad for x in row] for row in ours] == [
            pytest.approx(r, rel=RTOL, abs=ATOL) for r in theirs.grad.tolist()
        ]


def test_attention_weights_sum_to_one_and_backpropagate_like_pytorch():
    rng = random.Random(3)
    Q, K = random_vectors(rng, 3, 2), random_vectors(rng, 4, 2)
    queries, keys = as_values(Q), as_values(K)
    _, weights = scaled_dot_product_attention(queries, keys, as_values(random_vectors(rng, 4, 1)))
    for row in weights:
        assert sum(w.data for w in row) == pytest.approx(1.0, rel=1e-15)
    # a loss on the weights themselves: what a student gets when they differentiate the heatmap
    coefficients = random_vectors(rng, 3, 4)
    weighted_sum(weights, coefficients).backward()

    tq, tk = (torch.tensor(rows, dtype=torch.float64, requires_grad=True) for rows in (Q, K))
    t_weights = torch.softmax(tq @ tk.T / 2**0.5, dim=-1)
    (t_weights * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()
    assert [[x.grad for x in row] for row in queries] == [pytest.approx(r, rel=RTOL) for r in tq.grad.tolist()]
    assert [[x.grad for x in row] for row in keys] == [pytest.approx(r, rel=RTOL) for r in tk.grad.tolist()]


def test_attention_gradients_match_finite_differences():
    # 2 queries, 3 keys/values of width 2: 16 inputs, one scalar out
    def f(*xs):
        queries = [list(xs[0:2]), list(xs[2:4])]
        keys = [list(xs[4:6]), list(xs[6:8]), list(xs[8:10])]
        values = [list(xs[10:12]), list(xs[12:14]), list(xs[14:16])]
        outputs, weights = scaled_dot_product_attention(queries, keys, values)
        return outputs[0][0] * 1.5 - outputs[1][1] * outputs[0][1] + weights[1][2] * 0.7

    rng = random.Random(5)
    assert gradcheck(f, [rng.uniform(-1.5, 1.5) for _ in range(16)])


def test_softmax_gradient_through_attention_scores_matches_finite_differences():
    def f(a, b, c):
        probabilities = softmax([a * 2.0, b - c, c * c])
        return probabilities[0] * 3.0 - probabilities[2]

    assert gradcheck(f, [0.3, -1.2, 0.8])


def test_attention_with_huge_scores_is_finite_and_matches_pytorch():
    # scores near 1000 overflow a naive exp(); the max-subtracted softmax does not
    Q, K, V = [[40.0, 30.0]], [[20.0, 25.0], [21.0, 25.0], [-20.0, 1.0]], [[1.0], [2.0], [3.0]]
    outputs, weights = scaled_dot_product_attention(Q, K, V)
    t = [torch.tensor(rows, dtype=torch.float64) for rows in (Q, K, V)]
    assert outputs[0][0].data == pytest.approx(F.scaled_dot_product_attention(*t).item(), rel=RTOL)
    assert all(0.0 <= w.data <= 1.0 for w in weights[0])


def test_causal_attention_ignores_later_positions():
    rng = random.Random(8)
    sequence = random_vectors(rng, 4, 3)
    changed = [row[:] for row in sequence]
    changed[3] = [9.0, -9.0, 9.0]  # only the last position changes
    attention = SelfAttention(3, 2, is_causal=True, seed=1)
    before = [[o.data for o in row] for row in attention(sequence)]
    weights = attention.last_weights
    after = [[o.data for o in row] for row in attention(changed)]
    assert before[:3] == after[:3]
    assert before[3] != after[3]
    assert [row[i + 1 :] for i, row in enumerate(weights)] == [[0.0] * (3 - i) for i in range(4)]
    assert weights[0][0] == 1.0


def torch_projection(layer) -> torch.nn.Linear:
    linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
        linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
    return linear


def torch_grads_in_our_order(linear: torch.nn.Linear) -> list[float]:
    grads = []
    for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
        grads.extend(row)
        grads.append(bias)
    return grads


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_self_attention_matches_pytorch_with_copied_weights(causal):
    rng = random.Random(11)
    sequence = random_vectors(rng, 5, 3)
    attention = SelfAttention(3, 4, causal=causal, seed=2)
    inputs = as_values(sequence)
    coefficients = random_vectors(rng, 5, 4)
    weighted_sum(attention(inputs), coefficients).backward()

    query, key, value = (torch_projection(layer) for layer in (attention.query, attention.key, attention.value))
    x = torch.tensor(sequence, dtype=torch.float64, requires_grad=True)
    t_out = F.scaled_dot_product_attention(query(x), key(x), value(x), is_causal=causal)
    (t_out * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()

    expected_grads = [g for linear in (query, key, value) for g in torch_grads_in_our_order(linear)]
    assert [p.grad for p in attention.parameters()] == pytest.approx(expected_grads, rel=RTOL, abs=ATOL)
    assert [[v.grad for v in row] for row in inputs] == [pytest.approx(r, rel=RTOL, abs=ATOL) for r in x.grad.tolist()]


def self_attention_loss(attention: SelfAttention, sequence) -> Value:
    outputs = attention(sequence)
    return outputs[0][0] * outputs[2][1] + outputs[1][0]


def test_self_attention_input_gradients_match_finite_differences():
    attention = SelfAttention(2, 2, seed=4)
    numbers = [0.5, -1.0, 1.5, 0.2, -0.3, 0.9]
    assert gradcheck(lambda *xs: self_attention_loss(attention, [xs[0:2], xs[2:4], xs[4:6]]), numbers)


def test_self_attention_parameter_gradients_match_finite_differences():
    attention = SelfAttention(2, 2, seed=4)
    sequence = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.9]]
    self_attention_loss(attention, sequence).backward()
    eps = 1e-6
    for p in attention.parameters():  # central differences, one parameter at a time
        start = p.data
        p.data = start + eps
        up = self_attention_loss(attention, sequence).data
        p.data = start - eps
        down = self_attention_loss(attention, sequence).data
        p.data = start
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_self_attention_parameters_are_named_and_seeded():
    attention = SelfAttention(2, 3, seed=7)
    names = [name for name, _ in attention.named_parameters()]
    assert len(names) == attention.num_parameters() == 3 * 3 * (2 + 1)
    assert names[0] == "query.neurons.0.w.0"
    assert names[-1] == "value.neurons.2.b"
    assert SelfAttention(2, 3, seed=7).state_dict() == attention.state_dict()
    assert SelfAttention(2, 3, seed=8).state_dict() != attention.state_dict()


def test_last_weights_are_plain_floats_and_not_parameters():
    attention = SelfAttention(2, seed=0)
    count = attention.num_parameters()
    attention([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    assert len(attention.last_weights) == 3
    assert all(type(w) is float for row in attention.last_weights for w in row)
    assert attention.num_parameters() == count


def test_self_attention_state_dict_round_trips_through_json():
    attention = SelfAttention(3, 2, seed=1)
    copy = SelfAttention(3, 2, seed=99)
    copy.load_state_dict(json.loads(json.dumps(attention.state_dict())))
    sequence = [[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]
    assert [[o.data for o in row] for row in copy(sequence)] == [[o.data for o in row] for row in attention(sequence)]


def test_frozen_self_attention_keeps_its_gradients_at_zero():
    attention = SelfAttention(2, 2, seed=0)
    attention.query.freeze()
    outputs = attention([[1.0, 2.0], [3.0, -1.0]])
    (outputs[0][0] + outputs[1][1]).backward()
    assert all(p.grad == 0.0 for p in attention.query.parameters())
    assert any(p.grad != 0.0 for p in attention.key.parameters())
    assert attention.num_parameters(trainable_only=True) == attention.num_parameters() - 6


@pytest.mark.parametrize(
    "queries, keys, values, error, message",
    [
        ([[1.0, 2.0]], [[1.0, 2.0, 3.0]], [[1.0]], ValueError, "queries have 2 numbers each, keys have 3"),
        ([[1.0]], [[1.0], [2.0]], [[1.0]], ValueError, "got 2 keys and 1 values"),
        ([], [[1.0]], [[1.0]], ValueError, "queries is empty"),
        ([[1.0]], [[1.0], [2.0, 3.0]], [[1.0], [2.0]], ValueError, r"keys\[0\] has 1 numbers but keys\[1\] has 2"),
        ([[1.0]], [[]], [[1.0]], ValueError, r"keys\[0\] is an empty vector"),
        ([1.0, 2.0], [[1.0]], [[1.0]], TypeError, r"queries\[0\] must be a vector.*\[\[x1\], \[x2\]"),
        ([[1.0]], [["a"]], [[1.0]], TypeError, r"keys\[0\]\[0\] must be a Value or a number, got str"),
        ([[1.0]], "abc", [[1.0]], TypeError, "keys must be a list of vectors"),
    ],
    ids=["dims", "counts", "empty", "ragged", "empty-vector", "flat-list", "not-a-number", "string"],
)
def test_attention_rejects_mismatched_inputs_with_clear_errors(queries, keys, values, error, message):
    with pytest.raises(error, match=message):
        scaled_dot_product_attention(queries, keys, values)


def test_self_attention_rejects_a_sequence_of_the_wrong_width():
    attention = SelfAttention(3, 2)
    with pytest.raises(ValueError, match="expects vectors of length 3.*got vectors of length 2"):
        attention([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("dim, head_dim", [(0, 2), (2, 0), (2.5, 2)])
def test_self_attention_rejects_bad_sizes(dim, head_dim):
    with pytest.raises(ValueError, match="must be a positive whole number"):
        SelfAttention(dim, head_dim)


def test_the_older_name_causal_still_works_and_both_names_at_once_are_refused():
    rng = random.Random(3)
    sequence = random_vectors(rng, 3, 2)
    new, old = SelfAttention(2, is_causal=True, seed=0), SelfAttention(2, causal=True, seed=0)
    assert old.is_causal and repr(old) == "SelfAttention(2, head_dim=2, is_causal=True)"
    assert [[v.data for v in row] for row in new(sequence)] == [[v.data for v in row] for row in old(sequence)]
    q = as_values(sequence)
    assert [w.data for w in scaled_dot_product_attention(q, q, q, causal=True)[1][0]] == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, q, q, is_causal=True, causal=True)
