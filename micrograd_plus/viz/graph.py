"""draw_graph: a computation graph in Graphviz, one box per Value (label | data | grad), one small node per op.

Node ids are positions in the topological order (v0, v1, ...), never id(), so the same graph gives
byte-identical DOT text on every run. Graphs bigger than `max_nodes` Values are drawn collapsed,
one box per neuron (grouped by layer), or as the part near chosen Values (`around=`).
"""

import html
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..engine import Value, topological_order
from ..files import write_atomically
from .render import INSTALL_HINT, RendererNotFoundError, render

__all__ = ["Graph", "draw_graph", "draw_dot", "DEFAULT_MAX_NODES", "format_number"]

DEFAULT_MAX_NODES = 200  # Values; past this a full drawing is a wall of boxes, so collapse it
RANKDIRS = ("LR", "TB", "RL", "BT")
HIGHLIGHT = "#ffd54f"  # amber: the colour of `highlight=` Values when no colour is given
_ACTIVATIONS = ("relu", "tanh", "sigmoid")  # the ops Neuron applies after w·x+b
_COLOUR = re.compile(r"[A-Za-z]+[0-9]*|#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")  # Graphviz names (gray80) or hex
_TEXT_TREE_LINES = 300  # the text fallback stops here: a longer listing helps nobody

# colours (a light palette that prints well and stays readable on a projector)
_PARAMETER_FILL = "#dbe9f6"  # the name cell of a named parameter
_GRAD_FILL = "#fdf1dc"  # the grad cell
_OP_FILL = "#eeeeee"
_PENDING_GREY = "#9e9e9e"  # grads the step-through has not reached yet


