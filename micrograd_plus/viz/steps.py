"""Backprop, one node at a time: the chain rule with the actual numbers, as backward() applies it.

backward_steps(root) replays backward() on a copy of the gradients: it never changes the real `.grad`
of any Value (pass apply=True to run the real backward() afterwards). It follows backward() exactly
(reverse topological order, children in their recorded order, `child.grad += local * node.grad`), so
its final gradients are bit for bit those backward() gives on a graph whose grads start at 0.

The text uses the names learners see in the drawing, and says each step the way the code does it:
`a.grad += e.grad × ∂e/∂a = -2.0 × -3.0 = 6.0`. A name that is not one symbol is bracketed,
`(x1*w1 + x2*w2).grad`, and two different Values never share a name.
"""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ..engine import LINEAR_OP, Value, to_float
from .graph import ordered_values
from .labels import parameter_names, value_names, variable_names

__all__ = ["ChainRuleTerm", "BackwardStep", "backward_steps", "final_grads", "replay", "Replay", "LOCAL_RULES"]

# The local derivative of each op, with the drawing's names: {n} is the node, {x} and {y} its children
# (bracketed if compound), {xr} the first child's name inside a function's own brackets, {v0} and {v1}
# the numbers the op recorded.
LOCAL_RULES = {
    "+": "∂{n}/∂{x} = 1 and ∂{n}/∂{y} = 1",
    "*": "∂{n}/∂{x} = {y} = {v0} and ∂{n}/∂{y} = {x} = {v1}: each factor's derivative is the other factor",
    "/": "∂{n}/∂{x} = 1/{y} = {v0} and ∂{n}/∂{y} = -{x}/{y}² = {v1}",
    "**": "∂{n}/∂{x} = {y}·{x}**({y}-1) = {v0} and ∂{n}/∂{y} = {x}**{y}·ln({xr}) = {v1}",
    "exp": "∂{n}/∂{x} = exp({xr}) = {v0}",
    "log": "∂{n}/∂{x} = 1/{x} = {v0}",
    "tanh": "∂{n}/∂{x} = 1 - tanh({xr})² = {v0}",
    "sigmoid": "∂{n}/∂{x} = σ({xr})·(1 - σ({xr})) = {v0}",
    "softplus": "∂{n}/∂{x} = σ({xr}) = {v0}",
    "relu": "∂{n}/∂{x} = (1 if {x} > 0, else 0) = {v0}",
    "abs": "∂{n}/∂{x} = sign({xr}) = {v0}",
    "sqrt": "∂{n}/∂{x} = 1/(2·sqrt({xr})) = {v0}",
    "sin": "∂{n}/∂{x} = cos({xr}) = {v0}",
    "cos": "∂{n}/∂{x} = -sin({xr}) = {v0}",
}
_SYMBOL = re.compile(r"[\w.#\[\]]+")  # a name that reads as one symbol inside a formula; others get brackets


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
    for number, node in enumerate(operations, start=1):
        upstream = grads[node]
        name, child_names = names_of[node], [names_of[child] for child in node._children]
        terms = []
        for child, local in zip(node._children, node._local_grads, strict=True):
            product = local * upstream
            grads[child] += product  # the same float operations, in the same order, as backward()
            terms.append(_term(name, names_of[child], child, upstream, local, product, grads[child]))
        made = _made_by(node._op, child_names)
        said = made if _plain(made) == _plain(name) else f"{name} = {made}"  # "x1*w1 + x2*w2 = ..." says it twice
        receivers = list(dict.fromkeys(_symbol(child) for child in child_names))
        to = " and ".join(receivers) if len(receivers) <= 4 else f"its {len(receivers)} inputs"
        headline = f"Step {number} of {len(operations)}: {said} passes its grad ({_num(upstream)}) back to {to}"
        rule = _local_rule(node, name, child_names)
        lines = [headline, f"  local derivative: {rule}", *(f"  {term.text}" for term in terms)]
        steps.append(BackwardStep(number, node, name, upstream, tuple(terms), headline, "\n".join(lines)))
    return Replay(order, names_of, steps)


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


def _symbol(name: str) -> str:
    """The name as one symbol in a formula: bracketed unless it already is one (x1, w.0, layers.0.b)."""
    return name if _SYMBOL.fullmatch(name) else f"({name})"


def _plain(text: str) -> str:
    return re.sub(r"[\s()·*]", "", text)


def _seed_step(root: Value, name: str, gradient: float, operations: int) -> BackwardStep:
    out = _symbol(name)
    headline = f"Start: {out}.grad = {_num(gradient)}"
    seed = "∂{0}/∂{0} = 1" if gradient == 1.0 else "backward({1}) seeds it with {1}"
    text = (
        f"{headline}\n  {seed.format(out, _num(gradient))}: the output's own gradient starts the chain rule; then "
        f"{operations} op{'s' if operations != 1 else ''} pass it back, newest first, until every Value's grad "
        f"holds ∂{out}/∂(that Value)"
    )
    return BackwardStep(0, root, name, gradient, (), headline, text)


