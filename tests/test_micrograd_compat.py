"""Code written for micrograd and for the Zero-to-Hero lecture runs unchanged apart from the import.

The patterns below are written the way that code is (a trace() helper over `_prev`, the chain rule
applied by hand with `_backward()`, ops written with a closure), and compared with micrograd 0.1.0
itself or with PyTorch.
"""

import math
import random

import pytest
import torch
from example_graphs import closure_mul, closure_sin
from micrograd import engine as micrograd_engine
from micrograd import nn as micrograd_nn

from micrograd_plus import MLP, Layer, Neuron, Value


def trace(root):
    """The lecture's helper behind draw_dot: every node and edge, found through `_prev`."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def lecture_neuron(value_class=Value):
    """The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), built op by op with labels."""
    x1, x2 = value_class(2.0, label="x1"), value_class(0.0, label="x2")
    w1, w2 = value_class(-3.0, label="w1"), value_class(1.0, label="w2")
    b = value_class(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return o, [x1, x2, w1, w2, b], [o, n, b, x1w1x2w2, x2w2, x1w1]


def test_trace_over_prev_finds_the_lectures_graph():
    o, leaves, _ = lecture_neuron()
    nodes, edges = trace(o)
    assert len(nodes) == 10 and len(edges) == 9
    assert {v.label for v in leaves} <= {v.label for v in nodes}
    assert sorted(v._op for v in nodes if v._prev) == ["*", "*", "+", "+", "tanh"]


def test_prev_is_read_only():
    with pytest.raises(AttributeError):
        Value(1.0)._prev = ()


def test_the_chain_rule_by_hand_node_by_node_as_in_the_lecture():
    o, (x1, x2, w1, w2, b), in_order = lecture_neuron()
    o.grad = 1.0
    for node in in_order:  # o._backward(); n._backward(); b._backward(); ...
        node._backward()
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-12)
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)


def test_the_lectures_build_topo_and_backward_loop_give_what_backward_gives():
    o, leaves, _ = lecture_neuron()
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = [v.grad for v in leaves]
    o2, leaves2, _ = lecture_neuron()
    o2.backward()
    assert by_hand == [v.grad for v in leaves2]


# ---- ops written the lecture's way: Value(data, (self,), 'op') and a _backward closure ---------


def test_ops_written_with_a_closure_work_with_backward_beside_ours_and_match_pytorch():
    a, b = Value(0.7), Value(-1.3)
    s = closure_sin(a)  # shared: used three times below
    y = closure_mul(s, b) + s * s + (s + b).tanh()
    y.backward()
    y.backward()  # twice: the closure nodes are intermediate, reset like ours
    ta, tb = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (0.7, -1.3))
    ts = ta.sin()
    ty = ts * tb + ts * ts + (ts + tb).tanh()
    ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=1e-12)
    assert [a.grad, b.grad] == pytest.approx([2 * ta.grad.item(), 2 * tb.grad.item()], rel=1e-12)


def test_micrographs_signature_without_a_backward_is_refused_clearly_at_backward():
    a = Value(0.5)
    out = Value(math.tanh(a.data), (a,), "tanh")  # micrograd's Value(data, children, op)
    assert (out._op, out._prev, out.label) == ("tanh", (a,), "")
    with pytest.raises(RuntimeError, match="'tanh' node has no local derivatives"):
        out.backward()
    labelled = Value(2.0, (), "", "x")  # the lecture's Value(data, _children, _op, label)
    assert labelled.label == "x" and labelled._op == ""


def test_backward_attached_must_be_a_function():
    out = Value(1.0, (Value(2.0),), "op")
    with pytest.raises(TypeError, match="_backward must be a function"):
        out._backward = 3.0


# ---- micrograd's own tests and nn, on both engines --------------------------------------------


def micrograd_sanity(value_class):  # micrograd's test_sanity_check
    x = value_class(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.data, x.grad


def micrograd_more_ops(value_class):  # micrograd's test_more_ops
    a, b = value_class(-4.0), value_class(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


@pytest.mark.parametrize("script", [micrograd_sanity, micrograd_more_ops], ids=["sanity_check", "more_ops"])
def test_micrograds_own_tests_give_micrograds_numbers(script):
    assert script(Value) == pytest.approx(script(micrograd_engine.Value), rel=1e-12)


def test_micrograds_nonlin_and_single_output_conventions():
    assert Neuron(2, nonlin=False).activation == "linear" and Neuron(2).activation == "relu"
    assert {n.activation for n in Layer(2, 3, nonlin=False).neurons} == {"linear"}
    out = Layer(3, 1)([1.0, 2.0, 3.0])
    assert isinstance(out, Value)  # micrograd's Layer(n, 1)(x) is a Value
    assert len(Layer(3, 2)([1.0, 2.0, 3.0])) == 2
    with pytest.raises(ValueError, match="not both"):
        Neuron(2, activation="tanh", nonlin=True)
    # micrograd's signature is Neuron(nin, nonlin=True): nonlin may come second, without its name
    assert (Neuron(2, True).activation, Neuron(2, False).activation) == ("relu", "linear")
    with pytest.raises(ValueError, match="not both"):
        Neuron(2, True, nonlin=False)


def test_micrograds_training_loop_gives_micrograds_losses():
    rng = random.Random(0)
    data = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], rng.choice([-1, 1])) for _ in range(8)]
    losses = {}
    for name, value_class, mlp_class in (("ours", Value, MLP), ("micrograd", micrograd_engine.Value, micrograd_nn.MLP)):
        model = mlp_class(2, [4, 4, 1])
        weights = random.Random(1)
        for p in model.parameters():  # the same parameters() order in both
            p.data = weights.uniform(-1, 1)
        losses[name] = []
        for k in range(3):  # micrograd's demo loop: SVM loss, L2 regularization, SGD
            scores = [model([value_class(x) for x in xs]) for xs, _ in data]
            loss = sum((1 + -y * s).relu() for (_, y), s in zip(data, scores)) * (1.0 / len(data))
            loss = loss + 1e-4 * sum(p * p for p in model.parameters())
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
            losses[name].append(loss.data)
    assert losses["ours"] == pytest.approx(losses["micrograd"], rel=1e-12)