def format_number(x: float) -> str:
    """x with 4 decimals, or in scientific notation when it is very large or very small."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e6 or x != x or abs(x) == float("inf"):
        return f"{x:.4f}"
    return f"{x:.3e}"


class Graph:
    """A drawn computation graph: DOT text in `.source`, `.save(path)` to a file, inline in Jupyter."""

    def __init__(self, source: str, roots: list[Value], labels: dict[Value, str], num_nodes: int, note: str = ""):
        self.source = source
        self.num_nodes = num_nodes  # Values in the whole graph (the drawing may show fewer)
        self.note = note  # why the drawing is collapsed or partial; "" when it shows everything
        self._roots = roots
        self._labels = labels

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered picture as bytes ("svg" or "png"); raises RendererNotFoundError without Graphviz."""
        return render(self.source, format)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the graph to `path`, in the format its extension names: .svg, .png or .dot (the DOT text)."""
        path = Path(path)
        extension = path.suffix.lower()
        if path.is_dir():
            raise IsADirectoryError(
                f"save() got {str(path)!r}, which is a folder; give a file name inside it, "
                f"e.g. {str(path / 'graph.svg')!r}"
            )
        if extension in (".dot", ".gv"):
            content = self.source.encode("utf-8")
        elif extension in (".svg", ".png"):
            content = self.pipe(extension[1:])
        else:
            got = f"the extension {path.suffix!r}" if path.suffix else "no extension"
            raise ValueError(
                f"save() writes .svg, .png or .dot files (chosen by the file name's extension), but {str(path)!r} "
                f"has {got}; use e.g. {str(path.with_suffix('.svg'))!r}"
            )
        write_atomically(path, content)
        return path

    def text_tree(self) -> str:
        """The graph as an indented text tree (what a notebook shows when no renderer is installed)."""
        return text_tree(self._roots, self._labels)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        # A notebook display must never raise: without a renderer, or if it fails, show text.
        try:
            svg = self.pipe("svg").decode("utf-8")
        except RendererNotFoundError:
            return {"text/plain": f"{self.text_tree()}\n{INSTALL_HINT}"}
        except Exception as error:  # noqa: BLE001 (any render failure becomes the text fallback)
            return {"text/plain": f"{self.text_tree()}\nCould not draw the graph: {error}"}
        return {"image/svg+xml": svg, "text/plain": repr(self)}

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe("svg").decode("utf-8")
        except Exception:  # noqa: BLE001 (None tells IPython to use another representation)
            return None

    def __repr__(self) -> str:
        note = f" ({self.note.splitlines()[0]})" if self.note else ""
        return f"<Graph of {self.num_nodes} Values{note}: .source holds the DOT text, .save('graph.svg') draws it>"


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
) -> Graph:
    """Draw the computation graph of `root` (a Value, or a list of output Values) with Graphviz.

    rankdir: "LR" (inputs on the left) or "TB" (top to bottom). show_grad=False hides the grads.
    highlight: Values to fill in amber, or a dict Value -> colour. names: a Module (its
    named_parameters() label the parameters) or a dict Value -> name. A graph of more than
    `max_nodes` Values (None: no limit) is drawn collapsed, one box per neuron; collapse=True
    asks for that view at any size. around=[values] draws only the Values within `depth` ops of them.
    """
    roots = _as_roots(root)
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {list(RANKDIRS)}, got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive whole number or None, got {max_nodes!r}")
    labels = parameter_names(names)
    colours = _highlight_colours(highlight)
    order = _topological_order_of(roots)
    in_graph = set(order)
    missing = [value for value in colours if value not in in_graph]
    if missing:  # it would silently draw nothing
        raise ValueError(f"highlight= holds a Value that is not in this graph: {missing[0]!r}")
    style = _Style(rankdir=rankdir, show_grad=show_grad, colours=colours)

    if around is not None:
        centres = _as_values(around, "around")
        shown = _neighbourhood(order, centres, _check_depth(depth))
        note = f"The {len(shown)} Values within {depth} ops of the chosen ones, of {len(order)} in all."
        source = values_source(order, labels, style, shown=shown, note=note)
    elif collapse or (collapse is None and max_nodes is not None and len(order) > max_nodes):
        reason = "" if collapse else f"This graph has {len(order):,} Values, more than max_nodes={max_nodes}.\n"
        if any(node._op == "w·x+b" for node in order):
            note = (
                f"{reason}Collapsed: one box per layer, one row per neuron.\n"
                "draw_graph(root, max_nodes=None) draws every Value; around=[value] draws the Values near one."
            )
            source = collapsed_source(order, roots, labels, style, note)
        else:  # no neurons to collapse into: show the part nearest the output
            shown = _nearest(order, roots, max_nodes or DEFAULT_MAX_NODES)
            note = (
                f"{reason}Showing the {len(shown)} Values nearest the output.\n"
                "draw_graph(root, max_nodes=None) draws every Value."
            )
            source = values_source(order, labels, style, shown=shown, note=note)
    else:
        note = ""
        source = values_source(order, labels, style)
    return Graph(source, roots, labels, len(order), note)


draw_dot = draw_graph  # micrograd's name for it


# ---- names, highlights, and the checks at the public boundary --------------------------------


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


def _as_roots(root: object) -> list[Value]:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, Iterable) and not isinstance(root, (str, bytes)):
        roots = list(root)
        if roots and all(isinstance(value, Value) for value in roots):
            return roots
    raise TypeError(
        f"draw_graph() takes a Value (or a list of Values), got {type(root).__name__}; "
        "pass the output of a computation, e.g. draw_graph(loss)"
    )


def _as_values(values: object, what: str) -> list[Value]:
    if isinstance(values, Value):
        return [values]
    if isinstance(values, Iterable) and not isinstance(values, (str, bytes)):
        values = list(values)
        bad = [v for v in values if not isinstance(v, Value)]
        if not bad:
            return values
        raise TypeError(f"{what} must hold Values, got a {type(bad[0]).__name__}: {bad[0]!r}")
    raise TypeError(f"{what} must be a Value or a list of Values, got {type(values).__name__}")


def _highlight_colours(highlight: object) -> dict[Value, str]:
    if isinstance(highlight, Mapping):
        colours = dict(highlight)
        for value, colour in colours.items():
            if not isinstance(value, Value) or not isinstance(colour, str):
                raise TypeError("highlight must be a list of Values or a dict Value -> colour name (e.g. 'gold')")
            # the colour goes into the DOT text as is, so a quote or a bracket in it would break the drawing
            if not _COLOUR.fullmatch(colour):
                raise ValueError(
                    f"highlight colours must be a colour name such as 'gold' or 'lightblue2', or #rrggbb / "
                    f"#rrggbbaa in hex such as '#ffd54f', got {colour!r}"
                )
        return colours
    return dict.fromkeys(_as_values(highlight, "highlight"), HIGHLIGHT)


def _check_depth(depth: object) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"depth must be a whole number >= 0, got {depth!r}")
    return depth


def _topological_order_of(roots: list[Value]) -> list[Value]:
    if len(roots) == 1:
        return topological_order(roots[0])
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _parents(order: list[Value]) -> dict[Value, list[Value]]:
    parents = {node: [] for node in order}
    for node in order:
        for child in node._children:
            parents[child].append(node)
    return parents


def _neighbourhood(order: list[Value], centres: list[Value], depth: int) -> set[Value]:
    """The Values at most `depth` ops away from any centre, following edges both ways."""
    parents = _parents(order)
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


def _nearest(order: list[Value], roots: list[Value], count: int) -> set[Value]:
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


# ---- DOT text ----------------------------------------------------------------------------------


class _Style:
    """How to draw: direction, grads, fill colours, and (for the step-through) grads and edges to show."""

    def __init__(
        self,
        rankdir: str = "LR",
        show_grad: bool = True,
        colours: Mapping[Value, str] | None = None,
        grads: Mapping[Value, float] | None = None,
        pending: frozenset = frozenset(),
        hot_edges: frozenset = frozenset(),
        title: str = "",
    ):
        self.rankdir = rankdir
        self.show_grad = show_grad
        self.colours = colours or {}
        self.grads = grads  # None: each Value's own .grad
        self.pending = pending  # Values whose grad is drawn grey: not reached yet
        self.hot_edges = hot_edges  # (child, node) pairs drawn thick: the chain rule of this step
        self.title = title


def _header(style: _Style, note: str) -> list[str]:
    lines = [
        "digraph G {",
        f'  graph [rankdir={style.rankdir}, fontname="Helvetica", fontsize=12, nodesep=0.2, ranksep=0.35];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#616161", arrowsize=0.6, fontname="Helvetica"];',
    ]
    title = "\n".join(part for part in (style.title, note) if part)
    if title:
        lines.append(f"  labelloc=t; labeljust=l; label={_quote(title)};")
    return lines


def values_source(
    order: list[Value], labels: Mapping[Value, str], style: _Style, shown: set[Value] | None = None, note: str = ""
) -> str:
    """DOT text with one box per Value in `order` (only those in `shown`, if given) and one node per op."""
    index = {node: i for i, node in enumerate(order)}
    parents = _parents(order) if shown is not None else {}
    lines = _header(style, note)
    for node in order:
        if shown is not None and node not in shown:
            continue
        i = index[node]
        lines.append(f"  v{i} [shape=plain, label=<{_value_table(node, labels.get(node, node.label), style)}>];")
        if node._children:
            lines.append(
                f'  v{i}_op [label={_quote(node._op)}, shape=ellipse, style=filled, fillcolor="{_OP_FILL}", '
                'fontsize=10, width=0.3, height=0.25, margin="0.03,0.01"];'
            )
            lines.append(f"  v{i}_op -> v{i};")
            hidden = 0
            for child in node._children:
                if shown is not None and child not in shown:
                    hidden += 1
                elif (child, node) in style.hot_edges:
                    lines.append(f'  v{index[child]} -> v{i}_op [color="#e65100", penwidth=2.5];')
                else:
                    lines.append(f"  v{index[child]} -> v{i}_op;")
            if hidden:
                lines.append(f'  v{i}_more [shape=plaintext, fontcolor="#757575", label="{hidden} more…"];')
                lines.append(f"  v{i}_more -> v{i}_op [style=dashed];")
        if shown is not None:
            users = sum(1 for parent in parents[node] if parent not in shown)
            if users:
                lines.append(f'  v{i}_used [shape=plaintext, fontcolor="#757575", label="used by {users} more…"];')
                lines.append(f"  v{i} -> v{i}_used [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _value_table(node: Value, name: str, style: _Style) -> str:
    fill = style.colours.get(node, "white")
    cells = []
    if name:
        name_fill = f' BGCOLOR="{_PARAMETER_FILL}"' if not node._children and name != node.label else ""
        cells.append(f"<TD{name_fill}><B>{html.escape(name)}</B></TD>")
    cells.append(f"<TD>data {format_number(node.data)}</TD>")
    if style.show_grad:
        grad = node.grad if style.grads is None else style.grads.get(node, 0.0)
        if node in style.pending:
            cells.append(f'<TD><FONT COLOR="{_PENDING_GREY}">grad {format_number(grad)}</FONT></TD>')
        else:
            cells.append(f'<TD BGCOLOR="{_GRAD_FILL}">grad {format_number(grad)}</TD>')
    return (
        f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{fill}">'
        f"<TR>{''.join(cells)}</TR></TABLE>"
    )


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# ---- the collapsed view: one box per layer, one row per neuron ---------------------------------


def _owner(name: str) -> str:
    """The module a dotted parameter name belongs to: 'layers.0.neurons.3.w.1' -> 'layers.0.neurons.3'."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