def _term(name, child_name, child, upstream, local, product, total) -> ChainRuleTerm:
    node, receiver = _symbol(name), _symbol(child_name)
    text = f"{receiver}.grad += {node}.grad × ∂{node}/∂{receiver} = {_num(upstream)} × {_num(local)} = {_num(product)}"
    if total != product:  # the child was reached before: gradients from every use add up
        text += f", so {receiver}.grad is now {_num(total)}"
    if not child._children and not child.requires_grad:
        text += " (frozen: backward() sets it back to 0)"
    return ChainRuleTerm(child, child_name, upstream, local, product, total, text)


def _made_by(op: str, arguments: list[str]) -> str:
    """How the op combines its children, with their names: 'a * b', 'tanh(n)', 'w.0·x0 + w.1·x1 + b'."""
    symbols = [_symbol(argument) for argument in arguments]
    if op in ("+", "*", "/", "**") and len(arguments) == 2:
        return f"{symbols[0]} {op} {symbols[1]}"
    if op.startswith("**") and len(arguments) == 1:
        return f"{symbols[0]}{op}"
    if op == LINEAR_OP and 3 <= len(arguments) <= 7:
        n = (len(arguments) - 1) // 2
        products = " + ".join(f"{w}·{x}" for w, x in zip(symbols[:n], symbols[n:-1], strict=True))
        return f"{products} + {symbols[-1]}"
    return f"{op}({', '.join(arguments)})"


def _local_rule(node: Value, name: str, child_names: list[str]) -> str:
    """The op's local derivative in words, with the node's and its children's own names and the numbers."""
    op, numbers = node._op, [_num(local) for local in node._local_grads]
    n, symbols = _symbol(name), [_symbol(child) for child in child_names]
    template = LOCAL_RULES.get(op)
    if template and len(child_names) == (2 if "{y}" in template else 1):
        rule = template.format(n=n, x=symbols[0], y=symbols[-1], xr=child_names[0], v0=numbers[0], v1=numbers[-1])
    elif op.startswith("**") and len(child_names) == 1:
        rule = f"∂{n}/∂{symbols[0]} = {_power_slope_formula(op[2:], symbols[0])} = {numbers[0]}"
    elif op == LINEAR_OP:
        rule = _linear_rule(n, symbols, numbers)
    else:  # an op this table does not know (one written in an exercise): the numbers it recorded
        parts = [f"∂{n}/∂{child} = {number}" for child, number in zip(symbols, numbers, strict=True)]
        rule = f"{' and '.join(parts)}, as the {op!r} op recorded"
    for child, uses in Counter(node._children).items():
        if uses > 1:
            child_name = symbols[node._children.index(child)]
            rule += f"; {child_name} is used {_times(uses)} here, so its {uses} terms below add up"
    return rule


def _power_slope_formula(exponent: str, x: str) -> str:
    """k·x**(k-1), written the way a teacher would: 2·x for k = 2, 1 for k = 1."""
    k = float(exponent)
    if k == 0.0:
        return "0"
    if k == 1.0:
        return "1"
    if k == 2.0:
        return f"2·{x}"
    power = f"{k - 1:g}"
    return f"{exponent}·{x}**{power if k > 1 else f'({power})'}"


def _linear_rule(n: str, symbols: list[str], numbers: list[str]) -> str:
    """∂(w·x+b)/∂w_i = x_i, ∂(w·x+b)/∂x_i = w_i, ∂(w·x+b)/∂b = 1, with the first pairs written out."""
    count = (len(symbols) - 1) // 2
    weights, inputs, bias = symbols[:count], symbols[count:-1], symbols[-1]
    pairs = []
    for i in range(min(count, 2)):
        pairs.append(f"∂{n}/∂{weights[i]} = {inputs[i]} = {numbers[i]}")
        pairs.append(f"∂{n}/∂{inputs[i]} = {weights[i]} = {numbers[count + i]}")
    if not pairs:
        return f"∂{n}/∂{bias} = 1"
    more = ", ..." if count > 2 else ""
    return (
        f"each weight's derivative is its input and each input's is its weight ({', '.join(pairs)}{more}), "
        f"and ∂{n}/∂{bias} = 1"
    )


def _times(uses: int) -> str:
    return {2: "twice", 3: "three times"}.get(uses, f"{uses} times")


def _num(x: float) -> str:
    """A short, exact-looking number for the chain-rule text: 6.0, -0.5, 0.00012, 1.5e-07."""
    text = f"{x:.6g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text
