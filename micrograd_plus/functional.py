"""Fused ops: one graph node for a whole formula over many Values, as torch.nn.functional has.

`dot(a, b)` is one node with 2n children where `sum(ai * bi ...)` makes 2n nodes: smaller graphs, a faster
backward(), the same gradients (Python 3.12+ sums floats more accurately than a chain of `+`: the last bit may
differ). Forward rule and local derivatives side by side, as in engine.py; tests/test_functional.py checks each.
"""

import math
from collections.abc import Iterable, Sequence
from operator import mul

from .engine import LINEAR_OP, Value, as_value, make_node
from .floats import exp

__all__ = ["linear", "dot", "add_all", "softmax", "logsumexp"]

Numbers = Iterable[Value | float]


def _values(values: Numbers) -> tuple[list[Value], list[float]]:
    """`values` as Values (plain numbers become leaf Values) and their data."""
    values = values if isinstance(values, (list, tuple)) else list(values)
    try:  # the fast path: every item is already a Value
        return values, [v.data for v in values]
    except AttributeError:
        values = [as_value(v) for v in values]
        return values, [v.data for v in values]


def linear(
    input: Sequence[Value | float], weight: Sequence, bias: Value | float | Sequence | None = None
) -> Value | list[Value]:
    """torch.nn.functional.linear over Values: w·x + b, each output ONE graph node.

    `weight` is one neuron's weights (a list of n Values: the result is one Value) or a layer's
    (a list of such rows: the result is a list, one Value per row, and `bias` is a list too).
    d(w·x+b)/dw_i = x_i, d(w·x+b)/dx_i = w_i, d(w·x+b)/db = 1. The node's children are the
    weights, then the inputs, then the bias (drawings rely on that order). `input` may hold plain
    numbers, which become leaf Values. Without a bias, each output is dot(w, input).
    """
    input, x_data = _values(input)
    one_neuron = not (weight and isinstance(weight[0], (list, tuple)))
    rows, bias = ([weight], [bias]) if one_neuron else (weight, [None] * len(weight) if bias is None else bias)
    if len(bias) != len(rows):
        raise ValueError(f"linear() needs one bias per row of weights: {len(rows)} rows, got {len(bias)} biases")
    outputs = []
    for w, b in zip(rows, bias):
        try:  # the fast path: every weight is a Value
            w_data = [p.data for p in w]
        except AttributeError:
            w, w_data = _values(w)
        if len(w_data) != len(x_data):
            raise ValueError(f"w·x+b needs one input per weight: {len(w_data)} weights, got {len(x_data)} inputs")
        if b is None:
            outputs.append(make_node(float(sum(map(mul, w_data, x_data))), (*w, *input), (*x_data, *w_data), "dot"))
            continue
        b = b if isinstance(b, Value) else as_value(b)
        out = sum(map(mul, w_data, x_data), b.data)
        outputs.append(make_node(out, (*w, *input, b), (*x_data, *w_data, 1.0), LINEAR_OP))
    return outputs[0] if one_neuron else outputs


def dot(a: Numbers, b: Numbers) -> Value:
    """a_1*b_1 + ... + a_n*b_n as one node: d(a·b)/da_i = b_i, d(a·b)/db_i = a_i."""
    a, a_data = _values(a)
    b, b_data = _values(b)
    if len(a_data) != len(b_data):
        raise ValueError(f"dot() needs two sequences of the same length, got {len(a_data)} and {len(b_data)}")
    return make_node(float(sum(map(mul, a_data, b_data))), (*a, *b), (*b_data, *a_data), "dot")


def add_all(values: Numbers) -> Value:
    """v_1 + ... + v_n as one node (the n-ary sum): d(v_1 + ... + v_n)/dv_i = 1. Empty: Value(0.0)."""
    values, data = _values(values)
    if not values:
        return Value(0.0)
    return make_node(float(sum(data)), tuple(values), (1.0,) * len(values), "+")


def logsumexp(values: Numbers) -> Value:
    """ln(sum(exp(v))) as one node: d lse/dv_i = exp(v_i - lse), the softmax of v.

    Computed as m + ln(sum(exp(v - m))) with m = max(v), so exp() never overflows; an infinite m is
    not subtracted (PyTorch's rule), so logsumexp([inf, 1.0]) is inf and logsumexp([-inf]) is -inf.
    """
    values, data = _values(values)
    if not values:
        raise ValueError("logsumexp() needs at least one value, got an empty sequence")
    m = max(data)
    shift = m if math.isfinite(m) else 0.0
    total = sum(exp(x - shift) for x in data)
    out = (math.log(total) if total > 0.0 else -math.inf if total == 0.0 else math.nan) + shift
    return make_node(out, tuple(values), tuple(exp(x - out) for x in data), "logsumexp")


def softmax(values: Numbers) -> list[Value]:
    """exp(v_i) / sum_j exp(v_j), with the max subtracted first so exp() never overflows."""
    values, data = _values(values)
    if not values:
        raise ValueError("softmax() needs at least one value, got an empty sequence")
    m = max(data)
    exps = [(v - m).exp() for v in values]
    total = add_all(exps)
    return [e / total for e in exps]
