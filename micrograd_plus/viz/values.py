"""The DOT of Values: one box per Value (name | data | grad) and one small node per op, as micrograd draws them.

Node ids are positions in the topological order (v0, v1, ...), never id(), so the same graph gives
byte-identical DOT text on every run. The statements are added with graphviz's own `.node()` and
`.edge()`, as micrograd's draw_dot does; every label is an HTML-like label built from `html_text()`.
"""

from collections.abc import Mapping

import graphviz

from ..engine import Value
from .labels import format_grad, format_number, html_text
from .ops import op_label

__all__ = ["Style", "add_values", "value_table", "parents_of", "GRAD_FILL", "NAME_FILL", "OP_FILL", "MUTED"]

NAME_FILL = "#dbe9f6"  # the name cell of a named parameter
GRAD_FILL = "#fdf1dc"  # the grad cell
OP_FILL = "#eeeeee"
MUTED = "#757575"  # grey text: grads not reached yet, "3 more…"
HOT_EDGE = "#e65100"  # the edges the gradient flows back along in a step-through frame


class Style:
    """How to draw: grads or not, fill colours, and (for the step-through) which grads and edges to show."""

    def __init__(
        self,
        show_grad: bool = True,
        colours: Mapping[Value, str] | None = None,
        grads: Mapping[Value, float] | None = None,
        pending: frozenset = frozenset(),
        hot_edges: frozenset = frozenset(),
        parameters: frozenset = frozenset(),
    ):
        self.show_grad = show_grad
        self.colours = colours or {}
        self.grads = grads  # None: each Value's own .grad
        self.pending = pending  # Values whose grad is drawn grey: not reached yet
        self.hot_edges = hot_edges  # (child, node) pairs drawn thick: the chain rule of this step
        self.parameters = parameters  # Values named by a Module: their name cell is blue


def parents_of(order: list[Value]) -> dict[Value, list[Value]]:
    """{Value: the Values made from it}, for every Value in `order`."""
    parents = {node: [] for node in order}
    for node in order:
        for child in node._children:
            parents[child].append(node)
    return parents


def add_values(
    graph: graphviz.Digraph,
    order: list[Value],
    names: Mapping[Value, str],
    style: Style,
    shown: set[Value] | None = None,
) -> None:
    """Add a box per Value in `order` (only those in `shown`, if given), a node per op, and their edges."""
    index = {node: i for i, node in enumerate(order)}
    parents = parents_of(order) if shown is not None else {}
    for node in order:
        if shown is not None and node not in shown:
            continue
        i = index[node]
        graph.node(f"v{i}", label=f"<{value_table(node, names.get(node, ''), style)}>", shape="plain")
        if node._children:
            op = f"v{i}_op"
            graph.node(op, label=f"<{html_text(op_label(node))}>", shape="ellipse", style="filled", fillcolor=OP_FILL,
                       fontsize="10", width="0.3", height="0.25", margin="0.03,0.01")  # fmt: skip
            graph.edge(op, f"v{i}")
            hidden = 0
            for child in node._children:
                if shown is not None and child not in shown:
                    hidden += 1
                elif (child, node) in style.hot_edges:
                    graph.edge(f"v{index[child]}", op, color=HOT_EDGE, penwidth="2.5")
                else:
                    graph.edge(f"v{index[child]}", op)
            if hidden:
                graph.node(f"v{i}_more", label=f"{hidden} more…", shape="plaintext", fontcolor=MUTED)
                graph.edge(f"v{i}_more", op, style="dashed")
        if shown is not None:
            users = sum(1 for parent in parents[node] if parent not in shown)
            if users:
                graph.node(f"v{i}_used", label=f"used by {users} more…", shape="plaintext", fontcolor=MUTED)
                graph.edge(f"v{i}", f"v{i}_used", style="dashed")


def value_table(node: Value, name: str, style: Style) -> str:
    """The HTML-like table of one Value: its name (if any) | data | grad (a leaf that needs none has no grad cell)."""
    cells = []
    if name:
        fill = f' BGCOLOR="{NAME_FILL}"' if node in style.parameters else ""
        cells.append(f"<TD{fill}><B>{html_text(name)}</B></TD>")
    cells.append(f"<TD>data {format_number(node.data)}</TD>")
    needs_grad = node._children or node.requires_grad  # a constant or frozen leaf: its grad means nothing
    if style.show_grad and needs_grad:
        grad = node.grad if style.grads is None else style.grads.get(node, 0.0)
        if node in style.pending or grad is None:  # None: no gradient yet (zero_grad(), or backward() not here)
            cells.append(f'<TD><FONT COLOR="{MUTED}">grad {format_grad(grad)}</FONT></TD>')
        else:
            cells.append(f'<TD BGCOLOR="{GRAD_FILL}">grad {format_grad(grad)}</TD>')
    fill = style.colours.get(node, "white")
    return (
        f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{fill}">'
        f"<TR>{''.join(cells)}</TR></TABLE>"
    )
