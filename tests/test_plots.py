"""Plots: each returns a Figure, saves a real PNG when asked, and refuses data it cannot draw honestly."""

import math

import pytest
from matplotlib.figure import Figure

from micrograd_plus import MLP
from micrograd_plus.viz.plots import (
    format_amount,
    plot_attention,
    plot_decision_boundary,
    plot_feature_importance,
    plot_loss_curves,
    plot_predicted_vs_actual,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000


def test_loss_curves_draw_one_line_per_curve_with_test_curves_dashed(tmp_path):
    curves = {"linear: train": [1.0, 0.5, 0.4], "linear: test": [1.1, 0.6, 0.5], "mlp: train": [0.9, 0.3, 0.2]}
    figure = plot_loss_curves(curves, title="Loss", logy=True, path=tmp_path / "loss.png")
    assert isinstance(figure, Figure)
    assert_png(tmp_path / "loss.png")
    axes = figure.axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines) == list(curves)
    assert lines["linear: test"].get_linestyle() == "--" and lines["linear: train"].get_linestyle() == "-"
    assert lines["linear: test"].get_color() == lines["linear: train"].get_color() != lines["mlp: train"].get_color()
    assert axes.get_yscale() == "log" and axes.get_title() == "Loss"
    assert list(lines["mlp: train"].get_xdata()) == [1, 2, 3]  # epochs count from 1


def test_predicted_vs_actual_shows_the_diagonal_and_the_scores(tmp_path):
    actual = [100_000.0, 150_000.0, 200_000.0, 120_000.0]
    predicted = [110_000.0, 140_000.0, 190_000.0, 125_000.0]
    figure = plot_predicted_vs_actual(actual, predicted, unit="$", path=tmp_path / "pva.png")
    assert_png(tmp_path / "pva.png")
    axes = figure.axes[0]
    assert "actual ($)" in axes.get_xlabel() and "predicted ($)" in axes.get_ylabel()
    rmse = math.sqrt(sum((a - p) ** 2 for a, p in zip(actual, predicted)) / 4)
    texts = " ".join(text.get_text() for text in axes.texts)
    assert f"RMSE {format_amount(rmse)}" in texts and "R²" in texts


def test_feature_importance_puts_the_largest_magnitude_on_top_and_marks_the_truth(tmp_path):
    names, weights = ["small", "big", "negative"], [1.0, 10.0, -5.0]
    figure = plot_feature_importance(
        names, weights, true_weights=[1.5, 9.0, -4.0], annotations=["a", "b", "c"], path=tmp_path / "fi.png"
    )
    assert_png(tmp_path / "fi.png")
    axes = figure.axes[0]
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert labels == ["small", "negative", "big"]  # bottom to top: the biggest bar is drawn last, on top
    assert [patch.get_width() for patch in axes.patches] == [1.0, -5.0, 10.0]
    assert sorted(text.get_text() for text in axes.get_legend().get_texts()) == ["learned", "true"]


def test_decision_boundary_of_a_one_output_model(tmp_path):
    points = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
    figure = plot_decision_boundary(
        MLP(2, [4, 1], seed=0), points, [-1, 1, 1, -1], resolution=12, path=tmp_path / "b.png"
    )
    assert_png(tmp_path / "b.png")
    assert len(figure.axes) == 2  # the plot and its colour bar
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["label -1", "label 1"]


def test_decision_boundary_of_a_three_class_model(tmp_path):
    points = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]
    plot_decision_boundary(MLP(2, [4, 3], seed=1), points, [0, 1, 2], resolution=10, path=tmp_path / "c.png")
    assert_png(tmp_path / "c.png")


def test_attention_heat_map_labels_rows_and_columns_and_writes_the_weights(tmp_path):
    weights = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    figure = plot_attention(weights, ["q0", "q1"], ["the", "cat", "sat"], path=tmp_path / "att.png")
    assert_png(tmp_path / "att.png")
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["the", "cat", "sat"]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["q0", "q1"]
    assert sorted(t.get_text() for t in axes.texts) == sorted(f"{w:.2f}" for row in weights for w in row)


