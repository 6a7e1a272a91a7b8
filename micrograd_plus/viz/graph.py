"""draw_graph and draw_dot: the computation graph of a Value, as a graphviz.Digraph you can display, render and save.

A graph of up to `max_nodes` Values is drawn whole, one box per Value (name | data | grad) and one small
node per op. A bigger one is drawn collapsed, one box per layer, or (with no neurons in it) as the Values
nearest the output; `around=[value]` draws the Values near chosen ones.
"""

import re
from collections.abc import Iterable, Mapping

from ..engine import LINEAR_OP, Value, topological_order
from .collapsed import add_collapsed
from .drawing import FONT, Graph
from .labels import html_text, parameter_names, value_names, variable_names
from .values import Style, add_values, parents_of

__all__ = ["Graph", "draw_graph", "draw_dot", "DEFAULT_MAX_NODES", "RANKDIRS", "values_graph", "ordered_values"]

DEFAULT_MAX_NODES = 200  # Values; past this a full drawing is a wall of boxes, so collapse it
RANKDIRS = ("LR", "TB", "RL", "BT")
HIGHLIGHT = "#ffd54f"  # amber: the colour of `highlight=` Values when no colour is given
_COLOUR = re.compile(r"[A-Za-z]+[0-9]*|#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")  # Graphviz names (gray80) or hex


def draw_graph(
    root: Value | Iterable[Value],
    rankdir: str = "LR",
    show_grad: bool = True,
    highlight: Iterable[Value] | Mapping[Value, str] = (),
    names: object = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    around: Iterable[Value] | None = None,
    depth: int = 2,
    collapse: bool | None = None,
    caption: str = "",
    format: str = "svg",
) -> Graph:
    """Draw the computation graph of `root` (a Value, or a list of output Values); returns a graphviz.Digraph.

    rankdir: "LR" (inputs on the left) or "TB" (top to bottom). show_grad=False hides the grads (a leaf
    with requires_grad=False, a constant, never shows one). highlight: Values to fill in amber, or a dict
    Value -> colour. names: a Module (its named_parameters() name the parameters) or a dict Value -> name
    for any Value; unnamed Values show their label, else the variable holding them in your code.
    A graph of more than `max_nodes` Values (None: no limit) is drawn collapsed, one box per layer;
    collapse=True asks for that view at any size. around=[values] draws only the Values within `depth`
    ops of them. caption: text above the drawing. format: what render() and pipe() write by default.
    """
    roots = _as_values(
        root, "draw_graph() takes a Value (or a list of Values)", "pass the output, e.g. draw_graph(loss)"
    )
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {list(RANKDIRS)}, got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive whole number or None, got {max_nodes!r}")
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str, got {type(caption).__name__}: {caption!r}")
    given = parameter_names(names)
    colours = _highlight_colours(highlight)
    order = ordered_values(roots)
    missing = [value for value in colours if value not in set(order)]
    if missing:  # it would silently draw nothing
        raise ValueError(f"highlight= holds a Value that is not in this graph: {missing[0]!r}")
    variables = variable_names()
    shown_names = value_names(order, given, variables)
    style = Style(show_grad=show_grad, colours=colours, parameters=frozenset(v for v in given if not v._children))
    graph = values_graph(roots, order, value_names(order, given, variables, fallback=True), rankdir, format)

    if around is not None:
        centres = _as_values(around, "around= takes a Value or a list of Values", "e.g. around=[w]", True)
        shown = _neighbourhood(order, centres, _check_depth(depth))
        graph.note = f"The {len(shown)} Values within {depth} ops of the chosen ones, of {len(order)} in all."
        add_values(graph, order, shown_names, style, shown=shown)
    elif collapse or (collapse is None and max_nodes is not None and len(order) > max_nodes):
        if any(node._op == LINEAR_OP for node in order):
            graph.note = (
                f"{len(order):,} Values are too many boxes to read, so each layer of neurons is one box.\n"
                "Every Value: draw_graph(..., max_nodes=None). The Values near one: draw_graph(..., around=[w])."
            )
            add_collapsed(graph, order, roots, shown_names, style)
        else:  # no neurons to collapse into: show the part nearest the output
            shown = _nearest(roots, max_nodes or DEFAULT_MAX_NODES)
            graph.note = (
                f"The {len(shown)} Values nearest the output, of {len(order):,}.\n"
                "Every Value: draw_graph(..., max_nodes=None)."
            )
            add_values(graph, order, shown_names, style, shown=shown)
    else:
        add_values(graph, order, shown_names, style)
    title = "\n".join(part for part in (caption, graph.note) if part)
    if title:
        graph.attr(label=f"<{html_text(title, align='LEFT')}>", labelloc="t", labeljust="l")
    return graph


