"""draw_graph / draw_dot: a graphviz.Digraph with deterministic DOT text, names, options, and big graphs collapsed."""

import os
import random
import re
import subprocess
import sys

import graphviz
import pytest
from example_graphs import karpathy_graph

from micrograd_plus import MLP, Neuron, Value, mse_loss
from micrograd_plus.engine import LINEAR_OP, topological_order
from micrograd_plus.functional import linear
from micrograd_plus.viz import DEFAULT_MAX_NODES, Graph, draw_dot, draw_graph
from micrograd_plus.viz.labels import format_number


def small_graph():
    """L = (a*b + c) * f, Karpathy's example, with grads filled in."""
    return karpathy_graph(backward=True)


def mlp_loss(samples=20, hidden=(8, 8)):
    rng = random.Random(0)
    model = MLP(2, [*hidden, 1], seed=0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(samples)]
    ys = [rng.choice([0.0, 1.0]) for _ in range(samples)]
    loss = mse_loss([model(x) for x in xs], ys)
    loss.backward()
    return model, loss


def records(source):
    return re.findall(r"^\t(v\d+) \[label=<<TABLE", source, flags=re.MULTILINE)


def record_line(source, name):
    return next(line for line in source.splitlines() if f"<B>{name}</B>" in line)


def edges(source):
    return re.findall(r"^\t(\w+) -> (\w+)$", source, flags=re.MULTILINE)


# ---- a graphviz.Digraph, as the lecture's draw_dot returns -------------------------------------------


def test_draw_dot_returns_a_graphviz_digraph_with_the_lectures_arguments():
    loss, _ = small_graph()
    graph = draw_dot(loss, format="png", rankdir="TB")
    assert isinstance(graph, graphviz.Digraph) and isinstance(graph, Graph)
    assert graph.format == "png" and "rankdir=TB" in graph.source
    assert draw_dot(loss).format == "svg" and "rankdir=LR" in draw_dot(loss).source
    assert draw_dot(loss, "svg", "LR", show_grad=False).source == draw_graph(loss, show_grad=False).source


def test_graphviz_copy_and_additions_keep_our_graph():
    loss, _ = small_graph()
    graph = draw_graph(loss)
    copy = graph.copy()
    assert isinstance(copy, Graph) and copy.source == graph.source and copy.num_nodes == graph.num_nodes
    copy.node("note", "added by a learner")  # graphviz's own API still works on our drawing
    assert 'note [label="added by a learner"]' in copy.source and "note" not in graph.source


# ---- DOT text ----------------------------------------------------------------------------------------


def test_one_record_per_value_one_node_per_op_and_an_edge_per_child():
    loss, _ = small_graph()
    source = draw_graph(loss).source
    order = topological_order(loss)
    assert records(source) == [f"v{i}" for i in range(len(order))]  # ids are topological positions
    ops = [node for node in order if node._children]
    assert source.count("_op [label=") == len(ops)
    child_edges = [edge for edge in edges(source) if edge[1].endswith("_op")]
    assert len(child_edges) == sum(len(node._children) for node in ops)


def test_each_record_shows_label_data_and_grad():
    loss, (a, *_) = small_graph()
    line = record_line(draw_graph(loss).source, "a")
    assert f"data {format_number(a.data)}" in line and "grad 6.0000" in line  # dL/da = f * b = -2 * -3


def test_dot_text_is_byte_identical_across_processes():
    # Different hash seeds change set and id() orders; the DOT text must not depend on them.
    script = (
        "from micrograd_plus import MLP, mse_loss\n"
        "from micrograd_plus.viz import draw_graph\n"
        "m = MLP(2, [3, 1], activation='tanh', seed=1)\n"
        "out = m([0.5, -1.0]); out.backward()\n"
        "loss = mse_loss([m([x, -x]) for x in (0.1, 0.2, 0.3)], [1.0, 0.0, 1.0]); loss.backward()\n"
        "print(draw_graph(out, names=m).source + draw_graph(loss, names=m, collapse=True).source)\n"
    )
    outputs = []
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, env=environment)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert LINEAR_OP.encode() in outputs[0] and b"<B>out</B>" in outputs[0]


