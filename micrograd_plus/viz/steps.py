"""Backprop, one node at a time: the chain rule with the actual numbers, as backward() applies it.

backward_steps(root) replays backward() on a copy of the gradients: it never changes the real `.grad`
of any Value (pass apply=True to run the real backward() afterwards). It follows backward() exactly
(reverse topological order, children in their recorded order, `child.grad += local * node.grad`), so
its final gradients are bit for bit those backward() gives on a graph whose grads start at 0 (or None).
An op written micrograd's way, with its own `_backward()`, is replayed by running that function on the
replay's gradients; every real `.grad` is put back afterwards, and a `_backward()` that fails is reported
in its step, not raised.

The text uses the names learners see in the drawing, says how each op made its Value and its local
derivatives as a teacher writes them (one table for every op: ops.py), and each step the way the code does
it: `a.grad += e.grad × ∂e/∂a = -2.0 × -3.0 = 6.0`. A name that is not one symbol is bracketed,
`(x1*w1 + x2*w2).grad`, and two different Values never share a name.
"""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import NamedTuple

from ..engine import Value, to_float
from .graph import ordered_values
from .labels import parameter_names, value_names, variable_names
from .ops import local_rule, made_by, symbol
from .ops import short_number as _num

__all__ = ["ChainRuleTerm", "BackwardStep", "backward_steps", "final_grads", "replay", "Replay"]


@dataclass(frozen=True)
class ChainRuleTerm:
    """One child's share of a step: child.grad += node.grad × ∂node/∂child."""

    child: Value
    child_name: str
    upstream: float  # node.grad: the gradient arriving at the node
    local: float  # ∂node/∂child: the op's local derivative
    product: float  # what is added to the child's grad
    total: float  # the child's grad after adding it
    text: str  # e.g. "a.grad += e.grad × ∂e/∂a = -2.0 × -3.0 = 6.0"


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its upstream gradient and what it adds to each child's grad."""

    number: int  # 0 seeds the output's gradient; then one step per op, in backward()'s order
    node: Value
    name: str
    upstream: float
    terms: tuple[ChainRuleTerm, ...]
    headline: str  # one line: "Step 2 of 3: e = a * b passes its grad (-2.0) back to a and b"
    text: str  # the headline, the local rule, and one line per term


class Replay(NamedTuple):
    """What one replay of backward() found: the Values in order, the name of each, and the steps."""

    order: list[Value]
    names: dict[Value, str]
    steps: list[BackwardStep]


def backward_steps(root: Value, gradient: float = 1.0, names: object = None, apply: bool = False) -> list[BackwardStep]:
    """Replay root.backward() one node at a time, without changing any `.grad` (unless apply=True).

    Step 0 seeds the output (out.grad = 1.0); each next step takes one op, newest first, and adds
    upstream gradient times local derivative to each child's grad. names: a Module or a dict
    Value -> name; unnamed Values are called by their label, the variable holding them, or v0, v1, ...
    """
    steps = replay(root, gradient, names, variable_names()).steps
    if apply:
        root.backward(gradient)
    return steps


def replay(root: Value, gradient: float, names: object, variables: Mapping[Value, str]) -> Replay:
    """One sort, one pass: the steps of backward() from `root`, with every Value named."""
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() takes the output Value, got {type(root).__name__}")
    gradient = to_float(gradient)
    order = ordered_values([root])
    given = parameter_names(names)
    if not (given.get(root) or root.label or variables.get(root)):
        given[root] = "out"
    names_of = value_names(order, given, variables, fallback=True)
    grads = dict.fromkeys(order, 0.0)
    grads[root] += gradient
    operations = [node for node in reversed(order) if node._children]
    steps = [_seed_step(root, names_of[root], gradient, len(operations))]
    real_grads = {node: node.grad for node in order}  # an op's own _backward() writes .grad: put them back after
    try:
        for number, node in enumerate(operations, start=1):
            steps.append(_step(number, len(operations), node, grads, names_of))
    finally:
        for node, grad in real_grads.items():
            node.grad = grad
    return Replay(order, names_of, steps)


def _step(number: int, count: int, node: Value, grads: dict[Value, float], names_of: dict[Value, str]) -> BackwardStep:
    """One op's step: its upstream gradient times each local derivative, added to the children's grads."""
    upstream, name = grads[node], names_of[node]
    if node._local_grads is None:  # an op written micrograd's way: its own _backward() does this step
        children, shares, failure = _run_own_backward(node, upstream, grads)
    else:
        children, shares, failure = node._children, [], ""
        for child, local in zip(children, node._local_grads, strict=True):
            product = local * upstream
            grads[child] += product  # the same float operations, in the same order, as backward()
            shares.append((local, product, grads[child]))
    terms = [
        _term(name, names_of[child], child, upstream, local, product, total)
        for child, (local, product, total) in zip(children, shares, strict=True)
    ]
    child_names = [names_of[child] for child in node._children]
    made = made_by(node, child_names)
    said = name if _plain(made) == _plain(name) else f"{name} = {made}"  # "x1*w1 = x1 · w1" would say it twice
    receivers = list(dict.fromkeys(symbol(child) for child in child_names))
    to = _listed(receivers) if len(receivers) <= 4 else f"its {len(receivers)} inputs"
    headline = f"Step {number} of {count}: {said} passes its grad ({_num(upstream)}) back to {to}"
    local_grads = [local for local, _, _ in shares]
    lines = [headline, f"  local derivative: {_rule(node, name, children, local_grads, names_of, failure)}"]
    lines += [f"  {term.text}" for term in terms]
    return BackwardStep(number, node, name, upstream, tuple(terms), headline, "\n".join(lines))


