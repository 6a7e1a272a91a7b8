"""Bug hunts: code that looks right and is wrong. The student finds the bug and writes the fixed version.

The buggy functions live here (not in a notebook) so the lessons can run them, and so the checkers
can replay them to recognise when a "fix" still has the bug.
"""

from collections.abc import Callable

from ..engine import Value, topological_order
from ..gradcheck import numerical_grad
from .checking import Exercise, Wrong, as_number, floats, library_backward_forbidden, require_callable
from .training import (
    collect_training,
    judge_training,
    read_training,
    reference_train,
    same_floats,
    toy_model,
    train_with_misplaced_zero_grad,
    train_without_zero_grad,
)

__all__ = [
    "backward_bug",
    "zero_grad_bug",
    "buggy_backward",
    "train_with_misplaced_zero_grad",
    "train_without_zero_grad",
    "BACKWARD_CASES",
]


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


def _forward_order_backward(root: Value) -> None:
    """The fixed backward() walking the order the wrong way round: children before the nodes that use them."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in order:
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


_BY_HAND = (
    "your backward calls Value.backward(), the library's own; this exercise is to write it: walk "
    "topological_order(root) in reverse and add local * node.grad to each child"
)


def _grads_with(backward: Callable[[Value], object], f: Callable[..., Value], numbers: list[float]) -> list[float]:
    """The leaves' gradients after `backward` runs on f(*leaves); Wrong if it left the output's own gradient at 0."""
    leaves = [Value(x) for x in numbers]
    root = f(*leaves)
    with library_backward_forbidden(_BY_HAND):
        backward(root)
    if root.grad == 0.0 and all(leaf.grad == 0.0 for leaf in leaves):
        raise Wrong(
            "root.grad is still 0, and so is every other gradient: your backward changed nothing. Seed the "
            "output first, root.grad = 1.0 (d root / d root), then walk the graph"
        )
    return [leaf.grad for leaf in leaves]


def collect_backward(answer: object) -> dict:
    """The leaves' gradients after the student's backward runs on each graph of BACKWARD_CASES."""
    backward = require_callable(answer, "your function backward(root)")
    grads = []
    for _, f, numbers in BACKWARD_CASES:
        grads.append([as_number(g, "a gradient") for g in _grads_with(backward, f, numbers)])
    return {"grads": grads}


def judge_backward(evidence: dict) -> str:
    """On each graph the student's gradients agree with finite differences; otherwise name the bug."""
    shapes = [len(numbers) for _, _, numbers in BACKWARD_CASES]
    if type(evidence["grads"]) is not list or len(evidence["grads"]) != len(shapes):
        raise ValueError("expected one list of gradients per graph")
    for (name, f, numbers), given, count in zip(BACKWARD_CASES, evidence["grads"], shapes, strict=True):
        grads = floats(given, count)
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
        if grads == _grads_with(_forward_order_backward, f, numbers):
            raise Wrong(
                f"{where}. You visit the nodes output-last; visit them in reverse topological order, output "
                "first, so each node's gradient is complete before it is passed on"
            )
        raise Wrong(
            f"{where}. Each child should receive its local derivative times node.grad: "
            "child.grad += local * node.grad, for every node from the output back"
        )
    return "the gradients agree with finite differences on a * b, a * a + a and tanh(a * b + a) * b."


backward_bug = Exercise(
    name="backward_bug",
    title="Find the bug in backward(): right for a*b, wrong for a*a + a",
    lesson="02",
    collect=collect_backward,
    judge=judge_backward,
    hints=(
        "Run buggy_backward on a * a + a at a = 3. The true derivative is 2a + 1 = 7. Which uses of `a` were lost?",
        "`a` is a child of two nodes (the * and the +). Each visit adds a piece of da; look at how the line stores it.",
        "child.grad = local * node.grad overwrites; the chain rule sums over uses: child.grad += local * node.grad.",
    ),
    reference=reference_backward,
)


def judge_zero_grad_fix(evidence: dict) -> str:
    """The fixed loop trains like the reference loop; a loop that still clears too late is named as such."""
    losses, params = read_training(evidence)
    unchanged = same_floats(params, [p.data for p in toy_model().parameters()])
    if unchanged and len(set(losses)) == 1:  # one loss, over and over: nothing ever moved
        raise Wrong(
            f"the loss stays at {losses[0]:.4f} and the parameters never move, as in the buggy loop: step() must "
            "run after backward() while the gradients are still there. Clear them before backward(), not between "
            "backward() and step()"
        )
    return judge_training(evidence)


zero_grad_bug = Exercise(
    name="zero_grad_bug",
    title="Find the bug in a training loop whose loss never moves",
    lesson="04",
    collect=collect_training,
    judge=judge_zero_grad_fix,
    hints=(
        "Print p.grad of one parameter right after loss.backward(), and again right before optimizer.step(). "
        "What does step() get to work with?",
        "step() moves each parameter by lr * p.grad. Every line of the loop is needed; one is in the wrong place.",
        "Call optimizer.zero_grad() before loss.backward(), not between backward() and step().",
    ),
    reference=reference_train,
)
