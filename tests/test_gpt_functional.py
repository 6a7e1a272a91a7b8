"""The GPT's fused ops (gpt_functional.py): forward and local derivatives against PyTorch float64 and
finite differences (gradcheck)."""

import math
import random

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import Value, gradcheck
from micrograd_plus.gpt_functional import (
    attention_scores,
    causal_self_attention,
    embedding,
    feed_forward,
    linear_layer,
    next_token_loss,
    rms_norm,
    softmax_cross_entropy,
)

RTOL = 1e-12
ATOL = 1e-14


def numbers(seed: int, count: int, scale: float = 1.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(0.0, scale) for _ in range(count)]


def weighted(outputs: list[Value], coefficients: list[float]) -> Value:
    """sum(c_i * out_i): one number whose gradient reaches each output with its own weight."""
    return sum((out * c for out, c in zip(outputs, coefficients, strict=True)), Value(0.0))


def matrix(seed: int, rows: int, columns: int, scale: float = 1.0) -> list[list[Value]]:
    numbers_ = numbers(seed, rows * columns, scale)
    return [[Value(a) for a in numbers_[r * columns : (r + 1) * columns]] for r in range(rows)]


def tensor(m: list[list[Value]]) -> torch.Tensor:
    """The same numbers as a float64 tensor that requires grad."""
    return torch.tensor([[v.data for v in row] for row in m], dtype=torch.float64, requires_grad=True)


def flat(m: list[list[Value]]) -> list[Value]:
    return [v for row in m for v in row]


def check_against_pytorch(ours: list[list[Value]], theirs: torch.Tensor, inputs, tensors) -> None:
    """Outputs equal, and the gradients of the same weighted sum of the outputs equal, input by input."""
    c = numbers(99, theirs.numel())
    weighted(flat(ours), c).backward()
    (theirs * torch.tensor(c, dtype=torch.float64).reshape(theirs.shape)).sum().backward()
    assert [v.data for v in flat(ours)] == pytest.approx(theirs.flatten().tolist(), rel=RTOL, abs=ATOL)
    for m, t in zip(inputs, tensors, strict=True):
        assert [v.grad for v in flat(m)] == pytest.approx(t.grad.flatten().tolist(), rel=1e-10, abs=1e-12)


def unflatten(values, *shapes) -> list[list[list[Value]]]:
    """Matrices of the given (rows, columns) shapes, filled from `values` in order (for gradcheck's flat inputs)."""
    out, start = [], 0
    for rows, columns in shapes:
        out.append([list(values[start + r * columns : start + (r + 1) * columns]) for r in range(rows)])
        start += rows * columns
    return out


@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_rms_norm_matches_pytorch(n):
    x, c = numbers(n, n, scale=3.0), numbers(100 + n, n)
    ours = [Value(a) for a in x]
    out = rms_norm(ours)
    weighted(out, c).backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = F.rms_norm(theirs, (n,), eps=1e-5)
    (t_out * torch.tensor(c, dtype=torch.float64)).sum().backward()
    assert [v.data for v in out] == pytest.approx(t_out.tolist(), rel=RTOL, abs=ATOL)
    assert [v.grad for v in ours] == pytest.approx(theirs.grad.tolist(), rel=1e-10, abs=1e-12)


def test_rms_norm_passes_gradcheck():
    c = numbers(7, 4)
    assert gradcheck(lambda *x: weighted(rms_norm(list(x)), c), numbers(8, 4))
    assert gradcheck(lambda *x: weighted(rms_norm(list(x)), c), [1e-3, -2e-3, 0.0, 5e-4])  # near zero: eps matters


@pytest.mark.parametrize("d, n_keys", [(1, 1), (4, 3), (8, 6)])
def test_attention_scores_match_pytorch(d, n_keys):
    q, keys, c = numbers(d, d), numbers(10 + d, d * n_keys), numbers(20 + d, n_keys)
    query = [Value(a) for a in q]
    key_values = [[Value(b) for b in keys[t * d : (t + 1) * d]] for t in range(n_keys)]
    scores = attention_scores(query, key_values)
    weighted(scores, c).backward()
    tq = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    tk = torch.tensor(keys, dtype=torch.float64).reshape(n_keys, d).requires_grad_()
    t_scores = tk @ tq / math.sqrt(d)
    (t_scores * torch.tensor(c, dtype=torch.float64)).sum().backward()
    assert [s.data for s in scores] == pytest.approx(t_scores.tolist(), rel=RTOL, abs=ATOL)
    assert [v.grad for v in query] == pytest.approx(tq.grad.tolist(), rel=RTOL, abs=ATOL)
    assert [[v.grad for v in key] for key in key_values] == [
        pytest.approx(row, rel=RTOL, abs=ATOL) for row in tk.grad.tolist()
    ]