def _run_own_backward(node: Value, upstream: float, grads: dict[Value, float]) -> tuple[list, list, str]:
    """What an op written micrograd's way adds to each child's grad, by running its own _backward() on the replay's
    gradients (replay() puts every real .grad back afterwards): first with node.grad = 1, which gives the local
    derivatives, then with this pass's upstream gradient and the grads so far, which gives what backward() adds.
    Returns the distinct children, (local, product, total) for each, and what went wrong ("" if nothing)."""
    children = list(dict.fromkeys(node._children))  # a child used twice gets both uses' share at once
    try:
        for child in children:
            child.grad = 0.0
        node.grad = 1.0
        node._backward()
        local_grads = [child.grad for child in children]
        for child in children:
            child.grad = grads[child]
        node.grad = upstream
        node._backward()
        totals = [child.grad for child in children]
        for grad in local_grads + totals:
            if not isinstance(grad, Real):
                raise TypeError(f"it set a grad to {type(grad).__name__} {grad!r}, not a number")
    except Exception as error:  # noqa: BLE001 (a student's op may fail in any way: say how, do not crash)
        return [], [], f"{type(error).__name__}: {error}"
    shares = []
    for child, local, total in zip(children, local_grads, totals, strict=True):
        shares.append((float(local), total - grads[child], total))
        grads[child] = total
    return children, shares, ""


def _rule(node: Value, name: str, children, local_grads, names_of, failure: str) -> str:
    """The local derivatives in words, and a note where a child is used more than once."""
    if failure:
        return (
            f"its own _backward() raised {failure}; backward() stops at this op with the same error, "
            "so its children get nothing from it here"
        )
    rule = local_rule(node, name, [names_of[child] for child in children], local_grads)
    for child, uses in Counter(node._children).items():
        if uses > 1:
            own = node._local_grads is None  # its _backward() gave one number for the child: every use at once
            added = "its _backward() added every use at once" if own else f"its {uses} terms below add up"
            rule += f"; {symbol(names_of[child])} is used {_times(uses)} here, so {added}"
    return rule


def _listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def final_grads(steps: list[BackwardStep]) -> dict[Value, float]:
    """{Value: gradient} after the last step, what backward() leaves in `.grad` on a fresh graph."""
    if not steps:
        raise ValueError("final_grads() needs the list backward_steps() returned, got an empty list")
    grads = {steps[0].node: steps[0].upstream}
    for step in steps[1:]:
        for term in step.terms:
            grads[term.child] = term.total
    for node in grads:
        if not node._children and not node.requires_grad:
            grads[node] = 0.0  # backward() sets frozen parameters back to 0
    return grads


def _plain(text: str) -> str:
    return re.sub(r"[\s()·*]", "", text)


def _seed_step(root: Value, name: str, gradient: float, operations: int) -> BackwardStep:
    out = symbol(name)
    headline = f"Start: {out}.grad = {_num(gradient)}"
    seed = "∂{0}/∂{0} = 1" if gradient == 1.0 else "backward({1}) seeds it with {1}"
    text = (
        f"{headline}\n  {seed.format(out, _num(gradient))}: the output's own gradient starts the chain rule;\n  "
        f"then {operations} op{'s' if operations != 1 else ''} pass it back, newest first, until every Value's grad "
        f"holds ∂{out}/∂(that Value)"  # two lines: a notebook's output breaks long lines mid-word
    )
    return BackwardStep(0, root, name, gradient, (), headline, text)


def _term(name, child_name, child, upstream, local, product, total) -> ChainRuleTerm:
    node, receiver = symbol(name), symbol(child_name)
    text = f"{receiver}.grad += {node}.grad × ∂{node}/∂{receiver} = {_num(upstream)} × {_num(local)} = {_num(product)}"
    if total != product:  # the child was reached before: gradients from every use add up
        text += f", so {receiver}.grad is now {_num(total)}"
    if not child._children and not child.requires_grad:
        text += " (frozen: backward() sets it back to 0)"
    return ChainRuleTerm(child, child_name, upstream, local, product, total, text)


def _times(uses: int) -> str:
    return {2: "twice", 3: "three times"}.get(uses, f"{uses} times")
