"""Fused ops, as torch.nn.functional has: one graph node for a whole formula over many Values. `dot(a, b)` is one
node with 2n children where `sum(ai * bi ...)` makes 2n nodes: smaller graphs, a faster backward(), the same
gradients. Forward rule and local derivatives side by side, as in engine.py."""

import math
from collections.abc import Iterable, Sequence
from operator import mul

from .engine import LINEAR_OP, Value, as_value, make_node
from .floats import exp

__all__ = ["linear", "dot", "add_all", "softmax", "logsumexp"]

Numbers = Iterable[Value | float]


def _values(values: Numbers, needed_by: str = "") -> tuple[tuple[Value, ...], tuple[float, ...]]:
    """`values` as a tuple of Values (numbers become leaves) and the tuple of their data; `needed_by` refuses none."""
    if not (values := tuple(values)) and needed_by:
        raise ValueError(f"{needed_by}() needs at least one value, got an empty sequence")
    if values and not isinstance(values[0], Value):  # numbers: as_value, since numpy's floats have a .data too
        values = tuple([as_value(v) for v in values])
    try:  # the fast path: every item is already a Value
        return values, tuple([v.data for v in values])
    except AttributeError:  # plain numbers among them
        return _values([as_value(v) for v in values], needed_by)


def linear(input: Sequence, weight: Sequence, bias: Value | float | Sequence | None = None):
    """torch.nn.functional.linear over Values: w·x + b, each output ONE graph node. `weight` is one neuron's weights (n
    Values: one output) or a layer's rows (a list of such lists: one output per row, and `bias` is a list too). `input`
    is one vector, or a list of vectors as torch's input of shape (T, n): one result per vector, each weight read once
    for all. d(w·x+b)/dw_i = x_i, d(w·x+b)/dx_i = w_i, d(w·x+b)/db = 1. The node's children are the weights, then the
    inputs, then the bias (drawings rely on that order); without a bias it is a `dot` node. Plain numbers in `input`
    become leaf Values."""
    one_row = not (weight and isinstance(weight[0], (list, tuple)))
    rows = [_values(row) for row in ([weight] if one_row else weight)]
    biases = [bias] if one_row else [None] * len(rows) if bias is None else bias
    if len(biases) != len(rows):
        raise ValueError(f"linear() needs one bias per row of weights: {len(rows)} rows, got {len(biases)} biases")
    many = len(input) > 0 and isinstance(input[0], (list, tuple))  # len: a numpy array has no single truth value
    results = []
    for vector in input if many else [input]:
        x, x_data = _values(vector)
        outputs = []
        for (w, w_data), b in zip(rows, biases):
            if len(w_data) != len(x_data):
                raise ValueError(f"w·x needs one input per weight: {len(w_data)} weights, got {len(x_data)} inputs")
            if b is None:
                outputs.append(make_node(float(sum(map(mul, w_data, x_data))), w + x, x_data + w_data, "dot"))
            else:
                b = b if isinstance(b, Value) else as_value(b)
                out = sum(map(mul, w_data, x_data), b.data)
                outputs.append(make_node(out, w + x + (b,), x_data + w_data + (1.0,), LINEAR_OP))
        results.append(outputs[0] if one_row else outputs)
    return results if many else results[0]


def dot(a: Numbers, b: Numbers) -> Value:
    """a_1*b_1 + ... + a_n*b_n as one node: d(a·b)/da_i = b_i, d(a·b)/db_i = a_i (children: a, then b)."""
    return linear(list(b), list(a))


def add_all(values: Numbers) -> Value:
    """v_1 + ... + v_n as one node (the n-ary sum): d(v_1 + ... + v_n)/dv_i = 1. Empty: Value(0.0)."""
    values, data = _values(values)
    return make_node(float(sum(data)), values, (1.0,) * len(values), "+") if values else Value(0.0)


def logsumexp(values: Numbers) -> Value:
    """ln(sum(exp(v))) as one node: d lse/dv_i = exp(v_i - lse), the softmax of v. Computed as m + ln(sum(exp(v - m)))
    with m = max(v), so exp() never overflows; an infinite m is not subtracted (PyTorch's rule)."""
    values, data = _values(values, "logsumexp")
    shift = m if math.isfinite(m := max(data)) else 0.0
    total = sum(exp(x - shift) for x in data)
    out = (math.log(total) if total > 0.0 else -math.inf if total == 0.0 else math.nan) + shift
    return make_node(out, values, tuple(exp(x - out) for x in data), "logsumexp")


def softmax(values: Numbers) -> list[Value]:
    """p_i = exp(v_i) / sum_j exp(v_j), each p_i one node: d p_i/d v_j = p_i * ([i == j] - p_j). The max is
    subtracted first, so exp() never overflows; an inf or nan among the values gives nan, as in PyTorch."""
    values, data = _values(values, "softmax")
    top = max(data)
    exps = [math.exp(a - top) for a in data]  # a - top <= 0, or nan
    total = sum(exps)
    p = [e / total for e in exps]
    outputs = []
    for i, p_i in enumerate(p):
        local = [-p_i * p_j for p_j in p]
        local[i] += p_i
        outputs.append(make_node(p_i, values, tuple(local), "softmax"))
    return outputs