def test_a_neuron_is_one_op_with_every_weight_input_and_bias_drawn_with_its_grad():
    neuron = Neuron(3, activation="tanh", seed=0)
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate([0.5, -1.5, 2.0])]
    out = neuron(inputs)
    out.backward()
    source = draw_graph(out, names=neuron).source
    index = {node: i for i, node in enumerate(topological_order(out))}
    linear_node = out._children[0]
    assert source.count(f"label=<{LINEAR_OP}>") == 1
    into_linear = [tail for tail, head in edges(source) if head == f"v{index[linear_node]}_op"]
    assert into_linear == [f"v{index[child]}" for child in (*neuron.w, *inputs, neuron.b)]  # 2n+1, in order
    for name, value in [("w.0", neuron.w[0]), ("w.2", neuron.w[2]), ("b", neuron.b), ("x1", inputs[1])]:
        assert f"grad {format_number(value.grad)}" in record_line(source, name)
    assert 'BGCOLOR="#dbe9f6"><B>w.0</B>' in source and 'BGCOLOR="#dbe9f6"><B>x1</B>' not in source


def test_a_reused_value_gets_one_edge_per_use():
    a = Value(3.0, label="a")
    out = a * a
    assert edges(draw_graph(out).source).count(("v0", "v1_op")) == 2


def test_names_come_from_a_module_a_dict_the_label_or_the_variable_holding_the_value():
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    source = draw_graph(out, names=model).source
    for name, _ in model.named_parameters():
        assert f"<B>{name}</B>" in source
    first = model.layers[0].neurons[0].w[0]
    assert "<B>first weight</B>" in draw_graph(out, names={first: "first weight"}).source
    a, b = Value(2.0), Value(-3.0)  # no labels: the drawing calls them as this code does
    product = a * b
    source = draw_graph(product).source
    assert "<B>a</B>" in source and "<B>b</B>" in source and "<B>product</B>" in source
    alias = a  # two names for one Value: neither is right, so it stays unnamed
    assert "<B>a</B>" not in draw_graph(product).source and alias is a


def test_two_values_with_one_name_are_told_apart():
    x1, x2 = Value(1.0, label="x"), Value(2.0, label="x")
    source = draw_graph(x1 + x2).source
    assert "<B>x</B>" in source and "<B>x#2</B>" in source


def test_options_top_to_bottom_hidden_grads_and_highlight():
    loss, (a, b, *_) = small_graph()
    plain = draw_graph(loss).source
    assert "rankdir=TB" in draw_graph(loss, rankdir="TB").source
    assert "grad " in plain and "grad " not in draw_graph(loss, show_grad=False).source
    highlighted = draw_graph(loss, highlight=[a]).source
    assert highlighted.count('BGCOLOR="#ffd54f"') == 1 and '"#ffd54f"' not in plain
    assert draw_graph(loss, highlight={b: "pink"}).source.count('BGCOLOR="pink"') == 1


def test_a_leaf_that_needs_no_grad_shows_none():
    x = Value(5000.0, label="lotsize")
    mean = Value(4500.0, label="mean lotsize")
    mean.requires_grad = False  # a constant: its grad means nothing to a learner
    out = x - mean
    out.backward()
    source = draw_graph(out).source
    assert "grad" not in record_line(source, "mean lotsize") and "grad 1.0000" in record_line(source, "lotsize")


