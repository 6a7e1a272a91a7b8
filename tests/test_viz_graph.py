"""draw_graph: deterministic DOT text, real renders, the renderer fallback chain, and big graphs collapsed."""

import os
import random
import re
import shutil
import subprocess
import sys

import pytest
from example_graphs import karpathy_graph

from micrograd_plus import MLP, Neuron, Value, mse_loss
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.graph import DEFAULT_MAX_NODES, Graph, draw_dot, draw_graph, format_number
from micrograd_plus.viz.render import INSTALL_HINT, RendererNotFoundError, find_renderer

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


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
    return re.findall(r"^  (v\d+) \[shape=plain", source, flags=re.MULTILINE)


def without_which(monkeypatch, *missing):
    """Make the renderer search find no program named in `missing`, wherever it looks."""
    real_which = shutil.which
    monkeypatch.setattr(
        render_module.shutil, "which", lambda cmd, path=None: None if cmd in missing else real_which(cmd, path=path)
    )


# ---- DOT text ----------------------------------------------------------------------------------


def test_one_record_per_value_one_node_per_op_and_an_edge_per_child():
    loss, _ = small_graph()
    source = draw_graph(loss).source
    order = topological_order(loss)
    assert records(source) == [f"v{i}" for i in range(len(order))]  # ids are topological positions
    ops = [node for node in order if node._children]
    assert source.count("_op [label=") == len(ops)
    child_edges = re.findall(r"^  v\d+ -> v\d+_op;", source, flags=re.MULTILINE)
    assert len(child_edges) == sum(len(node._children) for node in ops)
    assert "rankdir=LR" in source


def test_each_record_shows_label_data_and_grad():
    loss, (a, b, *_) = small_graph()
    source = draw_graph(loss).source
    line = next(line for line in source.splitlines() if "<B>a</B>" in line)
    assert f"data {format_number(a.data)}" in line and f"grad {format_number(a.grad)}" in line
    assert "grad 6.0000" in line  # dL/da = f * b = -2 * -3, by hand


def test_dot_text_is_byte_identical_across_processes():
    # Different hash seeds change set and id() orders; the DOT text must not depend on them.
    script = (
        "from micrograd_plus import MLP, mse_loss\n"
        "from micrograd_plus.viz.graph import draw_graph\n"
        "m = MLP(2, [3, 1], activation='tanh', seed=1)\n"
        "out = m([0.5, -1.0]); out.backward()\n"
        "loss = mse_loss([m([x, -x]) for x in (0.1, 0.2, 0.3)], [1.0, 0.0, 1.0]); loss.backward()\n"
        "print(draw_graph(out, names=m).source + draw_graph(loss, names=m, collapse=True).source)\n"
    )
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=60,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert b"w\xc2\xb7x+b" in outputs[0]


def test_a_neuron_is_one_op_with_every_weight_input_and_bias_drawn_with_its_grad():
    neuron = Neuron(3, activation="tanh", seed=0)
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate([0.5, -1.5, 2.0])]
    out = neuron(inputs)
    out.backward()
    source = draw_graph(out, names=neuron).source
    linear = out._children[0]
    index = {node: i for i, node in enumerate(topological_order(out))}
    assert source.count('label="w·x+b"') == 1
    into_linear = re.findall(rf"^  (v\d+) -> v{index[linear]}_op;", source, flags=re.MULTILINE)
    assert into_linear == [f"v{index[child]}" for child in (*neuron.w, *inputs, neuron.b)]  # 2n+1, in order
    for name, value in [("w.0", neuron.w[0]), ("w.2", neuron.w[2]), ("b", neuron.b), ("x1", inputs[1])]:
        line = next(line for line in source.splitlines() if f"<B>{name}</B>" in line)
        assert f"grad {format_number(value.grad)}" in line


def test_a_reused_value_gets_one_edge_per_use():
    a = Value(3.0, label="a")
    out = a * a
    source = draw_graph(out).source
    assert source.count("v0 -> v1_op;") == 2


def test_parameters_are_named_from_a_module_or_a_dict():
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    source = draw_graph(out, names=model).source
    for name, _ in model.named_parameters():
        assert f"<B>{name}</B>" in source
    first = model.layers[0].neurons[0].w[0]
    assert "<B>first weight</B>" in draw_graph(out, names={first: "first weight"}).source


def test_options_top_to_bottom_hidden_grads_and_highlight():
    loss, (a, b, *_) = small_graph()
    plain = draw_graph(loss).source
    assert "rankdir=TB" in draw_graph(loss, rankdir="TB").source
    assert "grad " in plain and "grad " not in draw_graph(loss, show_grad=False).source
    highlighted = draw_graph(loss, highlight=[a]).source
    assert highlighted.count('BGCOLOR="#ffd54f"') == 1 and '"#ffd54f"' not in plain
    assert draw_graph(loss, highlight={b: "pink"}).source.count('BGCOLOR="pink"') == 1


def test_draw_dot_is_draw_graph():
    loss, _ = small_graph()
    assert draw_dot is draw_graph


