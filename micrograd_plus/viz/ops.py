"""Each op in a teacher's words, from one table: its label in a drawing, how it makes its Value, and its local
derivatives, written with the names learners see.

A plain number in an op is folded into the node (engine.py): `x * 2` is one node with the op name "*2", drawn
"× 2" and written `x · 2`, whose local derivative is "2 (the constant)". The table's templates use {n} for the
node, {x} and {y} for its first and second child (bracketed if compound: `(x1*w1)`), {xr} for the first child's
name inside a function's own brackets, {c} for the constant ({cb}: bracketed if negative), and for ops of many
children {child} (the child at hand), {partner} (the other factor of a product), {own} (the one input a softmax
output or a loss is about), {last}, {all}, {sum}, {exps}, {products}, {squares}, {count} and {half}. Each child's role
(x, y, each, a/b/bias, own) picks its derivative's template. An op the table does not know, and one written
micrograd's way (with its own `_backward()`), states the numbers.
"""

import re
from collections.abc import Callable
from typing import NamedTuple

from ..engine import LINEAR_OP, Value

__all__ = ["Rule", "RULES", "CLOSURE", "UNKNOWN", "op_kind", "op_label", "made_by", "local_rule", "symbol"]
__all__ += ["short_number"]


class Rule(NamedTuple):
    """One kind of op: its drawing label, its forward formula, and ∂node/∂child for each role of a child."""

    drawn: str
    made: str
    local: dict[str, str]
    note: str = ""  # said after the derivatives, with its own punctuation
    own: Callable | None = None  # max or min: which local derivative marks the {own} child (softmax, loss)


_PRODUCT = ": each factor's derivative is the other factor"
_SOFTMAX = ", where p = softmax({all})"
RULES: dict[str, Rule] = {
    # two children, x then y
    "+": Rule("+", "{x} + {y}", {"x": "1", "y": "1"}),
    "-": Rule("-", "{x} - {y}", {"x": "1", "y": "-1"}),
    "*": Rule("×", "{x} · {y}", {"x": "{y}", "y": "{x}"}, _PRODUCT),
    "/": Rule("/", "{x} / {y}", {"x": "1/{y}", "y": "-{x}/{y}²"}),
    "**": Rule("**", "{x}**{y}", {"x": "{y}·{x}**({y}-1)", "y": "{x}**{y}·ln({xr})"}),
    # one child and a constant c folded into the node: x + 1 is "+1", 1 - x is "1-"
    "+c": Rule("+ {c}", "{x} + {cb}", {"x": "1"}),
    "-c": Rule("- {c}", "{x} - {cb}", {"x": "1"}),
    "c-": Rule("{c} -", "{cb} - {x}", {"x": "-1"}),
    "*c": Rule("× {c}", "{x} · {cb}", {"x": "{c}"}, " (the constant)"),
    "/c": Rule("/ {c}", "{x} / {cb}", {"x": "1/{cb}"}),
    "c/": Rule("{c} /", "{cb} / {x}", {"x": "-{cb}/{x}²"}),
    "**c": Rule("** {c}", "{x}**{cb}", {"x": "{power}"}),
    "c**": Rule("{c} **", "{cb}**{x}", {"x": "{cb}**{x}·ln({c})"}),
    "neg": Rule("neg", "-{x}", {"x": "-1"}),
    # functions of one child
    "exp": Rule("exp", "exp({xr})", {"x": "exp({xr})"}),
    "log": Rule("log", "ln({xr})", {"x": "1/{x}"}),
    "tanh": Rule("tanh", "tanh({xr})", {"x": "1 - tanh({xr})²"}),
    "sigmoid": Rule("sigmoid", "σ({xr})", {"x": "σ({xr})·(1 - σ({xr}))"}),
    "softplus": Rule("softplus", "ln(1 + exp({xr}))", {"x": "σ({xr})"}),
    "relu": Rule("relu", "relu({xr})", {"x": "(1 if {x} > 0, else 0)"}),
    "abs": Rule("abs", "|{xr}|", {"x": "sign({xr})"}),
    "sqrt": Rule("sqrt", "sqrt({xr})", {"x": "1/(2·sqrt({xr}))"}),
    "sin": Rule("sin", "sin({xr})", {"x": "cos({xr})"}),
    "cos": Rule("cos", "cos({xr})", {"x": "-sin({xr})"}),
    # many children (functional.py, losses.py, gpt.py)
    "sum": Rule("+", "{sum}", {"each": "1"}),  # the n-ary "+" of add_all
    "dot": Rule("dot", "{products}", {"a": "{partner}", "b": "{partner}"}, _PRODUCT),
    LINEAR_OP: Rule(
        LINEAR_OP,
        "{products} + {last}",
        {"a": "{partner}", "b": "{partner}", "bias": "1"},
        ": each weight's derivative is its input, each input's is its weight",
    ),  # fmt: skip
    "softmax": Rule(
        "softmax", "exp({own}) / ({exps})", {"own": "{n}·(1 - {n})", "each": "-{n}·p({child})"}, _SOFTMAX, max
    ),  # fmt: skip
    "logsumexp": Rule("logsumexp", "ln({exps})", {"each": "exp({child} - {n})"}, ": the softmax of {all}"),
    "cross_entropy": Rule(
        "cross_entropy",
        "ln({exps}) - {own}",
        {"own": "p({child}) - 1", "each": "p({child})"},
        _SOFTMAX + ": the predicted probability, minus 1 at the target",
        min,
    ),  # fmt: skip
    "1/rms": Rule("1/rms", "1/sqrt(mean({squares}) + ε)", {"each": "-{child}·{n}³/{count}"}),
    "q·k/√d": Rule("q·k/√d", "({products}) / √{half}", {"a": "{partner}/√{half}", "b": "{partner}/√{half}"}),
}
RULES["cross-entropy"] = RULES["cross_entropy"]._replace(drawn="cross-entropy")  # gpt.py's name for the same op
UNKNOWN = Rule("{op}", "{op}({all})", {"each": "{number}"}, ", as the {op!r} op recorded")
CLOSURE = UNKNOWN._replace(note=", as its own _backward() computed it (an op written micrograd's way)")

_NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?|inf|nan)"  # a float as floats.named() writes it
_CONSTANT_FIRST = re.compile(rf"(\*\*|[-+*/])({_NUMBER})")  # x * 2 is "*2"
_CONSTANT_LAST = re.compile(rf"({_NUMBER})(\*\*|[-/])")  # 2 / x is "2/"
_SYMBOL = re.compile(r"[\w.#\[\]]+")  # a name that reads as one symbol inside a formula; others get brackets
_SHOWN = 6  # terms of a long sum written out: a + b + ... + z past this


def symbol(name: str) -> str:
    """The name as one symbol in a formula: bracketed unless it already is one (x1, w.0, layers.0.b)."""
    return name if _SYMBOL.fullmatch(name) else f"({name})"


def op_kind(node: Value) -> tuple[str, Rule, str]:
    """(kind, rule, constant): the row of RULES for the node's op, e.g. ("*c", ..., "2") for x * 2.

    An op written micrograd's way keeps its row's label and formula, but its own _backward() has the numbers.
    """
    kind, rule, constant = _row(node._op, len(node._children))
    if node._local_grads is None:
        return kind, rule._replace(local=CLOSURE.local, note=CLOSURE.note, own=None), constant
    return kind, rule, constant


def _row(op: str, count: int) -> tuple[str, Rule, str]:
    if count == 1:
        first, last = _CONSTANT_FIRST.fullmatch(op), _CONSTANT_LAST.fullmatch(op)
        if first:
            return first[1] + "c", RULES[first[1] + "c"], first[2]
        if last:
            return "c" + last[2], RULES["c" + last[2]], last[1]
    kind = "sum" if op == "+" and count != 2 else op
    rule = RULES.get(kind)
    if rule is None or _roles(rule, count, [0.0] * count) is None:
        return "unknown", UNKNOWN, ""
    return kind, rule, ""


def op_label(node: Value) -> str:
    """The text of the node's op in a drawing: "× 2" for x * 2, "tanh", "+"."""
    _, rule, constant = op_kind(node)
    return rule.drawn.format(c=_short(constant), op=node._op)


def made_by(node: Value, child_names: list[str]) -> str:
    """How the node is made from its children, in their names: 'a · b', 'tanh(n)', 'x · 2', 'w.0·x0 + b'."""
    _, rule, constant = op_kind(node)
    roles = None if node._local_grads is None else _roles(rule, len(child_names), list(node._local_grads))
    return rule.made.format_map(_words(node, "", child_names, constant, roles))


