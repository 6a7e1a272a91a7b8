"""Exercise for lesson 2 and after: write Value yourself (+, *, tanh or exp, and backward()).

The student's class is run on small expressions written as plain data (a list of steps), first one op
at a time, then on seeded random expressions with shared parts. judge_own_value rebuilds each expression
with micrograd_plus's Value and compares the output and every leaf's gradient; when they differ it replays
the classic mistakes of backward() on the same expression (a missing +=, no chain rule, the wrong
visiting order, a node visited twice) and names the one that gives the student's numbers.

An expression is a list of steps: ("leaf", x), ("+", i, j), ("*", i, j), ("tanh", i) or ("exp", i), where
i and j index earlier steps; the last step is the output.
"""

import math
import random
from collections.abc import Callable

from ..engine import Value
from .checking import Exercise, Wrong, as_number, floats, library_backward_forbidden
from .safety import short

__all__ = ["own_value", "ReferenceValue", "expressions", "build"]

Step = tuple


class ReferenceValue:
    """A Value of your own: a number, the Values it was made from, and the local derivative to each."""

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):  # d(a+b)/da = 1, d(a+b)/db = 1
        return ReferenceValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):  # d(a*b)/da = b, d(a*b)/db = a
        return ReferenceValue(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):  # d tanh(a)/da = 1 - tanh(a)**2
        t = math.tanh(self.data)
        return ReferenceValue(t, (self,), (1.0 - t * t,))

    def exp(self):  # d exp(a)/da = exp(a)
        e = math.exp(self.data)
        return ReferenceValue(e, (self,), (e,))

    def backward(self):
        order, visited = [], set()

        def visit(node):  # depth first: a node goes after everything it was made from
            if node not in visited:
                visited.add(node)
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0  # d out / d out
        for node in reversed(order):  # the output first, so each node's gradient is complete when it is used
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad  # chain rule, summed over every use of child


def expressions(unary: str) -> list[tuple[str, list[Step]]]:
    """The probes, in the order they are judged: one op at a time, then the chain rule, reuse, random graphs."""
    probes = [
        ("Value(2.0) + Value(-3.0)", [("leaf", 2.0), ("leaf", -3.0), ("+", 0, 1)]),
        ("Value(2.0) * Value(-3.0)", [("leaf", 2.0), ("leaf", -3.0), ("*", 0, 1)]),
        (f"Value(0.5).{unary}()", [("leaf", 0.5), (unary, 0)]),
        (f"(a * b).{unary}() at a = 0.5, b = -0.8", [("leaf", 0.5), ("leaf", -0.8), ("*", 0, 1), (unary, 2)]),
        ("a * a + a at a = 3.0", [("leaf", 3.0), ("*", 0, 0), ("+", 1, 0)]),
        ("b * b with b = a * c, at a = 1.5, c = 2.0", [("leaf", 1.5), ("leaf", 2.0), ("*", 0, 1), ("*", 2, 2)]),
    ]
    rng = random.Random(14)
    for number in range(12):
        steps: list[Step] = [("leaf", round(rng.uniform(-1.2, 1.2), 2)) for _ in range(3)]
        for _ in range(7):
            recent = range(max(0, len(steps) - 4), len(steps))  # mostly recent steps: deep graphs, shared parts
            if rng.random() < 0.25:
                steps.append((unary, rng.choice(recent)))
            else:
                steps.append((rng.choice("+*"), rng.choice(recent), rng.randrange(len(steps))))
        probes.append((f"random expression {number + 1} ({describe(steps)})", steps))
    return probes


def describe(steps: list[Step]) -> str:
    """An expression as a formula over its leaves a, b, c, ..."""
    names: list[str] = []
    leaves = iter("abcdefgh")
    for step in steps:
        if step[0] == "leaf":
            names.append(next(leaves))
        elif step[0] in "+*":
            names.append(f"({names[step[1]]} {step[0]} {names[step[2]]})")
        else:
            names.append(f"{step[0]}({names[step[1]]})")
    return names[-1].removeprefix("(").removesuffix(")") if steps[-1][0] in "+*" else names[-1]


def build(make: Callable[[float], object], steps: list[Step]) -> list:
    """The nodes of `steps` built with the class `make` (a student's Value, or micrograd_plus's)."""
    nodes: list = []
    for step in steps:
        if step[0] == "leaf":
            nodes.append(make(step[1]))
        elif step[0] == "+":
            nodes.append(nodes[step[1]] + nodes[step[2]])
        elif step[0] == "*":
            nodes.append(nodes[step[1]] * nodes[step[2]])
        else:
            nodes.append(getattr(nodes[step[1]], step[0])())
    return nodes