def test_a_long_attention_map_shrinks_its_cells_so_the_picture_stays_a_few_megapixels():
    weights = [[1.0 / 200] * 200 for _ in range(200)]  # at the small maps' cells: 121 x 111 inches, 1.7 gigapixels
    width, height = plot_attention(weights).get_size_inches()
    assert width <= 1.6 + 16.0 and height <= 1.2 + 16.0
    assert list(plot_attention([[0.5, 0.5], [0.5, 0.5]]).get_size_inches()) == [
        1.6 + 1.2,
        1.2 + 1.1,
    ]  # small: as before


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plot_loss_curves({}), "at least one curve"),
        (lambda: plot_loss_curves({"train": [1.0, float("nan")]}), "NaN or infinite"),
        (lambda: plot_loss_curves({"train": [1.0, 0.0]}, logy=True), "logy=True needs positive losses"),
        (lambda: plot_predicted_vs_actual([1.0, 2.0], [1.0]), "2 actual values but 1 predictions"),
        (lambda: plot_feature_importance(["a"], [1.0, 2.0]), "1 names but 2 weights"),
        (lambda: plot_feature_importance(["a"], [1.0], true_weights=[1.0, 2.0]), "2 true weights for 1 weights"),
        (lambda: plot_decision_boundary(MLP(2, [1]), [[0.0, 1.0, 2.0]], [1]), "2-D points"),
        (lambda: plot_attention([[0.5, 0.5], [1.0]]), "the rows differ"),
        (lambda: plot_attention([[1.0]], key_labels=["a", "b"]), "one label per row and per column"),
    ],
    ids=["no_curves", "nan", "logy_zero", "pva_lengths", "fi_names", "fi_truth", "boundary_3d", "ragged", "labels"],
)
def test_plots_refuse_data_they_cannot_draw(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (61250.0, "$", "$61,250"),
        (-3.759, "$", "-$3.76"),
        (12.5, "$", "$12.5"),
        (3.8, "kg", "3.80 kg"),
        (2.0, "", "2"),
        (float("nan"), "$", "$nan"),
        (float("-inf"), "$", "-$inf"),
        (float("inf"), "kg", "inf kg"),
    ],
    ids=["dollars", "negative", "cents", "unit", "no_unit", "format_amount_nan", "minus_infinity", "infinity_unit"],
)
def test_format_amount(value, unit, text):
    assert format_amount(value, unit) == text


def test_loss_curves_take_an_x_label_and_write_plain_numbers_on_a_log_axis(tmp_path):
    figure = plot_loss_curves(
        {"a": [40000.0, 20000.0, 9000.0]}, logy=True, xlabel="training step", path=tmp_path / "c.png"
    )
    axes = figure.axes[0]
    assert axes.get_xlabel() == "training step"
    assert axes.yaxis.get_major_formatter()(10000.0, 0) == "10,000"
    assert axes.yaxis.get_minor_formatter()(20000.0, 0) == "20,000"  # within one decade: minor ticks labelled


def test_plot_loss_curves_given_a_plain_list_says_to_pass_a_dict():
    with pytest.raises(
        TypeError, match=r"got a list; pass a dict name -> list of losses, e.g. \{'train': history.train_loss\}"
    ):
        plot_loss_curves([1.0, 0.5])


@pytest.mark.parametrize(
    "model, received",
    [
        (lambda point: 0.5, "a float"),
        (lambda point: [0.1, 0.9], "a list of float, float"),
        (lambda point: [], "a list of "),
    ],
)
def test_plot_decision_boundary_with_a_model_returning_plain_numbers_is_a_clear_error(model, received):
    with pytest.raises(TypeError, match=f"needs a model returning a Value .* this model returned {received}"):
        plot_decision_boundary(model, [[0.0, 0.0], [1.0, 1.0]], [0, 1], resolution=2)


def test_plots_are_saved_atomically_through_memory(tmp_path, monkeypatch):
    import micrograd_plus.viz.plots as plots

    written = []
    monkeypatch.setattr(plots, "write_atomically", lambda path, data: written.append((path, data[:8])))
    plot_loss_curves({"train": [1.0, 0.5]}, path=tmp_path / "curves.png")
    assert written == [(tmp_path / "curves.png", b"\x89PNG\r\n\x1a\n")]
    assert not (tmp_path / "curves.png").exists()  # nothing was written but through write_atomically
    monkeypatch.undo()
    figure = plot_loss_curves({"train": [1.0, 0.5]}, path=tmp_path / "real.svg")
    assert figure is not None and (tmp_path / "real.svg").read_text().lstrip().startswith("<?xml")