def test_attention_scores_pass_gradcheck():
    c = numbers(3, 2)
    f = lambda q0, q1, a0, a1, b0, b1: weighted(attention_scores([q0, q1], [[a0, a1], [b0, b1]]), c)
    assert gradcheck(f, numbers(4, 6))


def test_attention_score_of_a_vector_with_itself_reused_counts_both_paths():
    # the same Values as query and key: d(q·q/√d)/dq_i = 2 q_i / √d, as PyTorch gives
    q = [Value(1.5), Value(-2.0)]
    attention_scores(q, [q])[0].backward()
    assert [v.grad for v in q] == pytest.approx([2 * 1.5 / math.sqrt(2), 2 * -2.0 / math.sqrt(2)], rel=RTOL)


@pytest.mark.parametrize("n, target", [(1, 0), (3, 2), (27, 5)])
def test_softmax_cross_entropy_matches_pytorch(n, target):
    z = numbers(n, n, scale=2.0)
    logits = [Value(a) for a in z]
    loss = softmax_cross_entropy(logits, target)
    loss.backward()
    t_logits = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    t_loss = F.cross_entropy(t_logits.unsqueeze(0), torch.tensor([target]))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=RTOL, abs=ATOL)
    assert [v.grad for v in logits] == pytest.approx(t_logits.grad.tolist(), rel=RTOL, abs=ATOL)


def test_softmax_cross_entropy_passes_gradcheck_and_survives_huge_logits():
    assert gradcheck(lambda a, b, c: softmax_cross_entropy([a, b, c], 1), numbers(5, 3))
    huge = softmax_cross_entropy([Value(1000.0), Value(-1000.0), Value(999.0)], 2)  # exp(1000) overflows
    assert huge.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=RTOL)  # 1000 + ln(1 + e**-1) - 999


@pytest.mark.parametrize("target", [-1, 3, 1.0, True])
def test_softmax_cross_entropy_refuses_a_target_that_is_not_a_class(target):
    with pytest.raises(ValueError, match="class index in 0..2"):
        softmax_cross_entropy([Value(0.0), Value(1.0), Value(2.0)], target)


def test_embedding_matches_two_pytorch_lookups_with_a_dense_gradient():
    wte, wpe = matrix(5, 6, 3), matrix(6, 4, 3)
    sequences = [[1, 4, 1], [0, 2]]  # tokens 3 and 5, and position 3, are read by nobody
    t_wte, t_wpe = tensor(wte), tensor(wpe)
    tokens, positions = [t for s in sequences for t in s], [p for s in sequences for p in range(len(s))]
    theirs = F.embedding(torch.tensor(tokens), t_wte) + F.embedding(torch.tensor(positions), t_wpe)
    check_against_pytorch(embedding(wte, wpe, sequences), theirs, [wte, wpe], [t_wte, t_wpe])
    assert wte[3][0].grad == 0.0 and wpe[3][2].grad == 0.0  # 0, not None: a row nobody read, as torch's


def test_embedding_passes_gradcheck():
    c = numbers(7, 9)
    f = lambda *v: weighted(flat(embedding(*unflatten(v, (4, 3), (3, 3)), [[2, 0, 2]])), c)
    assert gradcheck(f, numbers(8, 21))


def test_linear_layer_matches_pytorch():
    xs, w = matrix(1, 5, 4), matrix(2, 3, 4)
    tx, tw = tensor(xs), tensor(w)
    check_against_pytorch(linear_layer(xs, w), F.linear(tx, tw), [xs, w], [tx, tw])


def test_linear_layer_passes_gradcheck():
    c = numbers(3, 6)
    f = lambda *v: weighted(flat(linear_layer(*unflatten(v, (2, 3), (3, 3)))), c)
    assert gradcheck(f, numbers(4, 15))


def test_feed_forward_matches_pytorch():
    xs, fc1, fc2 = matrix(5, 4, 3), matrix(6, 12, 3), matrix(7, 3, 12)
    tx, t1, t2 = tensor(xs), tensor(fc1), tensor(fc2)
    check_against_pytorch(
        feed_forward(xs, fc1, fc2), F.linear(F.relu(F.linear(tx, t1)), t2), [xs, fc1, fc2], [tx, t1, t2]
    )


def test_feed_forward_passes_gradcheck():
    c = numbers(8, 4)
    f = lambda *v: weighted(flat(feed_forward(*unflatten(v, (2, 2), (4, 2), (2, 4)))), c)
    assert gradcheck(f, numbers(9, 20))