def test_several_outputs_share_one_drawing():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    outputs = [a + b, a * b]
    source = draw_graph(outputs).source
    assert len(records(source)) == 4 and source.count("<B>a</B>") == 1


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: draw_graph(3.0), TypeError, "draw_graph() takes a Value"),
        (lambda: draw_graph(Value(1.0), rankdir="XY"), ValueError, "rankdir must be one of"),
        (lambda: draw_graph(Value(1.0), names=5), TypeError, "names must be a Module"),
        (lambda: draw_graph(Value(1.0), names={"a": Value(1.0)}), TypeError, "names must map Value -> str"),
        (lambda: draw_graph(Value(1.0), max_nodes=0), ValueError, "max_nodes must be a positive"),
        (lambda: draw_graph(Value(1.0), highlight=[1.0]), TypeError, "highlight must hold Values"),
        (lambda: draw_graph(Value(1.0), around=[Value(2.0)]), ValueError, "not in this graph"),
        (lambda: draw_graph(Value(1.0), around=[], depth=-1), ValueError, "depth must be"),
        (lambda: draw_graph(Value(1.0)).save("graph.pdf"), ValueError, "but 'graph.pdf' has the extension '.pdf'"),
        (lambda: draw_graph(Value(1.0)).save("graph"), ValueError, "has no extension; use e.g. 'graph.svg'"),
        (lambda: draw_graph(Value(1.0), highlight={Value(1.0): "red"}), ValueError, "not in this graph"),
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


@needs_dot
@pytest.mark.parametrize("colour", ["gold", "gray80", "#ffd54f", "#FFD54F80"])
def test_colour_names_and_hex_colours_draw(colour):
    loss, (a, *_) = small_graph()
    graph = draw_graph(loss, highlight={a: colour})
    assert graph.source.count(f'BGCOLOR="{colour}"') == 1
    assert graph.pipe("svg").startswith(b"<?xml")


def test_save_onto_a_folder_says_so_before_drawing(tmp_path, monkeypatch):
    monkeypatch.setattr("micrograd_plus.viz.graph.render", lambda *args: pytest.fail("rendered for nothing"))
    folder = tmp_path / "pictures.svg"
    folder.mkdir()
    graph = draw_graph(Value(1.0))
    for path in (folder, tmp_path):
        with pytest.raises(IsADirectoryError, match="which is a folder; give a file name inside it, e.g. "):
            graph.save(path)
    assert list(folder.iterdir()) == []


# ---- rendering and the fallback chain -------------------------------------------------------------


