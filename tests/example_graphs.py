"""Graphs that several test files draw and replay (imported by them; pytest puts tests/ on sys.path)."""

import math

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


# ---- ops written the lecture's way: Value(data, (self,), 'op') and a _backward closure ---------


def closure_sin(self):
    x = self.data
    out = Value(math.sin(x), (self,), "sin")

    def _backward():
        self.grad += math.cos(x) * out.grad

    out._backward = _backward
    return out


def closure_mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out
