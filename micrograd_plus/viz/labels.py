"""The words in a drawing: each Value's name, its numbers, and text made safe for Graphviz.

A Value's name, by precedence: `names=` (a Module's named_parameters(), or a dict Value -> name), its
own `.label`, the one variable that holds it in the code that asked for the drawing (`d` for
`draw_graph(d)` after `d = c.tanh()`), else nothing (draw_graph) or v0, v1, ... (the step-through).

Every piece of text goes into the DOT source through `html_text()`, so no label a user writes (a
quote, `<b>`, a backslash sequence such as \\N that Graphviz would replace by the node's name, a NUL,
a lone surrogate) can change the drawing's structure or make Graphviz fail.
"""

import html
import re
import sys
from collections.abc import Iterable, Mapping

from ..engine import Value

__all__ = ["format_number", "format_grad", "html_text", "parameter_names", "variable_names", "value_names"]

# C0 controls but tab and newline, DEL, lone surrogates, and U+FFFE/U+FFFF: none of them may appear in
# Graphviz's HTML-like labels (its XML parser rejects them) and none is printable.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def format_number(x: float) -> str:
    """x with 4 decimals, or in scientific notation when it is very large or very small."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e6 or x != x or abs(x) == float("inf"):
        return f"{x:.4f}"
    return f"{x:.3e}"


def format_grad(grad: float | None) -> str:
    """A grad as format_number() writes it, or "None" as PyTorch prints a gradient not computed yet."""
    return "None" if grad is None else format_number(grad)


def html_text(text: str, align: str = "") -> str:
    """`text` for a Graphviz HTML-like label: markup characters escaped, backslashes doubled, new lines as <BR/>
    (every line aligned left or right with align="LEFT" or "RIGHT"; centred by default).

    Graphviz replaces \\N, \\G, \\E ... by names even inside HTML-like labels and reads \\\\ as one
    backslash, so doubling every backslash keeps the text as written. A control character, NUL, or
    lone surrogate becomes U+FFFD (the replacement character) instead of a syntax error.
    """
    text = _UNPRINTABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\t", " "))
    escaped = html.escape(text, quote=True).replace("\\", "\\\\")
    if not align:
        return "<BR/>".join(escaped.split("\n"))
    newline = f'<BR ALIGN="{align}"/>'  # it aligns the line it ends, so the last line needs one too
    return newline.join(escaped.split("\n")) + newline


def parameter_names(names: object) -> dict[Value, str]:
    """{Value: name} from a Module (its named_parameters()), a dict Value -> name, or None."""
    if names is None:
        return {}
    named_parameters = getattr(names, "named_parameters", None)
    if callable(named_parameters):  # a Module: duck-typed, so viz does not import nn
        labels = {}
        for name, value in named_parameters():
            labels.setdefault(value, name)  # a shared parameter keeps its first name
        return labels
    if isinstance(names, Mapping):
        for value, name in names.items():
            if not isinstance(value, Value) or not isinstance(name, str):
                raise TypeError(
                    f"names must map Value -> str, got a key of type {type(value).__name__} "
                    f"with a value of type {type(name).__name__}"
                )
        return dict(names)
    raise TypeError(
        f"names must be a Module (its named_parameters() name the parameters) or a dict Value -> name, "
        f"got {type(names).__name__}"
    )


def variable_names() -> dict[Value, str]:
    """{Value: variable name} in the nearest caller outside micrograd_plus.viz, for Values held by exactly one name.

    A notebook's `d = c.tanh(); StepThrough(d)` then calls the output d, as the learner does. Names
    starting with "_" (IPython's output history) and Values held by two names are left out.
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__ or "micrograd_plus.viz"):
        frame = frame.f_back
    if frame is None:
        return {}
    holders: dict[Value, list[str]] = {}
    for name, value in list(frame.f_locals.items()):
        if isinstance(value, Value) and not name.startswith("_"):
            holders.setdefault(value, []).append(name)
    return {value: names[0] for value, names in holders.items() if len(names) == 1}


def value_names(
    order: Iterable[Value], given: Mapping[Value, str], variables: Mapping[Value, str], fallback: bool = False
) -> dict[Value, str]:
    """Each Value's name by precedence (given, label, variable); with fallback, v{position} for the rest.

    Two different Values never share a name: the second "x" is written "x#2", so the chain-rule text
    never has the same name on both sides of an equation.
    """
    names: dict[Value, str] = {}
    taken: dict[str, int] = {}
    for index, node in enumerate(order):
        name = given.get(node) or node.label or variables.get(node) or (f"v{index}" if fallback else "")
        if name:
            taken[name] = taken.get(name, 0) + 1
            names[node] = name if taken[name] == 1 else f"{name}#{taken[name]}"
    return names