class _Neuron:
    """One neuron found in a graph: its parameters, the activation it applies, how often it was called."""

    def __init__(self, parameters: tuple, name: str):
        self.parameters = parameters  # (weights..., bias)
        self.name = name
        self.activation = ""
        self.calls = 0
        self.depth = 0  # 1 + the depth of the deepest neuron feeding it: the layer, when names do not say


def collapsed_source(
    order: list[Value], roots: list[Value], labels: Mapping[Value, str], style: _Style, note: str = ""
) -> str:
    """DOT text with one box per layer (a row per neuron), one for the inputs, one for the other ops.

    A neuron is recognised by its w·x+b nodes: every call of the same neuron shares the same weight
    and bias Values, so all its calls (one per sample) collapse into one row. Layers come from the
    parameter names (`layers.0.neurons.3.b` is in `layers.0`), or else from depth in the graph.
    """
    neurons: dict[tuple, _Neuron] = {}
    group: dict[Value, object] = {}  # Value -> the _Neuron that computed it, "inputs" or "ops"
    for node in order:
        if node._op == "w·x+b":
            n = (len(node._children) - 1) // 2
            key = (*node._children[:n], node._children[-1])
            neuron = neurons.get(key)
            if neuron is None:
                neuron = neurons[key] = _Neuron(key, _owner(labels.get(key[-1], "") or labels.get(key[0], "")))
            neuron.calls += 1
            group[node] = neuron
            for parameter in key:
                group.setdefault(parameter, neuron)
            for x in node._children[n:-1]:
                feeder = group.get(x)
                if isinstance(feeder, _Neuron):
                    neuron.depth = max(neuron.depth, feeder.depth + 1)
        elif node._op in _ACTIVATIONS and len(node._children) == 1 and node._children[0]._op == "w·x+b":
            group[node] = group[node._children[0]]
            group[node].activation = node._op
    # neurons grouped into layers, in order of first appearance
    layers: dict[str, list[_Neuron]] = {}
    for number, neuron in enumerate(neurons.values()):
        layer = _owner(neuron.name) if neuron.name else ""
        if not neuron.name:
            neuron.name = f"neuron {number + 1}"
        layers.setdefault(layer or f"layer {neuron.depth + 1}", []).append(neuron)
    layer_of = {neuron: position for position, members in enumerate(layers.values()) for neuron in members}

    ids: dict[object, str] = {}
    counts: Counter = Counter()
    for node in order:
        if node not in group:
            group[node] = "ops" if node._children else "inputs"
            counts[node._op if node._children else "inputs"] += 1
    ids["inputs"], ids["ops"] = "inputs", "ops"
    for neuron, position in layer_of.items():
        ids[neuron] = f"layer{position}"
    computed_by_neurons = []
    for position, root in enumerate(roots):
        ids[("root", position)] = f"root{position}"
        if isinstance(group[root], _Neuron):
            # An MLP's output is its last neuron's w·x+b (or its activation): it stays in that neuron's
            # layer, so the arrows read layers.1 -> layers.2 -> output, and the layer hands on the output.
            computed_by_neurons.append((position, root))
        else:
            group[root] = ("root", position)
    edges: dict[tuple[str, str], set] = {}  # (from, to) -> the Values that flow along it
    for node in order:
        for child in node._children:
            source, target = ids[group[child]], ids[group[node]]
            if source != target:
                edges.setdefault((source, target), set()).add(child)
    for position, root in computed_by_neurons:
        edges.setdefault((ids[group[root]], f"root{position}"), set()).add(root)

    lines = _header(style, note)
    if counts["inputs"]:
        lines.append(
            f'  inputs [shape=box, style="rounded,filled", fillcolor="white", '
            f'label="inputs and constants\\n{counts["inputs"]} Values"];'
        )
    other_ops = {op: count for op, count in counts.items() if op != "inputs"}
    if other_ops:
        kinds = ", ".join(sorted(other_ops, key=lambda op: (-other_ops[op], op))[:6])
        label = f"other ops: {sum(other_ops.values())}\n{kinds}"
        lines.append(f'  ops [shape=box, style="rounded,filled", fillcolor="{_OP_FILL}", label={_quote(label)}];')
    for position, (layer, members) in enumerate(layers.items()):
        lines.append(f"  layer{position} [shape=plain, label=<{_layer_table(layer, members, style)}>];")
    for position, root in enumerate(roots):
        label = labels.get(root, root.label) or "output"
        lines.append(f"  root{position} [shape=plain, label=<{_value_table(root, label, style)}>];")
    for (source, target), values in edges.items():
        count = len(values)
        label = f"{count} Value{'s' if count > 1 else ''}"
        lines.append(f'  {source} -> {target} [label="{label}", fontsize=9, fontcolor="#757575"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layer_table(layer: str, members: list[_Neuron], style: _Style) -> str:
    calls = {neuron.calls for neuron in members}
    called = f", each called {calls.pop()}×" if len(calls) == 1 and members[0].calls > 1 else ""
    width = 3 if style.show_grad else 2
    rows = [
        f'<TR><TD COLSPAN="{width}" BGCOLOR="{_PARAMETER_FILL}"><B>{html.escape(layer)}</B>: '
        f"{len(members)} neuron{'s' if len(members) > 1 else ''}{called}</TD></TR>"
    ]
    for neuron in members:
        name = neuron.name[len(layer) + 1 :] if neuron.name.startswith(layer + ".") else neuron.name
        nin = len(neuron.parameters) - 1
        kind = f"{neuron.activation}(w·x+b)" if neuron.activation else "w·x+b"
        fill = next((style.colours[p] for p in neuron.parameters if p in style.colours), "white")
        cells = [
            f'<TD BGCOLOR="{fill}">{html.escape(name)}</TD>',
            f'<TD BGCOLOR="{fill}">{kind}, {nin} input{"s" if nin > 1 else ""}</TD>',
        ]
        if style.show_grad:
            cells.append(f'<TD BGCOLOR="{_GRAD_FILL}">{_parameter_grads(neuron.parameters)}</TD>')
        rows.append(f"<TR>{''.join(cells)}</TR>")
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" BGCOLOR="white">{"".join(rows)}</TABLE>'


def _parameter_grads(parameters: tuple) -> str:
    weights, bias = parameters[:-1], parameters[-1]
    if len(weights) <= 3:
        shown = ", ".join(format_number(w.grad) for w in weights)
        return f"grad w [{shown}], b {format_number(bias.grad)}"
    largest = max(abs(p.grad) for p in parameters)
    return f"largest |grad| {format_number(largest)}"


# ---- text fallback -----------------------------------------------------------------------------


def text_tree(roots: list[Value], labels: Mapping[Value, str], max_lines: int = _TEXT_TREE_LINES) -> str:
    """An indented listing of the graph from its outputs; a Value met again is listed once, then referred to."""
    index = {node: i for i, node in enumerate(_topological_order_of(roots))}
    lines = []
    listed = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack and len(lines) < max_lines:
        node, level = stack.pop()
        name = labels.get(node, node.label) or f"v{index[node]}"
        made = ""
        if node._children:
            made = f"  = {node._op}({', '.join(_short(child, labels, index) for child in node._children)})"
        if node in listed:
            lines.append(f"{'  ' * level}{name} (listed above)")
            continue
        listed.add(node)
        lines.append(f"{'  ' * level}{name}: data {format_number(node.data)}, grad {format_number(node.grad)}{made}")
        stack.extend((child, level + 1) for child in reversed(node._children))
    if stack:
        lines.append(f"... (stopped after {max_lines} lines)")
    return "\n".join(lines)


def _short(node: Value, labels: Mapping[Value, str], index: Mapping[Value, int]) -> str:
    return labels.get(node, node.label) or f"v{index[node]}"