def test_a_caption_goes_above_the_drawing_and_several_outputs_share_one_drawing():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    graph = draw_graph([a + b, a * b], caption="grad = d(price)/d(node)\nfor house 1")
    assert len(records(graph.source)) == 4 and graph.source.count("<B>a</B>") == 1
    caption = 'label=<grad = d(price)/d(node)<BR ALIGN="LEFT"/>for house 1<BR ALIGN="LEFT"/>> labeljust=l labelloc=t'
    assert caption in graph.source


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: draw_graph(3.0), TypeError, "draw_graph() takes a Value (or a list of Values), got float"),
        (lambda: draw_graph([]), TypeError, "got an empty list"),
        (lambda: draw_graph(Value(1.0), rankdir="XY"), ValueError, "rankdir must be one of"),
        (lambda: draw_graph(Value(1.0), names=5), TypeError, "names must be a Module"),
        (lambda: draw_graph(Value(1.0), names={"a": Value(1.0)}), TypeError, "names must map Value -> str"),
        (lambda: draw_graph(Value(1.0), max_nodes=0), ValueError, "max_nodes must be a positive"),
        (lambda: draw_graph(Value(1.0), highlight=[1.0]), TypeError, "highlight= takes Values"),
        (lambda: draw_graph(Value(1.0), around=[Value(2.0)]), ValueError, "not in this graph"),
        (lambda: draw_graph(Value(1.0), around=[], depth=-1), ValueError, "depth must be"),
        (lambda: draw_graph(Value(1.0), highlight={Value(1.0): "red"}), ValueError, "not in this graph"),
        (lambda: draw_graph(Value(1.0), caption=3), TypeError, "caption must be a str"),
    ],
)
def test_bad_arguments_get_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize("colour", ['red" x', "red>", "#12345", "#ffd54", "", "light blue", "&amp;", "#ffd54fz"])
def test_a_highlight_colour_that_would_break_the_dot_text_is_refused(colour):
    loss, (a, *_) = small_graph()
    with pytest.raises(ValueError, match=r"colour name such as 'gold'.*#rrggbb.*got "):
        draw_graph(loss, highlight={a: colour})


def test_text_tree_lists_a_reused_value_once():
    x = Value(3.0, label="x")
    y = x * x + x
    y.label = "y"
    tree = draw_graph(y).text_tree()
    assert tree.splitlines()[0].startswith("y: data 12.0000")
    assert tree.count("x: data") == 1 and tree.count("x (listed above)") == 2


def test_repr_names_the_size_and_how_to_draw_it():
    loss, _ = small_graph()
    assert repr(draw_graph(loss)).startswith("<Graph of 7 Values: .source holds the DOT text, .render(")


# ---- big graphs ----------------------------------------------------------------------------------------


def boxes(source):
    return re.findall(r"^\t(layer\d+|inputs|ops|root\d+) \[", source, flags=re.MULTILINE)


def test_an_mlp_loss_above_the_limit_is_one_box_per_layer_in_plain_words():
    model, loss = mlp_loss()
    graph = draw_graph(loss, names=model)
    assert graph.num_nodes > DEFAULT_MAX_NODES
    assert graph.note.startswith(f"{graph.num_nodes:,} Values are too many boxes to read, so each layer")
    assert "max_nodes=200" not in graph.note and "max_nodes=None" in graph.note
    source = graph.source
    assert boxes(source) == ["inputs", "ops", "layer0", "layer1", "layer2", "root0"]
    for position, layer in enumerate(model.layers):
        count = len(layer.neurons)
        parameters = sum(len(neuron.parameters()) for neuron in layer.neurons)
        row = re.search(rf"\tlayer{position} \[label=<(.*)> shape=plain\]", source).group(1)
        assert f"<B>layers.{position}</B>" in row and f"{count} neuron{'s' if count > 1 else ''}, " in row
        assert f"{parameters} parameters" in row and "run on 20 samples" in row and "largest |grad|" in row
    assert ("layer0", "layer1") in edges(source) and ("inputs", "layer0") in edges(source)
    assert "inputs<BR/>40 numbers" in source and "41 other ops: ** 2, - 0, - 1, +" in source  # targets fold in
    assert len(source.splitlines()) < 20