@needs_dot
def test_system_dot_renders_svg_and_png(tmp_path):
    loss, _ = small_graph()
    graph = draw_graph(loss)
    assert find_renderer() == shutil.which("dot")
    svg = graph.save(tmp_path / "graph.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "grad 6.0000" in svg and "graphviz-pure" not in svg
    png = graph.save(tmp_path / "graph.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    assert graph.save(tmp_path / "graph.dot").read_text() == graph.source
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # atomic save leaves no temp file


@needs_dot
def test_notebook_display_is_the_svg():
    loss, _ = small_graph()
    graph = draw_graph(loss)
    bundle = graph._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "Graph of 7 Values" in bundle["text/plain"]
    assert "<svg" in graph._repr_svg_()


def test_without_system_dot_graphviz_pure_renders(monkeypatch, tmp_path):
    without_which(monkeypatch, "dot")
    if find_renderer() is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    assert os.path.basename(find_renderer()) == "graphviz-pure"
    loss, _ = small_graph()
    graph = draw_graph(loss)
    svg = graph.pipe("svg").decode()
    assert "(graphviz-pure)" in svg and "grad 6.0000" in svg
    assert graph.save(tmp_path / "graph.png").read_bytes().startswith(b"\x89PNG")


def test_with_no_renderer_the_display_shows_a_text_tree_and_the_install_hint(monkeypatch, tmp_path):
    without_which(monkeypatch, "dot", "graphviz-pure")
    assert find_renderer() is None
    loss, (a, b, *_) = small_graph()
    graph = draw_graph(loss)
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        graph.save(tmp_path / "graph.svg")
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    text = bundle["text/plain"]
    assert text.endswith(INSTALL_HINT)
    assert "L: data -8.0000, grad 1.0000  = *(d, f)" in text
    assert f"    e: data -6.0000, grad {format_number(-2.0)}  = *(a, b)" in text
    assert graph._repr_svg_() is None
    assert graph.save(tmp_path / "graph.dot").read_text() == graph.source  # DOT needs no renderer


def test_a_failing_renderer_never_raises_in_the_notebook_display(monkeypatch):
    def broken(source, format="svg"):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr("micrograd_plus.viz.graph.render", broken)
    loss, _ = small_graph()
    bundle = draw_graph(loss)._repr_mimebundle_()
    assert "Could not draw the graph: dot crashed" in bundle["text/plain"]


def test_text_tree_lists_a_reused_value_once():
    x = Value(3.0, label="x")
    y = x * x + x
    y.label = "y"
    tree = draw_graph(y).text_tree()
    assert tree.splitlines()[0].startswith("y: data 12.0000")
    assert tree.count("x: data") == 1 and tree.count("x (listed above)") == 2


# ---- big graphs -----------------------------------------------------------------------------------


@needs_dot
def test_an_mlp_loss_above_the_limit_is_collapsed_into_layers(tmp_path):
    model, loss = mlp_loss()
    graph = draw_graph(loss, names=model)
    assert graph.num_nodes > DEFAULT_MAX_NODES
    assert f"more than max_nodes={DEFAULT_MAX_NODES}" in graph.note and "max_nodes=None" in graph.note
    source = graph.source
    assert [line.split()[0] for line in source.splitlines() if re.match(r"  layer\d+ \[", line)] == [
        "layer0",
        "layer1",
        "layer2",
    ]
    for layer in model.layers:
        assert f"<B>layers.{model.layers.index(layer)}</B>: {layer.nout} neuron" in source
    assert source.count("each called 20×") == 3
    assert "layer0 -> layer1" in source and "layer1 -> layer2" in source and "inputs -> layer0" in source
    assert len(source.splitlines()) < 30
    svg = graph.save(tmp_path / "collapsed.svg").read_text()
    assert "layers.1" in svg


def collapsed_edges(source):
    return re.findall(r'^  (\w+) -> (\w+) \[label="(\d+) Values?"', source, flags=re.MULTILINE)


@needs_dot
def test_an_mlp_output_is_drawn_after_its_last_layer_not_beside_it(tmp_path):
    # The output of MLP(2, [16, 16, 1]) is the last neuron's w·x+b: it belongs to layers.2, so the
    # arrows must read layers.1 -> layers.2 -> output (not layers.1 -> output, skipping layers.2).
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    graph = draw_graph(out, names=model)
    assert "Collapsed" in graph.note
    assert collapsed_edges(graph.source) == [
        ("inputs", "layer0", "2"),
        ("layer0", "layer1", "16"),
        ("layer1", "layer2", "16"),
        ("layer2", "root0", "1"),
    ]
    assert "w·x+b, 16 inputs" in graph.source
    assert graph.save(tmp_path / "mlp.png").read_bytes().startswith(b"\x89PNG")


def test_an_activation_on_the_output_and_several_outputs_fold_into_the_last_layer_too():
    model = MLP(2, [16, 16, 1], seed=0)
    squashed = model([0.5, -1.0]).tanh()
    edges = collapsed_edges(draw_graph(squashed, names=model, collapse=True).source)
    assert edges[-2:] == [("layer1", "layer2", "16"), ("layer2", "root0", "1")]
    assert "tanh(w·x+b), 16 inputs" in draw_graph(squashed, names=model, collapse=True).source
    three = MLP(2, [16, 3], seed=0)
    edges = collapsed_edges(draw_graph(three([0.5, -1.0]), names=three, collapse=True).source)
    assert edges == [
        ("inputs", "layer0", "2"),
        ("layer0", "layer1", "16"),
        ("layer1", "root0", "1"),
        ("layer1", "root1", "1"),
        ("layer1", "root2", "1"),
    ]


def test_the_full_drawing_of_a_big_graph_is_still_available():
    model, loss = mlp_loss(samples=3, hidden=(4,))
    graph = draw_graph(loss, names=model, max_nodes=None)
    assert graph.note == "" and len(records(graph.source)) == graph.num_nodes
    assert draw_graph(loss, names=model, max_nodes=graph.num_nodes).note == ""
    assert "Collapsed" in draw_graph(loss, names=model, max_nodes=graph.num_nodes - 1).note


def test_collapsing_without_names_finds_the_layers_by_depth():
    _, loss = mlp_loss(samples=5, hidden=(3, 2))
    source = draw_graph(loss, collapse=True).source
    assert "<B>layer 1</B>: 3 neurons" in source and "<B>layer 2</B>: 2 neurons" in source
    assert "<B>layer 3</B>: 1 neuron," in source


def test_around_draws_only_the_values_near_the_chosen_ones():
    loss, (a, b, c, d, e, f) = small_graph()
    graph = draw_graph(loss, around=[e], depth=1)
    # e's neighbours one op away: its children a, b and its parent d
    names = set(re.findall(r"<B>(\w+)</B>", graph.source))
    assert names == {"a", "b", "d", "e"}
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
    assert "Showing the 50 Values nearest the output" in graph.note
    assert "<B>x</B>" not in graph.source  # the input is 600 ops away


def test_repr_names_the_size_and_how_to_save():
    loss, _ = small_graph()
    assert repr(draw_graph(loss)).startswith("<Graph of 7 Values: ")
    assert isinstance(draw_graph(loss), Graph)


def test_highlighting_a_parameter_colours_its_neuron_in_the_collapsed_view():
    model, loss = mlp_loss(samples=4, hidden=(3,))
    weight = model.layers[0].neurons[1].w[0]
    rows = [line for line in draw_graph(loss, names=model, collapse=True, highlight=[weight]).source.split("<TR>")]
    assert [row.split("</TD>")[0].rsplit(">", 1)[1] for row in rows if 'BGCOLOR="#ffd54f"' in row] == ["neurons.1"]
