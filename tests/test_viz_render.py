"""The renderer chain under graphviz's own API: system dot, then graphviz-pure, then a text tree; size and failures."""

import os
import stat
import tempfile

import graphviz
import pytest
from example_graphs import karpathy_graph
from viz_renderers import hide_programs, renderer  # noqa: F401 (renderer is a fixture)

from micrograd_plus import Value
from micrograd_plus.viz import DrawingTooBigError, RendererNotFoundError, draw_dot, draw_graph
from micrograd_plus.viz import render as render_module
from micrograd_plus.viz.render import INSTALL_HINT, MAX_LAYOUT_WORK, find_renderer, layout_work

PNG = b"\x89PNG\r\n\x1a\n"


def made_by(svg: str) -> str:
    return "graphviz-pure" if "(graphviz-pure)" in svg else "system dot"


def test_draw_dot_is_a_digraph_whose_render_and_pipe_work(renderer, tmp_path):  # noqa: F811 (renderer: the fixture)
    loss, _ = karpathy_graph(backward=True)
    graph = draw_dot(loss)
    assert isinstance(graph, graphviz.Digraph)
    written = graph.render(tmp_path / "graph", format="png")  # the lecture's call: DOT text in graph, PNG beside
    assert written == os.fspath(tmp_path / "graph.png")
    assert (tmp_path / "graph.png").read_bytes().startswith(PNG)
    assert (tmp_path / "graph").read_text(encoding="utf-8") == graph.source
    svg = graph.pipe(format="svg", encoding="utf-8")
    assert made_by(svg) == renderer and "grad 6.0000" in svg
    assert graph.pipe().startswith(b"<?xml")  # the default format is svg, as in the lecture's draw_dot
    outfile = graph.render(outfile=tmp_path / "out.svg")
    assert made_by((tmp_path / "out.svg").read_text(encoding="utf-8")) == renderer and outfile.endswith("out.svg")


def test_view_renders_with_our_chain_and_opens_the_picture(renderer, tmp_path, monkeypatch):  # noqa: F811 (renderer: the fixture)
    opened = []
    graph = draw_dot(karpathy_graph(backward=True)[0])
    monkeypatch.setattr(graph, "_view_linux", lambda path, quiet: opened.append(path), raising=False)
    monkeypatch.setattr(graph, "_view_darwin", lambda path, quiet: opened.append(path), raising=False)
    monkeypatch.setattr(graph, "_view_windows", lambda path, quiet: opened.append(path), raising=False)
    graph.view(tmp_path / "seen")
    assert opened == [os.fspath(tmp_path / "seen.svg")] and (tmp_path / "seen.svg").stat().st_size > 1000


def test_save_writes_the_picture_its_name_asks_for_and_dot_text_otherwise(renderer, tmp_path):  # noqa: F811 (renderer: the fixture)
    graph = draw_graph(karpathy_graph(backward=True)[0])
    assert made_by(graph.save(tmp_path / "graph.svg").read_text(encoding="utf-8")) == renderer
    assert graph.save(tmp_path / "graph.png").read_bytes().startswith(PNG)
    assert graph.save(tmp_path / "graph.dot").read_text(encoding="utf-8") == graph.source
    assert graph.save(tmp_path / "notes").read_text(encoding="utf-8") == graph.source  # graphviz's save()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["graph.dot", "graph.png", "graph.svg", "notes"]


def test_the_notebook_display_is_an_image_that_scales_down_and_survives_an_untrusted_notebook(renderer):  # noqa: F811 (renderer: the fixture)
    graph = draw_graph(karpathy_graph(backward=True)[0])
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"} and "Graph of 7 Values" in bundle["text/plain"]
    image = bundle["text/html"]
    assert image.startswith('<img src="data:image/svg+xml;base64,') and "<script" not in image
    assert 'style="max-width: 100%; height: auto"' in image and ' width="' in image
    assert "image/svg+xml" in graph._repr_mimebundle_(include=["image/svg+xml"])


def test_with_no_renderer_the_display_is_a_text_tree_and_the_install_hint(monkeypatch, tmp_path):
    hide_programs(monkeypatch, "dot", "graphviz-pure")
    assert find_renderer() is None
    loss, _ = karpathy_graph(backward=True)
    graph = draw_graph(loss)
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        graph.render(tmp_path / "graph", format="png")
    with pytest.raises(RendererNotFoundError):
        graph.save(tmp_path / "graph.svg")
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and bundle["text/plain"].endswith(INSTALL_HINT)
    assert "L: data -8.0000, grad 1.0000  = d · f" in bundle["text/plain"]
    assert "    e: data -6.0000, grad -2.0000  = a · b" in bundle["text/plain"]
    assert graph.save(tmp_path / "graph.dot").read_text(encoding="utf-8") == graph.source  # DOT needs no renderer


