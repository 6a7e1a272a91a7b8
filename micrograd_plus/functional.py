"""Fused ops: one graph node for a piece of maths that is one idea, its local derivatives beside its forward rule.

A fused node has many children and one local derivative for each, worked out on paper; backward() applies the
chain rule to it like to any other node. One node instead of dozens keeps graphs small and fast, and drawings
show the idea (a dot product, a softmax) rather than its arithmetic. Each op is checked against PyTorch and
finite differences in tests/test_functional.py and tests/test_gpt_functional.py.
"""

import math
from collections.abc import Sequence
from operator import mul

from .engine import Value

__all__ = ["linear", "softmax", "rms_norm", "attention_scores", "softmax_cross_entropy"]


# ---- general fused ops (PLACEHOLDER written by the gpt branch: core's functional.py replaces this block) ----


def linear(input, weight: Sequence[Sequence[Value]], bias: Sequence[Value] | None = None) -> list:
    """out_i = sum_j weight[i][j] * input[j] (+ bias[i]): torch.nn.functional.linear, one node per output.

    `input` is one vector, or a list of vectors (a sequence, as torch's input of shape (T, in)): then the result
    is one output vector per input vector, and each weight's number is read once for all of them.
    d out_i/d weight[i][j] = input[j], d out_i/d input[j] = weight[i][j], d out_i/d bias[i] = 1.
    """
    rows = [(tuple(row), [w.data for w in row]) for row in weight]
    vectors = input if input and not isinstance(input[0], Value) else [input]
    outputs = []
    for vector in vectors:
        x = tuple(vector)
        x_data = [a.data for a in x]
        if bias is None:
            out = [Value(sum(map(mul, w, x_data)), (*row, *x), (*x_data, *w), "linear") for row, w in rows]
        else:
            out = [
                Value(sum(map(mul, w, x_data), b.data), (*row, *x, b), (*x_data, *w, 1.0), "linear")
                for (row, w), b in zip(rows, bias)
            ]
        outputs.append(out)
    return outputs if vectors is input else outputs[0]


def softmax(values: Sequence[Value]) -> list[Value]:
    """p_i = exp(v_i) / sum_j exp(v_j), each p_i one node; d p_i/d v_j = p_i * ([i == j] - p_j)."""
    children = tuple(values)
    data = [v.data for v in children]
    top = max(data)  # exp(v - max) never overflows and gives the same p
    exps = [math.exp(a - top) for a in data]
    total = sum(exps)
    p = [e / total for e in exps]
    outputs = []
    for i, p_i in enumerate(p):
        local = [-p_i * p_j for p_j in p]
        local[i] += p_i
        outputs.append(Value(p_i, children, tuple(local), "softmax"))
    return outputs


# ---- the GPT's fused ops (gpt branch) ------------------------------------------------------------------------


def rms_norm(x: Sequence[Value], eps: float = 1e-5) -> list[Value]:
    """x_i / sqrt(mean(x**2) + eps): torch.nn.functional.rms_norm without a weight.

    One node computes the scale s = (mean(x**2) + eps) ** -0.5, with d s/d x_j = -x_j * s**3 / n; then each
    output is x_i * s, an ordinary product. (A node per output with all n inputs as children would need n*n
    local derivatives instead of 3n.)
    """
    children = tuple(x)
    data = [a.data for a in children]
    n = len(data)
    s = (sum(map(mul, data, data)) / n + eps) ** -0.5
    slope = -(s**3) / n
    scale = Value(s, children, tuple(slope * a for a in data), "1/rms")
    return [a * scale for a in children]


def attention_scores(query: Sequence[Value], keys: Sequence[Sequence[Value]]) -> list[Value]:
    """score_t = query·key_t / sqrt(d), one node per key, d the vectors' length.

    d score_t/d query_i = key_t[i] / sqrt(d) and d score_t/d key_t[i] = query_i / sqrt(d). Dividing by
    sqrt(d) keeps scores near unit size however wide the heads are.
    """
    q = tuple(query)
    scale = 1.0 / math.sqrt(len(q))
    q_scaled = [a.data * scale for a in q]
    scores = []
    for key in keys:
        k_scaled = [b.data * scale for b in key]
        score = sum(map(mul, q_scaled, (b.data for b in key)))
        scores.append(Value(score, (*q, *key), (*k_scaled, *q_scaled), "q·k/√d"))
    return scores


def softmax_cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-ln softmax(logits)[target] = logsumexp(logits) - logits[target], one node.

    d loss/d logit_j = softmax(logits)_j - [j == target]: the predicted probability minus the true one.
    """
    children = tuple(logits)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(children):
        raise ValueError(f"target must be a class index in 0..{len(children) - 1}, got {target!r}")
    data = [v.data for v in children]
    top = max(data)
    exps = [math.exp(a - top) for a in data]
    total = sum(exps)
    local = [e / total for e in exps]
    local[target] -= 1.0
    loss = top + math.log(total) - data[target]
    return Value(loss, children, tuple(local), "cross-entropy")