_BY_HAND = "your Value uses micrograd_plus's Value.backward(); this exercise is to write backward() yourself"


def collect_own_value(answer: object) -> dict:
    """Build every probe with the student's class, call backward(): the output, its grad and the leaves' grads."""
    if not isinstance(answer, type):
        raise Wrong(f"check() expects your class (Value, without parentheses), got {short(answer)}")
    if issubclass(answer, Value):
        raise Wrong("your class is (or extends) micrograd_plus's Value; write a class of your own")
    unary = next((name for name in ("tanh", "exp") if callable(getattr(answer, name, None))), None)
    if unary is None:
        raise Wrong("your Value needs a tanh() method (or exp()); write one, with its local derivative")
    fresh = answer(2.0)
    results = []
    with library_backward_forbidden(_BY_HAND):
        for name, steps in expressions(unary):
            nodes = build(answer, steps)
            root = nodes[-1]
            if isinstance(root, Value) or not callable(getattr(root, "backward", None)):
                raise Wrong(f"{name} gave {type(root).__name__} {short(root)}; every op should return your Value")
            root.backward()
            leaves = [node for node, step in zip(nodes, steps) if step[0] == "leaf"]
            numbers = [_number(root.data, name, "the output"), _number(root.grad, name, "the output's grad")]
            results.append(numbers + [_number(leaf.grad, name, "a leaf's grad") for leaf in leaves])
    return {
        "unary": unary,
        "fresh": [_number(fresh.data, "Value(2.0)", "data"), _number(fresh.grad, "", "grad")],
        "results": results,
    }


def _number(value: object, name: str, what: str) -> float:
    if isinstance(value, Value):
        raise Wrong(f"in {name}, {what} is a micrograd_plus Value; store plain floats in .data and .grad")
    return as_number(value, f"in {name}, {what}")


# ---- the judge: micrograd_plus's Value, and the classic mistakes replayed on plain numbers ----------


def _graph(steps: list[Step]) -> tuple[list[float], list[list[tuple[int, float]]]]:
    """Forward values of the steps and, per node, (child index, local derivative) pairs, in plain floats."""
    data: list[float] = []
    edges: list[list[tuple[int, float]]] = []
    for step in steps:
        op, args = step[0], step[1:]
        if op == "leaf":
            data.append(args[0])
            edges.append([])
        elif op == "+":
            data.append(data[args[0]] + data[args[1]])
            edges.append([(args[0], 1.0), (args[1], 1.0)])
        elif op == "*":
            data.append(data[args[0]] * data[args[1]])
            edges.append([(args[0], data[args[1]]), (args[1], data[args[0]])])
        else:
            out = math.tanh(data[args[0]]) if op == "tanh" else math.exp(data[args[0]])
            data.append(out)
            edges.append([(args[0], 1.0 - out * out if op == "tanh" else out)])
    return data, edges


def _depth_first(edges: list, root: int, once: bool = True) -> list[int]:
    """Children before parents; with once=False a node is listed again on every path that reaches it."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(node: int) -> None:
        if once and node in seen:
            return
        seen.add(node)
        for child, _ in edges[node]:
            visit(child)
        order.append(node)

    visit(root)
    return order


def _replay(steps: list[Step], mistake: str) -> list[float]:
    """The leaves' gradients that backward() with `mistake` gives on `steps`."""
    _, edges = _graph(steps)
    root = len(steps) - 1
    grad = [0.0] * len(steps)
    grad[root] = 1.0
    if mistake == "recursive":  # pass each node's gradient on at once, down every path, without sorting

        def push(node: int) -> None:
            for child, local in edges[node]:
                grad[child] += local * grad[node]
                push(child)

        push(root)
    else:
        order = _depth_first(edges, root, once=mistake != "twice")
        for node in order if mistake == "forward order" else reversed(order):
            for child, local in edges[node]:
                if mistake == "=":
                    grad[child] = local * grad[node]
                elif mistake == "no chain rule":
                    grad[child] += local
                else:
                    grad[child] += local * grad[node]
    return [g for g, step in zip(grad, steps) if step[0] == "leaf"]


