"""Graphs that several test files draw and replay (imported by them; pytest puts tests/ on sys.path)."""

from micrograd_plus import Value


def karpathy_graph(backward: bool = False) -> tuple[Value, tuple[Value, ...]]:
    """L = (a*b + c) * f, the example of micrograd's lecture: (L, (a, b, c, d, e, f)); grads filled if asked."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    loss = d * f
    loss.label = "L"
    if backward:
        loss.backward()
    return loss, (a, b, c, d, e, f)
