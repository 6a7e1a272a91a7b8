"""The GPT's fused ops (gpt.py): forward and local derivatives against PyTorch float64 and
finite differences (gradcheck)."""

import math
import random

import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import Value, gradcheck
from micrograd_plus.gpt import attention_scores, rms_norm, softmax_cross_entropy

RTOL = 1e-12
ATOL = 1e-14


def numbers(seed: int, count: int, scale: float = 1.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(0.0, scale) for _ in range(count)]


def weighted(outputs: list[Value], coefficients: list[float]) -> Value:
    """sum(c_i * out_i): one number whose gradient reaches each output with its own weight."""
    return sum((out * c for out, c in zip(outputs, coefficients, strict=True)), Value(0.0))


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
