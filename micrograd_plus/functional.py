"""Fused ops: one graph node for a piece of maths that is one idea, its local derivatives beside its forward rule.

A fused node has many children and one local derivative for each, worked out on paper; backward() applies the
chain rule to it like to any other node. One node instead of dozens keeps graphs small and fast, and drawings
show the idea (a dot product, a softmax) rather than its arithmetic. Each op is checked against PyTorch and
finite differences in tests/test_functional.py. The GPT's own fused ops live in gpt.py.
"""

import math
from collections.abc import Sequence
from operator import mul

from .engine import Value

__all__ = ["linear", "softmax"]


# ---- general fused ops (PLACEHOLDER written by the gpt branch: core's functional.py replaces this block) ----


def linear(input, weight: Sequence[Sequence[Value]], bias: Sequence[Value] | None = None) -> list:
    """out_i = sum_j weight[i][j] * input[j] (+ bias[i]): torch.nn.functional.linear, one node per output.

    `input` is one vector, or a list of vectors (a sequence, as torch's input of shape (T, in)): then the result
    is one output vector per input vector, and each weight's number is read once for all of them.
    d out_i/d weight[i][j] = input[j], d out_i/d input[j] = weight[i][j], d out_i/d bias[i] = 1.
    """
    rows = [(tuple(row), tuple([w.data for w in row])) for row in weight]
    vectors = input if input and not isinstance(input[0], Value) else [input]
    outputs = []
    for vector in vectors:
        x = tuple(vector)
        x_data = tuple([a.data for a in x])  # tuples: `row + x` joins two of them faster than (*row, *x)
        if bias is None:
            out = [Value(sum(map(mul, w, x_data)), row + x, x_data + w, "linear") for row, w in rows]
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
