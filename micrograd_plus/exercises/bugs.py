"""Bug hunts: code that looks right and is wrong. The student finds the bug and writes the fixed version.

The buggy functions live here (not in a notebook) so the lessons can run them, and so the checkers
can replay them to recognise when a "fix" still has the bug.
"""

from collections.abc import Callable

from ..engine import Value, topological_order
from ..gradcheck import numerical_grad
from .checking import Exercise, Wrong, require_callable
from .training import check_training_loop, reference_train, train_without_zero_grad

__all__ = ["backward_bug", "zero_grad_bug", "buggy_backward", "train_without_zero_grad", "BACKWARD_CASES"]


def buggy_backward(root: Value) -> None:
    """backward() with a classic bug: it gets a*b right and a*a + a wrong. Find it."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node._children, node._local_grads):
            child.grad = local * node.grad


def reference_backward(root: Value) -> None:
    """The fixed backward(): a Value used more than once adds up the gradient from each use (+=)."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0  # d root / d root
    for node in reversed(order):  # every node after all the nodes that use it
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad  # the chain rule, summed over every use of `child`


# name, function of leaf Values, the leaves' numbers
BACKWARD_CASES: list[tuple[str, Callable[..., Value], list[float]]] = [
    ("a * b", lambda a, b: a * b, [1.5, -2.0]),
    ("a * a + a", lambda a: a * a + a, [3.0]),
    ("tanh(a * b + a) * b", lambda a, b: (a * b + a).tanh() * b, [0.4, -0.7]),
]
_LEAF_NAMES = "abc"


def _grads_with(backward: Callable[[Value], object], f: Callable[..., Value], numbers: list[float]) -> list[float]:
    leaves = [Value(x) for x in numbers]
    backward(f(*leaves))
    return [leaf.grad for leaf in leaves]


def check_backward(answer: object) -> str:
    """On each graph in BACKWARD_CASES the student's backward gives the finite-difference gradients."""
    backward = require_callable(answer, "your function backward(root)")
    for name, f, numbers in BACKWARD_CASES:
        grads = _grads_with(backward, f, numbers)
        numerical = numerical_grad(f, numbers)
        if all(abs(g - n) <= 1e-5 + 1e-3 * abs(n) for g, n in zip(grads, numerical)):
            continue
        at = ", ".join(f"{_LEAF_NAMES[i]} = {x}" for i, x in enumerate(numbers))
        ours = ", ".join(f"d/d{_LEAF_NAMES[i]} = {g:.6g}" for i, g in enumerate(grads))
        theirs = ", ".join(f"{n:.6g}" for n in numerical)
        where = f"for f = {name} at {at}, your backward gives {ours} but finite differences give {theirs}"
        if all(g == 0.0 for g in grads):
            raise Wrong(f"{where}: every gradient is 0. Seed the output: root.grad = 1.0 (d root / d root)")
        if grads == _grads_with(buggy_backward, f, numbers):
            raise Wrong(
                f"{where}. A Value used more than once gets a gradient from each use, and they must add up: "
                "the bug is still there"
            )
        raise Wrong(f"{where}. Visit the nodes in reverse topological order, output first")
    return "the gradients agree with finite differences on a * b, a * a + a and tanh(a * b + a) * b."


backward_bug = Exercise(
    name="backward_bug",
    title="Find the bug in backward(): right for a*b, wrong for a*a + a",
    lesson="02",
    checker=check_backward,
    hints=(
        "Run buggy_backward on a * a + a at a = 3. The true derivative is 2a + 1 = 7. Which uses of `a` were lost?",
        "`a` is a child of two nodes (the * and the +). Each visit adds a piece of da; look at how the line stores it.",
        "child.grad = local * node.grad overwrites; the chain rule sums over uses: child.grad += local * node.grad.",
    ),
    reference=reference_backward,
)


zero_grad_bug = Exercise(
    name="zero_grad_bug",
    title="Find the bug in a training loop whose loss will not settle",
    lesson="04",
    checker=check_training_loop,
    hints=(
        "Print p.grad of one parameter for the first three steps of train_without_zero_grad. Does it look like "
        "the gradient of the current loss?",
        "backward() adds to .grad (PyTorch does too), so each step sees the sum of all the gradients so far.",
        "Call optimizer.zero_grad() in every step, before loss.backward().",
    ),
    reference=reference_train,
)