def local_rule(node: Value, name: str, child_names: list[str], local_grads: list[float]) -> str:
    """The op's local derivatives in words: for each child, its formula in the drawing's names and its number.

    For an op written micrograd's way, the step-through passes its distinct children's names and the local
    derivatives its own _backward() gave.
    """
    _, rule, constant = op_kind(node)
    roles = _roles(rule, len(child_names), local_grads)
    words = _words(node, name, child_names, constant, roles)
    shown = [i for i, role in enumerate(roles) if len(roles) <= 3 or roles.index(role) == i]
    parts = []
    for i in shown:
        number = short_number(local_grads[i])
        words.update(child=symbol(child_names[i]), partner=_partner(child_names, i), number=number)
        formula = rule.local[roles[i]].format_map(words)
        said = formula if formula in (number, f"{local_grads[i]:.6g}") else f"{formula} = {number}"
        parts.append(f"∂{words['n']}/∂{words['child']} = {said}")
    text = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    if len(shown) < len(roles):
        text += f", and likewise for the other {len(roles) - len(shown)}"
    return text + rule.note.format_map(words)


def _roles(rule: Rule, count: int, local_grads: list[float]) -> list[str] | None:
    """Each child's role in the rule (which template gives its derivative), or None if the rule cannot fit."""
    keys = list(rule.local)
    if keys == ["each"]:
        return ["each"] * count if count else None
    if "own" in keys:
        if not count:
            return None
        own = local_grads.index(rule.own(local_grads))
        return ["own" if i == own else "each" for i in range(count)]
    if "a" in keys:  # products of pairs: a_1..a_k then b_1..b_k, then a bias if the rule has one
        pairs = (count - ("bias" in keys)) // 2
        if pairs < 1 or 2 * pairs + ("bias" in keys) != count:
            return None
        return ["a"] * pairs + ["b"] * pairs + ["bias"] * ("bias" in keys)
    return keys if count == len(keys) else None  # by position: x, then y


def _partner(child_names: list[str], i: int) -> str:
    """The other factor of child i in a product of pairs (a_1..a_k, b_1..b_k[, bias])."""
    pairs = len(child_names) // 2
    j = i + pairs if i < pairs else i - pairs
    return symbol(child_names[j]) if 0 <= j < 2 * pairs else ""


def _words(node: Value, name: str, child_names: list[str], constant: str, roles: list[str] | None) -> dict:
    """The values of every placeholder the templates use."""
    symbols = [symbol(child) for child in child_names] or [""]
    pairs = len(symbols) // 2
    own = roles.index("own") if roles and "own" in roles else len(symbols) - 1
    c = _short(constant)
    return {
        "n": symbol(name), "x": symbols[0], "y": symbols[-1], "xr": (child_names or [""])[0], "op": node._op,
        "c": c, "cb": f"({c})" if c.startswith("-") else c, "power": _power_slope(c, symbols[0]),
        "own": symbols[own], "last": symbols[-1], "child": symbols[-1], "count": len(child_names), "half": pairs,
        "all": _series(symbols, ", "), "sum": _series(symbols, " + "), "exps": _series(symbols, " + ", "exp({})"),
        "squares": _series(symbols, ", ", "{}²"),
        "products": _series([f"{a}·{b}" for a, b in zip(symbols[:pairs], symbols[pairs : 2 * pairs])], " + "),
    }  # fmt: skip


def _series(items: list[str], separator: str, form: str = "{}") -> str:
    """The items joined, each in `form`; past _SHOWN of them, the first two, '...', and the last."""
    items = [form.format(item) for item in items]
    if len(items) > _SHOWN:
        items = [*items[:2], "...", items[-1]]
    return separator.join(items)


def _power_slope(exponent: str, x: str) -> str:
    """k·x**(k-1) as a teacher writes it: 2·x for k = 2, 1 for k = 1, 0 for k = 0."""
    try:
        k = float(exponent)
    except ValueError:
        return ""
    if k in (0.0, 1.0):
        return f"{k:g}"
    if k == 2.0:
        return f"2·{x}"
    power = f"{k - 1:g}"
    return f"{exponent}·{x}**{power if k > 1 else f'({power})'}"


def _short(constant: str) -> str:
    """A folded constant as the drawing and the text show it: 2, 0.5, 1e-06, 0.333333 (6 significant digits)."""
    return f"{float(constant):.6g}" if constant else ""


def short_number(x: float) -> str:
    """A short, exact-looking number for the chain-rule text: 6.0, -0.5, 0.00012, 1.5e-07."""
    text = f"{float(x):.6g}"  # float(): a local derivative an exercise recorded may be an int or a Fraction
    if text.lstrip("-").isdigit():
        text += ".0"
    return text