def draw_dot(root: Value | Iterable[Value], format: str = "svg", rankdir: str = "LR", **options) -> Graph:
    """micrograd's name and arguments: draw_dot(root, format='svg', rankdir='LR'); the options of draw_graph."""
    return draw_graph(root, rankdir=rankdir, format=format, **options)


def values_graph(roots: list[Value], order: list[Value], names: Mapping[Value, str], rankdir: str = "LR",
                 format: str = "svg") -> Graph:  # fmt: skip
    """An empty Graph with our fonts, sizes and colours, ready for add_values() or add_collapsed()."""
    return Graph(
        name="G",
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "12", "nodesep": "0.2", "ranksep": "0.35"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"color": "#616161", "arrowsize": "0.6", "fontname": FONT},
        roots=roots,
        names=names,
        num_nodes=len(order),
    )


def ordered_values(roots: list[Value]) -> list[Value]:
    """Every Value the roots depend on, each after its children (one topological order for all the roots)."""
    if len(roots) == 1:
        return topological_order(roots[0])
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


# ---- the checks at the public boundary ------------------------------------------------------------


def _as_values(values: object, what: str, example: str, allow_empty: bool = False) -> list[Value]:
    if isinstance(values, Value):
        return [values]
    if isinstance(values, Iterable) and not isinstance(values, (str, bytes, Mapping)):
        values = list(values)
        bad = [v for v in values if not isinstance(v, Value)]
        if bad:
            raise TypeError(f"{what}, got a list holding a {type(bad[0]).__name__}: {bad[0]!r}; {example}")
        if values or allow_empty:
            return values
        raise TypeError(f"{what}, got an empty list; {example}")
    raise TypeError(f"{what}, got {type(values).__name__}; {example}")


def _highlight_colours(highlight: object) -> dict[Value, str]:
    if isinstance(highlight, Mapping):
        for value, colour in highlight.items():
            if not isinstance(value, Value) or not isinstance(colour, str):
                raise TypeError("highlight must be a list of Values or a dict Value -> colour name (e.g. 'gold')")
            # the colour goes into the DOT text as is, so a quote or a bracket in it would break the drawing
            if not _COLOUR.fullmatch(colour):
                raise ValueError(
                    f"highlight colours must be a colour name such as 'gold' or 'lightblue2', or #rrggbb / "
                    f"#rrggbbaa in hex such as '#ffd54f', got {colour!r}"
                )
        return dict(highlight)
    return dict.fromkeys(_as_values(highlight, "highlight= takes Values", "e.g. highlight=[w]", True), HIGHLIGHT)


def _check_depth(depth: object) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"depth must be a whole number >= 0, got {depth!r}")
    return depth


def _neighbourhood(order: list[Value], centres: list[Value], depth: int) -> set[Value]:
    """The Values at most `depth` ops away from any centre, following edges both ways."""
    parents = parents_of(order)
    missing = [value for value in centres if value not in parents]
    if missing:
        raise ValueError(f"around= holds a Value that is not in this graph: {missing[0]!r}")
    shown = set(centres)
    frontier = list(centres)
    for _ in range(depth):
        next_frontier = []
        for node in frontier:
            for neighbour in (*node._children, *parents[node]):
                if neighbour not in shown:
                    shown.add(neighbour)
                    next_frontier.append(neighbour)
        frontier = next_frontier
    return shown


def _nearest(roots: list[Value], count: int) -> set[Value]:
    """The first `count` Values met walking back from the roots, breadth first."""
    shown = set(roots)
    frontier = list(roots)
    while frontier and len(shown) < count:
        next_frontier = []
        for node in frontier:
            for child in node._children:
                if child not in shown and len(shown) < count:
                    shown.add(child)
                    next_frontier.append(child)
        frontier = next_frontier
    return shown