def test_an_mlp_output_is_drawn_after_its_last_layer_not_beside_it():
    # The output of MLP(2, [16, 16, 1]) is the last neuron's w·x+b: it belongs to layers.2, so the
    # arrows must read layers.1 -> layers.2 -> output (not layers.1 -> output, skipping layers.2).
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    graph = draw_graph(out, names=model)
    assert edges(graph.source) == [
        ("inputs", "layer0"),
        ("layer0", "layer1"),
        ("layer1", "layer2"),
        ("layer2", "root0"),
    ]
    assert "16 neurons, relu" in graph.source and "1 neuron, linear" in graph.source
    assert "<B>out</B>" in graph.source  # the output is called as this code calls it


def test_an_activation_on_the_output_and_several_outputs_fold_into_the_last_layer_too():
    model = MLP(2, [16, 16, 1], seed=0)
    squashed = model([0.5, -1.0]).tanh()
    source = draw_graph(squashed, names=model, collapse=True).source
    assert edges(source)[-2:] == [("layer1", "layer2"), ("layer2", "root0")] and "1 neuron, tanh" in source
    three = MLP(2, [16, 3], seed=0)
    assert edges(draw_graph(three([0.5, -1.0]), names=three, collapse=True).source) == [
        ("inputs", "layer0"),
        ("layer0", "layer1"),
        ("layer1", "root0"),
        ("layer1", "root1"),
        ("layer1", "root2"),
    ]


def test_the_full_drawing_of_a_big_graph_is_still_available():
    model, loss = mlp_loss(samples=3, hidden=(4,))
    graph = draw_graph(loss, names=model, max_nodes=None)
    assert graph.note == "" and len(records(graph.source)) == graph.num_nodes
    assert draw_graph(loss, names=model, max_nodes=graph.num_nodes).note == ""
    assert "each layer" in draw_graph(loss, names=model, max_nodes=graph.num_nodes - 1).note


def test_collapsing_without_names_finds_the_layers_by_depth():
    _, loss = mlp_loss(samples=5, hidden=(3, 2))
    source = draw_graph(loss, collapse=True).source
    assert "<B>layer 1</B>" in source and "3 neurons, relu" in source
    assert "<B>layer 2</B>" in source and "2 neurons, relu" in source and "<B>layer 3</B>" in source


def test_around_draws_only_the_values_near_the_chosen_ones():
    loss, (a, b, c, d, e, f) = small_graph()
    graph = draw_graph(loss, around=[e], depth=1)
    # e's neighbours one op away: its children a, b and its parent d
    assert set(re.findall(r"<B>(\w+)</B>", graph.source)) == {"a", "b", "d", "e"}
    assert 'label="1 more…"' in graph.source  # d's other child, c, is hidden
    assert 'label="used by 1 more…"' in graph.source  # d feeds L, which is hidden
    assert "The 4 Values within 1 ops" in graph.note


def test_a_long_chain_without_neurons_shows_the_values_nearest_the_output():
    x = Value(0.5, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0001 + 0.001
    graph = draw_graph(y, max_nodes=50)
    assert len(records(graph.source)) == 50
    assert graph.note.startswith("The 50 Values nearest the output, of 601.")  # each step: *1.0001 and +0.001
    assert "<B>x</B>" not in graph.source  # the input is 600 ops away


def test_highlighting_a_parameter_colours_its_layer_in_the_collapsed_view():
    model, loss = mlp_loss(samples=4, hidden=(3,))
    weight = model.layers[0].neurons[1].w[0]
    source = draw_graph(loss, names=model, collapse=True, highlight=[weight]).source
    highlighted = [line.split()[0] for line in source.splitlines() if '"#ffd54f"' in line]
    assert highlighted == ["layer0"]


def test_the_neuron_op_name_is_the_engines_constant():
    w, x, b = Value(0.5), Value(2.0), Value(0.1)
    assert linear([x], [w], b)._op == LINEAR_OP == "w·x+b"
