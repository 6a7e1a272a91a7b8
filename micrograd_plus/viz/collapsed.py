"""The collapsed view of a big graph: one box per layer (its size, activation and parameter count), not per Value.

A neuron is recognised by its w·x+b node (functional.linear): every call of the same neuron shares the
same weight and bias Values, so all its calls (one per sample) are one neuron. Layers come from the
parameter names (`layers.0.neurons.3.b` is in `layers.0`), or else from depth in the graph. The Values
that are not in a neuron become three boxes: the inputs, the other ops, and each output.
"""

from collections import Counter
from collections.abc import Mapping

import graphviz

from ..engine import LINEAR_OP, Value
from .labels import format_number, html_text
from .ops import op_label
from .values import NAME_FILL, OP_FILL, Style, value_table

__all__ = ["add_collapsed", "ACTIVATIONS"]

ACTIVATIONS = ("relu", "tanh", "sigmoid")  # the ops a Neuron applies after w·x+b


class _Neuron:
    """One neuron found in a graph: its parameters, the activation it applies, how often it was called."""

    def __init__(self, parameters: tuple, name: str):
        self.parameters = parameters  # (weights..., bias)
        self.name = name
        self.activation = "linear"
        self.calls = 0
        self.depth = 0  # 1 + the depth of the deepest neuron feeding it: the layer, when names do not say


def _owner(name: str) -> str:
    """The module a dotted name belongs to: 'layers.0.neurons.3.w.1' -> 'layers.0.neurons.3'."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _find_neurons(order: list[Value], names: Mapping[Value, str]) -> tuple[dict[Value, _Neuron], list[_Neuron]]:
    """{Value: the neuron that computed it or owns it}, and the neurons in order of first use."""
    neurons: dict[tuple, _Neuron] = {}
    owner: dict[Value, _Neuron] = {}
    for node in order:
        if node._op == LINEAR_OP:
            n = (len(node._children) - 1) // 2
            key = (*node._children[:n], node._children[-1])
            neuron = neurons.get(key)
            if neuron is None:
                neuron = neurons[key] = _Neuron(key, _owner(names.get(key[-1], "") or names.get(key[0], "")))
            neuron.calls += 1
            owner[node] = neuron
            for parameter in key:
                owner.setdefault(parameter, neuron)
            for x in node._children[n:-1]:
                if x in owner and owner[x] is not neuron:
                    neuron.depth = max(neuron.depth, owner[x].depth + 1)
        elif node._op in ACTIVATIONS and len(node._children) == 1 and node._children[0]._op == LINEAR_OP:
            owner[node] = owner[node._children[0]]
            owner[node].activation = node._op
    return owner, list(neurons.values())


def add_collapsed(graph: graphviz.Digraph, order: list[Value], roots: list[Value], names: Mapping[Value, str],
                  style: Style) -> None:  # fmt: skip
    """Add one box per layer, one for the inputs, one for the other ops, and one per output, with their edges."""
    owner, neurons = _find_neurons(order, names)
    layers: dict[str, list[_Neuron]] = {}
    for neuron in neurons:
        layer = _owner(neuron.name) if neuron.name else f"layer {neuron.depth + 1}"
        layers.setdefault(layer, []).append(neuron)
    layer_of = {neuron: f"layer{position}" for position, members in enumerate(layers.values()) for neuron in members}
    box = {value: layer_of[neuron] for value, neuron in owner.items()}  # Value -> the id of the box it is drawn in
    fed_to_neurons = {x for node in order if node._op == LINEAR_OP for x in node._children}
    other_ops: Counter = Counter()
    inputs = constants = 0
    for node in order:
        if node in box:
            continue
        if not node._children and node in fed_to_neurons:
            box[node] = "inputs"
            inputs += 1
        else:  # an op outside the neurons (a loss, say), or a number only such ops use
            box[node] = "ops"
            if node._children:
                other_ops[op_label(node)] += 1
            else:
                constants += 1
    for position, root in enumerate(roots):
        if box[root] in ("ops", "inputs"):  # an output computed by a neuron stays in its layer's box
            box[root] = f"root{position}"
            if root._children:
                other_ops[op_label(root)] -= 1

    if inputs:
        label = f"inputs\n{_count(inputs, 'number')}"
        graph.node("inputs", label=f"<{html_text(label)}>", shape="box", style="rounded")
    ops = +other_ops  # drop the ops counted 0 times
    if ops or constants:
        kinds = ", ".join(sorted(ops, key=lambda op: (-ops[op], op))[:5])
        lines = ([f"{_count(sum(ops.values()), 'other op')}: {kinds}"] if ops else []) + (
            [_count(constants, "other number")] if constants else []
        )
        graph.node("ops", label=f"<{html_text(chr(10).join(lines))}>", shape="box", style="rounded,filled",
                   fillcolor=OP_FILL)  # fmt: skip
    for position, (layer, members) in enumerate(layers.items()):
        graph.node(f"layer{position}", label=f"<{_layer_table(layer, members, style)}>", shape="plain")
    for position, root in enumerate(roots):
        name = names.get(root) or "output"
        graph.node(f"root{position}", label=f"<{value_table(root, name, style)}>", shape="plain")
    edges: dict[tuple[str, str], None] = {}  # (from, to), in order of first appearance
    for node in order:
        for child in node._children:
            if box[child] != box[node]:
                edges[box[child], box[node]] = None
    for position, root in enumerate(roots):
        if box[root] != f"root{position}":
            edges[box[root], f"root{position}"] = None
    for tail, head in edges:
        graph.edge(tail, head)


def _count(count: int, thing: str) -> str:
    return f"{count} {thing}{'s' if count != 1 else ''}"


def _layer_table(layer: str, members: list[_Neuron], style: Style) -> str:
    """One layer: its name, then '16 neurons, relu', '48 parameters', how many samples, and its largest grad."""
    parameters = [p for neuron in members for p in neuron.parameters]
    activations = sorted({neuron.activation for neuron in members})
    lines = [f"{_count(len(members), 'neuron')}, {' / '.join(activations)}", _count(len(parameters), "parameter")]
    calls = max(neuron.calls for neuron in members)
    if calls > 1:
        lines.append(f"run on {calls} samples")
    fill = next((style.colours[p] for p in parameters if p in style.colours), "white")
    rows = [f'<TR><TD BGCOLOR="{NAME_FILL}"><B>{html_text(layer)}</B></TD></TR>']
    rows += [f'<TR><TD BGCOLOR="{fill}">{html_text(line)}</TD></TR>' for line in lines]
    if style.show_grad:
        grads = [abs(p.grad) for p in parameters if p.grad is not None]  # None: no gradient yet (PyTorch's word)
        largest = f"largest |grad| {format_number(max(grads))}" if grads else "grad None"
        rows.append(f'<TR><TD BGCOLOR="#fdf1dc">{largest}</TD></TR>')
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{"".join(rows)}</TABLE>'