def torch_attention(x, wq, wk, wv, wo, n_head, lengths):
    """Each sequence alone through torch's own causal attention, then the heads side by side through wo."""
    outputs, weights, start = [], [], 0
    for length in lengths:
        q, k, v = (
            F.linear(x[start : start + length], w).view(length, n_head, -1).transpose(0, 1) for w in (wq, wk, wv)
        )
        outputs.append(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(0, 1).reshape(length, -1))
        mask = torch.ones(length, length, dtype=torch.bool).tril()
        scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(~mask, -math.inf)
        weights.append(scores.softmax(-1).tolist())
        start += length
    return F.linear(torch.cat(outputs), wo), weights


@pytest.mark.parametrize("n_head, lengths", [(1, [4]), (2, [3, 1, 4])])
def test_causal_self_attention_matches_pytorch_sequence_by_sequence(n_head, lengths):
    xs = matrix(10, sum(lengths), 4)
    ws = [matrix(11 + i, 4, 4) for i in range(4)]
    tensors = [tensor(m) for m in [xs, *ws]]
    out, weights = causal_self_attention(xs, *ws, n_head=n_head, lengths=lengths)
    t_out, t_weights = torch_attention(*tensors, n_head, lengths)
    check_against_pytorch(out, t_out, [xs, *ws], tensors)
    for ours, theirs in zip(weights, t_weights, strict=True):
        assert [[pytest.approx(row, rel=RTOL, abs=ATOL) for row in head] for head in theirs] == ours


def test_causal_self_attention_passes_gradcheck():
    c = numbers(12, 6)
    shapes = [(3, 2)] + [(2, 2)] * 4
    f = lambda *v: weighted(flat(causal_self_attention(*unflatten(v, *shapes), n_head=2, lengths=[2, 1])[0]), c)
    assert gradcheck(f, numbers(13, 22))


def test_causal_self_attention_refuses_lengths_that_do_not_cover_the_vectors():
    ws = [matrix(i, 2, 2) for i in range(4)]
    with pytest.raises(ValueError, match=r"add up to the 3 vectors, got \[2, 2\]"):
        causal_self_attention(matrix(5, 3, 2), *ws, n_head=1, lengths=[2, 2])


def test_next_token_loss_matches_pytorch_cross_entropy_of_the_logits():
    xs, w, targets = matrix(20, 5, 4, scale=2.0), matrix(21, 27, 4), [3, 0, 26, 3, 11]
    tx, tw = tensor(xs), tensor(w)
    loss = next_token_loss(xs, w, targets)
    loss.backward()
    t_loss = F.cross_entropy(F.linear(tx, tw), torch.tensor(targets))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=RTOL)
    for m, t in ((xs, tx), (w, tw)):
        assert [v.grad for v in flat(m)] == pytest.approx(t.grad.flatten().tolist(), rel=1e-10, abs=1e-12)


def test_next_token_loss_passes_gradcheck_and_survives_huge_logits():
    assert gradcheck(lambda *v: next_token_loss(*unflatten(v, (2, 2), (3, 2)), [2, 0]), numbers(22, 10))
    huge = next_token_loss([[Value(1.0)]], [[Value(1000.0)], [Value(-1000.0)], [Value(999.0)]], [2])  # e**1000
    assert huge.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=RTOL)  # 1000 + ln(1 + e**-1) - 999


@pytest.mark.parametrize(
    "targets, message", [([3], "class indices in 0..2"), ([True], "class indices"), ([0, 1], "one target per vector")]
)
def test_next_token_loss_refuses_targets_that_are_not_classes(targets, message):
    with pytest.raises(ValueError, match=message):
        next_token_loss([[Value(1.0)]], [[Value(0.0)], [Value(1.0)], [Value(2.0)]], targets)


def test_backward_twice_through_a_node_with_outputs_accumulates_like_pytorch():
    # the cells are emptied after each pass: the second pass adds exactly the first pass's gradients again
    xs, w = matrix(30, 2, 2), matrix(31, 2, 2)
    out = linear_layer(xs, w)
    loss = out[0][0] * out[1][1] + out[0][1]  # one output unused: its gradient is 0
    loss.backward()
    first = [v.grad for v in flat(xs) + flat(w)]
    loss.backward()
    assert [v.grad for v in flat(xs) + flat(w)] == pytest.approx([2 * g for g in first], rel=1e-15)
    tx, tw = tensor(xs), tensor(w)
    t_out = F.linear(tx, tw)
    (t_out[0, 0] * t_out[1, 1] + t_out[0, 1]).backward()
    assert first == pytest.approx(tx.grad.flatten().tolist() + tw.grad.flatten().tolist(), rel=1e-12)
