"""Drawings and the step-through on what learners bring: ops written micrograd's way (with their own _backward()),
and grads that are None (after zero_grad(), or where backward() did not reach), shown as PyTorch prints them."""

import math
import re

from example_graphs import closure_mul, closure_sin

from micrograd_plus import MLP, Value, mse_loss
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import StepThrough, draw_graph
from micrograd_plus.viz.steps import backward_steps, final_grads


def student_graph():
    """Closure ops among ours: one fed a folded constant, one given the same child twice, one used twice."""
    x, w = Value(0.8, label="x"), Value(-1.3, label="w")
    h = closure_sin(closure_mul(x, w) + 1)
    h.label = "h"
    s = closure_mul(h, h)
    s.label = "s"
    y = (s * 2 + h).tanh()
    y.label = "y"
    return y


def test_the_replay_through_closure_ops_ends_with_exactly_the_grads_of_backward():
    replayed = student_graph()
    grads = final_grads(backward_steps(replayed))
    real = student_graph()
    real.backward()
    for mine, theirs in zip(topological_order(replayed), topological_order(real), strict=True):
        assert grads[mine] == theirs.grad  # bit for bit: the ops' own _backward() ran on the same numbers
    assert all(node.grad == 0.0 for node in topological_order(replayed))


def test_the_replay_puts_back_every_real_grad_even_none():
    y = student_graph()
    y.backward()
    order = topological_order(y)
    order[0].grad = None  # as zero_grad() leaves a parameter
    before = [node.grad for node in order]
    StepThrough(y)
    assert all(node.grad is grad for node, grad in zip(order, before, strict=True))


def test_a_closure_ops_step_says_its_own_backward_computed_the_local_derivative():
    steps = backward_steps(student_graph())
    sin_step = next(step for step in steps[1:] if step.node._op == "sin")
    x_w_plus_1 = sin_step.node._children[0]
    assert sin_step.headline.startswith("Step ") and f"h = sin({sin_step.terms[0].child_name})" in sin_step.headline
    assert sin_step.text.splitlines()[1] == (
        f"  local derivative: ∂h/∂{sin_step.terms[0].child_name} = {math.cos(x_w_plus_1.data):.6g}, "
        "as its own _backward() computed it (an op written micrograd's way)"
    )
    square = next(step for step in steps[1:] if step.name == "s")  # closure_mul(h, h): h's two uses in one term
    assert re.search(r"s = h · h passes its grad \([-0-9.e]+\) back to h$", square.headline), square.headline
    assert [term.child_name for term in square.terms] == ["h"]
    assert square.text.splitlines()[1].endswith("; h is used twice here, so its _backward() added every use at once")
    assert math.isclose(square.terms[0].local, 2 * square.node._children[0].data, rel_tol=1e-12)


def test_a_closure_that_fails_is_reported_in_its_step_and_the_notebook_display_still_works():
    x = Value(0.5, label="x")
    broken = Value(1.0 / x.data, (x,), "inverse")

    def _backward():
        raise ZeroDivisionError("the student's bug")

    broken._backward = _backward
    unattached = Value(2.0, (x,), "cube")  # micrograd's signature, no _backward set
    y = broken + unattached
    steps = StepThrough(y)
    text = steps.text()
    assert "its own _backward() raised ZeroDivisionError: the student's bug; backward() stops at this op" in text
    assert "its own _backward() raised RuntimeError: the 'cube' node has no local derivatives" in text
    assert "Could not draw" not in steps._repr_html_()
    assert x.grad == 0.0 and broken.grad == 0.0


def test_draw_graph_draws_closure_ops_by_their_names():
    graph = draw_graph(student_graph())
    assert re.findall(r"_op \[label=<(.*?)>", graph.source) == ["×", "+ 1", "sin", "×", "× 2", "+", "tanh"]
    assert graph.pipe("svg").startswith(b"<?xml")


def trained_model():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    return model, out


def grad_cells(source, name):
    line = next(line for line in source.splitlines() if f"<B>{name}</B>" in line)
    return re.findall(r"<TD[^>]*>(?:<FONT[^>]*>)?(grad [^<]*)<", line), line


def test_a_grad_that_is_none_is_drawn_as_pytorch_prints_it_and_greyed():
    model, out = trained_model()
    model.zero_grad()  # every parameter's grad is None; the intermediate Values keep theirs
    graph = draw_graph(out, names=model)
    cells, line = grad_cells(graph.source, "layers.0.neurons.0.w.0")
    assert cells == ["grad None"] and 'COLOR="#757575"' in line
    assert "grad None" not in grad_cells(graph.source, "out")[0][0]
    assert graph.pipe("svg").startswith(b"<?xml")
    assert "layers.0.neurons.0.w.0: data " in graph.text_tree() and ", grad None" in graph.text_tree()


def test_a_parameter_backward_did_not_reach_keeps_none_in_the_drawing():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    a.grad = b.grad = None  # zero_grad()
    used, unused = a * 2, b + 1
    used.backward()
    source = draw_graph([used, unused]).source
    assert grad_cells(source, "a")[0] == ["grad 2.0000"] and grad_cells(source, "b")[0] == ["grad None"]


def test_the_step_through_and_collapsed_view_handle_none_grads():
    model, out = trained_model()
    model.zero_grad()
    replayed = final_grads(StepThrough(out, names=model).steps)  # a replay starts from zero: it never reads .grad
    assert all(p.grad is None for p in model.parameters())
    out.backward()  # from None, backward() starts each parameter at 0 too
    assert [replayed[p] for p in model.parameters()] == [p.grad for p in model.parameters()]
    big = MLP(2, [8, 8, 1], seed=0)
    loss = mse_loss([big([0.1 * i, -0.2 * i]) for i in range(6)], [1.0] * 6)
    big.zero_grad()
    source = draw_graph(loss, names=big).source
    assert source.count(">grad None<") == 3 and "largest |grad|" not in source  # one row per layer
    loss.backward()
    big.layers[0].neurons[0].b.grad = None
    assert draw_graph(loss, names=big).source.count("largest |grad|") == 3