def test_a_failing_renderer_never_raises_in_the_notebook_display(monkeypatch):
    def broken(source, format="svg"):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr("micrograd_plus.viz.drawing.render", broken)
    bundle = draw_graph(karpathy_graph(backward=True)[0])._repr_mimebundle_()
    assert "Could not draw the graph: dot crashed" in bundle["text/plain"]


def fake_renderer(tmp_path, body):
    program = tmp_path / "dot"
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return str(program)


@pytest.mark.skipif(os.name != "posix", reason="the fake renderer is a shell script")
@pytest.mark.parametrize(
    "body, says",
    [
        ("kill -SEGV $$", "dot could not draw the graph: it crashed (SIGSEGV), which usually means the layout needed "),
        ("echo 'memory allocation of 68 bytes failed' >&2; kill -ABRT $$", "(SIGABRT) after running out of memory (a "),
        ("echo 'Error: syntax error in line 3' >&2; exit 1", "it exited with status 1; it printed: Error: syntax"),
    ],
)
def test_a_renderer_failure_says_what_happened(tmp_path, monkeypatch, body, says):
    monkeypatch.setattr(render_module, "find_renderer", lambda: fake_renderer(tmp_path, body))
    with pytest.raises(RuntimeError) as info:
        draw_graph(Value(1.0, label="x")).pipe("svg")
    assert says in str(info.value)


def recurrence(steps):
    """y = y * w + b, with one w and one b: every op uses them, so their edges span the whole chain."""
    w, b, y = Value(0.9, label="w"), Value(0.1, label="b"), Value(0.5, label="y0")
    for _ in range(steps):
        y = y * w + b
    return y


def test_layout_work_counts_nodes_and_the_ranks_long_edges_cross():
    chain = Value(0.5)
    for _ in range(50):
        chain = chain * 1.0001 + 0.001  # each constant is folded into its op node: no long edges
    graph = draw_graph(chain, max_nodes=None)
    assert layout_work(graph.source) == graph.source.count("[label=") + graph.source.count(" -> ")
    short, long = (layout_work(draw_graph(recurrence(steps), max_nodes=None).source) for steps in (20, 40))
    assert long > 3 * short  # w and b reach every op: the hidden nodes grow with the square of the length


def test_a_drawing_too_big_to_lay_out_is_refused_before_the_renderer_starts(monkeypatch):
    monkeypatch.setattr(render_module.subprocess, "run", lambda *args, **kwargs: pytest.fail("the renderer started"))
    graph = draw_graph(recurrence(60), max_nodes=None)
    assert layout_work(graph.source) > MAX_LAYOUT_WORK
    with pytest.raises(DrawingTooBigError) as info:
        graph.pipe("svg")
    message = str(info.value)
    assert "too big for Graphviz to lay out in reasonable time and memory" in message
    assert "collapse" in message and "around=[value]" in message
    assert "Could not draw the graph: this drawing is too big" in graph._repr_mimebundle_()["text/plain"]


def test_save_onto_a_folder_says_so_before_drawing(tmp_path, monkeypatch):
    monkeypatch.setattr("micrograd_plus.viz.drawing.render", lambda *args: pytest.fail("rendered for nothing"))
    folder = tmp_path / "pictures.svg"
    folder.mkdir()
    graph = draw_graph(Value(1.0))
    for path in (folder, tmp_path):
        with pytest.raises(IsADirectoryError, match="is a folder; give a file name inside it"):
            graph.save(path)
    assert list(folder.iterdir()) == []


def test_a_save_that_cannot_write_names_the_users_path_never_a_temporary_file(tmp_path, monkeypatch):
    def refused(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", os.path.join(dir, ".graph.dot.x1y2.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    target = tmp_path / "graph.dot"
    with pytest.raises(PermissionError) as info:
        draw_graph(Value(1.0)).save(target)
    message = str(info.value)
    assert f"cannot write {str(target)!r}: Permission denied" in message
    assert ".tmp" not in message and str(tmp_path) in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_folder_gets_a_clear_message(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=r"cannot write .*read-only/g\.dot'"):
            draw_graph(Value(1.0)).save(folder / "g.dot")
    finally:
        folder.chmod(0o755)