_MISTAKES = {
    "=": "a Value used more than once must add up the gradient from each use: child.grad += local * node.grad, not =",
    "no chain rule": "each child should get its local derivative TIMES node.grad (the chain rule); yours adds the "
    "local derivative alone",
    "forward order": "backward() visits the nodes output-last; walk the topological order in reverse, output first, "
    "so each node's gradient is complete before it is passed on",
    "twice": "a node is visited twice: your topological sort lists a node once for every path that reaches it, so "
    "its gradient is passed on twice; keep a set of the nodes already visited",
    "recursive": "your backward() passes a node's gradient on before all of it has arrived (it recurses down every "
    "path); sort the nodes topologically first, then walk them once each, output first",
}


_LOCAL = {
    "+": "d(a+b)/da = 1 and d(a+b)/db = 1",
    "*": "d(a*b)/da = b and d(a*b)/db = a",
    "tanh": "d tanh(a)/da = 1 - tanh(a)**2",
    "exp": "d exp(a)/da = exp(a)",
}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 + 1e-7 * abs(b)


def judge_own_value(evidence: dict) -> str:
    """Each probe's output and leaf gradients agree with micrograd_plus; otherwise name the first wrong op or step."""
    unary = evidence["unary"]
    if unary not in ("tanh", "exp"):
        raise ValueError("unknown unary op")
    data, grad = floats(evidence["fresh"], 2)
    if data != 2.0 or grad != 0.0:
        raise Wrong(
            f"Value(2.0) has data {data!r} and grad {grad!r}; a new Value keeps its number in .data and starts "
            "with grad 0.0"
        )
    probes = expressions(unary)
    if type(evidence["results"]) is not list or len(evidence["results"]) != len(probes):
        raise ValueError("expected one result per expression")
    for (name, steps), result in zip(probes, evidence["results"], strict=True):
        leaves = sum(step[0] == "leaf" for step in steps)
        out, out_grad, *grads = floats(result, 2 + leaves)
        nodes = build(Value, steps)
        nodes[-1].backward()
        expected = [node.grad for node, step in zip(nodes, steps) if step[0] == "leaf"]
        op = steps[-1][0] if all(step[0] == "leaf" for step in steps[:-1]) else None  # a single op
        if not _close(out, nodes[-1].data):
            where = f"your {op} gives" if op else "the output is"
            raise Wrong(f"the forward pass is off: for {name} {where} {out:.6g}, but it is {nodes[-1].data:.6g}")
        if all(_close(g, e) for g, e in zip(grads, expected)):
            continue
        given = ", ".join(f"{g:.6g}" for g in grads)
        right = ", ".join(f"{e:.6g}" for e in expected)
        where = f"for {name} your leaf gradients are [{given}] but they are [{right}]"
        if out_grad != 1.0:
            raise Wrong(f"{where}: the output's grad is {out_grad:.6g}; backward() starts with self.grad = 1.0")
        nothing = f"{where}: backward() passed nothing down; give each child local * node.grad"
        if op:  # a single op: its local derivatives are wrong
            raise Wrong(nothing if not any(grads) else f"{where}: the local derivative of {op} is wrong; {_LOCAL[op]}")
        for mistake, advice in _MISTAKES.items():
            if all(_close(g, r) for g, r in zip(grads, _replay(steps, mistake))):
                raise Wrong(f"{where}. {advice}")
        if not any(grads):
            raise Wrong(nothing)
        raise Wrong(
            f"{where}. Check each op's local derivatives and that backward() uses child.grad += local * node.grad"
        )
    return f"your Value matches micrograd_plus on {len(probes)} expressions: every output and every gradient."


own_value = Exercise(
    name="own_value",
    title="Build your own Value: +, *, tanh, and backward()",
    lesson="02",
    collect=collect_own_value,
    judge=judge_own_value,
    hints=(
        "Each op returns a new Value made of three things: the result, the Values it came from (children), and "
        "the local derivative of the result with respect to each child. backward() then needs no other knowledge.",
        "backward(): first list the nodes so that each comes after its children (a depth-first search with a set "
        "of visited nodes), then set self.grad = 1.0 and walk that list backwards, adding local * node.grad to "
        "each child's grad.",
        "__add__: Value(a + b, (self, other), (1.0, 1.0)); __mul__: Value(a * b, (self, other), (b, a)); tanh: "
        "t = math.tanh(a), Value(t, (self,), (1 - t*t,)); in backward: child.grad += local * node.grad.",
    ),
    reference=ReferenceValue,
)
