"""Plots with matplotlib's object API: loss curves, predictions, weights, decision boundaries, attention.

Each function builds a matplotlib.figure.Figure (no pyplot, so no global state and no display needed: it
works on a headless server), saves it when `path=` is given, and returns it; a notebook shows a returned
Figure inline.
"""

import io
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ..engine import Value, no_gc
from ..files import write_atomically
from ..metrics import r2_score, rmse

__all__ = [
    "plot_loss_curves",
    "plot_predicted_vs_actual",
    "plot_feature_importance",
    "plot_decision_boundary",
    "plot_attention",
    "format_amount",
]

# colour-blind-safe colours (Okabe and Ito): blue, vermilion, green, purple, orange, sky blue
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
_POSITIVE, _NEGATIVE = "#0072B2", "#D55E00"
_DPI = 150
MAX_MAP_INCHES = 16.0  # the most an attention map takes a side (2,400 pixels at _DPI), however many tokens


def _new_figure(width: float = 7.0, height: float = 4.5) -> tuple[Figure, object]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _finish(figure: Figure, path: str | os.PathLike | None) -> Figure:
    if path is not None:
        path = Path(path)
        image = io.BytesIO()  # render in memory, then save atomically: no half-written image on a crash
        figure.savefig(image, dpi=_DPI, format=path.suffix.lstrip(".").lower() or "png")
        write_atomically(path, image.getvalue())
    return figure


def format_amount(value: float, unit: str = "$") -> str:
    """A readable amount: format_amount(61250.0) is '$61,250', format_amount(3.8, 'kg') is '3.8 kg'."""
    sign = "-" if value < 0 else ""
    if not math.isfinite(value):  # NaN or infinity: show it (as '$nan', '-$inf') rather than crash on int(value)
        return f"{sign}${abs(value)}" if unit == "$" else f"{sign}{abs(value)} {unit}".rstrip()
    digits = 0 if abs(value) >= 100 or value == int(value) else (1 if abs(value) >= 10 else 2)
    number = f"{abs(value):,.{digits}f}"
    if unit == "$":
        return f"{sign}${number}"
    return f"{sign}{number} {unit}".rstrip()


def _amount_formatter(unit: str, reach: float) -> FuncFormatter:
    """Axis ticks in `unit`; dollars are written in thousands ($60k) when the axis reaches past $20,000."""
    thousands = unit == "$" and reach >= 20_000

    def tick(value: float, _position) -> str:
        if thousands:
            return f"{'-' if value < 0 else ''}${abs(value) / 1000:,.0f}k"
        return format_amount(value, unit)

    return FuncFormatter(tick)


def _check_numbers(values: Sequence[float], name: str) -> list[float]:
    numbers = [float(v) for v in values]
    if not numbers:
        raise ValueError(f"{name} is empty; there is nothing to plot")
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError(f"{name} holds NaN or infinite values; a plot of them would be blank or misleading")
    return numbers


def plot_loss_curves(
    curves: dict[str, list[float]],
    title: str = "Loss per epoch",
    ylabel: str = "loss",
    logy: bool = False,
    path: str | os.PathLike | None = None,
    xlabel: str = "epoch (one pass over the training data)",
) -> Figure:
    """One line per named curve against the epoch (or step); names with "test" or "val" are dashed.

    Curves that share a name apart from train/test (e.g. "linear: train" and "linear: test") share a colour.
    """
    if not isinstance(curves, dict):
        raise TypeError(
            f"plot_loss_curves got a {type(curves).__name__}; pass a dict name -> list of losses, "
            "e.g. {'train': history.train_loss}"
        )
    if not curves:
        raise ValueError("plot_loss_curves needs at least one curve, e.g. {'train': history.train_loss}")
    figure, axes = _new_figure()
    groups: dict[str, str] = {}
    for name, values in curves.items():
        values = _check_numbers(values, f"the curve {name!r}")
        if logy and min(values) <= 0.0:
            raise ValueError(f"logy=True needs positive losses, but the curve {name!r} reaches {min(values)!r}")
        lowered = name.lower()
        is_held_out = "test" in lowered or "val" in lowered
        group = lowered.replace("train", "").replace("test", "").replace("validation", "").replace("val", "")
        colour = groups.setdefault(group, COLOURS[len(groups) % len(COLOURS)])
        epochs = range(1, len(values) + 1)
        axes.plot(epochs, values, label=name, color=colour, linestyle="--" if is_held_out else "-", linewidth=1.8)
    if logy:
        axes.set_yscale("log")
        # plain numbers (40,000 rather than 4 x 10^4); label the minor ticks only within one decade
        axes.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        low, high = axes.get_ylim()
        axes.yaxis.set_minor_formatter(FuncFormatter(_plain_number) if high / low < 10 else NullFormatter())
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3, which="both" if logy else "major")
    axes.legend(frameon=False)
    return _finish(figure, path)


def _plain_number(value: float, _position: int) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"


def plot_predicted_vs_actual(
    actual: Sequence[float],
    predicted: Sequence[float],
    title: str = "Predicted vs actual",
    unit: str = "$",
    path: str | os.PathLike | None = None,
    label: str = "test sales",
) -> Figure:
    """A scatter of predictions against the truth, with the perfect-prediction diagonal, R² and RMSE."""
    actual = _check_numbers(actual, "actual")
    predicted = _check_numbers(predicted, "predicted")
    if len(actual) != len(predicted):
        raise ValueError(f"got {len(actual)} actual values but {len(predicted)} predictions; they must match")
    figure, axes = _new_figure(6.0, 5.5)
    low, high = min(actual + predicted), max(actual + predicted)
    margin = 0.05 * (high - low or 1.0)
    low, high = low - margin, high + margin
    axes.plot([low, high], [low, high], color="#555555", linewidth=1, linestyle="--", label="perfect prediction")
    axes.scatter(actual, predicted, s=18, alpha=0.7, color=COLOURS[0], edgecolor="white", linewidth=0.4, label=label)
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_aspect("equal")
    formatter = _amount_formatter(unit, max(abs(low), abs(high)))
    axes.xaxis.set_major_formatter(formatter)
    axes.yaxis.set_major_formatter(formatter)
    axes.set_xlabel(f"actual ({unit})")
    axes.set_ylabel(f"predicted ({unit})")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    summary = f"RMSE {format_amount(rmse(actual, predicted), unit)}"
    if len(set(actual)) > 1:  # R² is undefined when every actual value is the same
        summary += f"\nR² {r2_score(actual, predicted):.3f}"
    axes.text(
        0.04, 0.96, summary, transform=axes.transAxes, va="top", ha="left",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc"},
    )  # fmt: skip
    axes.legend(frameon=False, loc="lower right")
    return _finish(figure, path)


def plot_feature_importance(
    names: Sequence[str],
    weights: Sequence[float],
    true_weights: Sequence[float] | None = None,
    unit: str = "$",
    title: str = "What the model learned",
    path: str | os.PathLike | None = None,
    xlabel: str | None = None,
    annotations: Sequence[str] | None = None,
) -> Figure:
    """Horizontal bars of the weights, largest magnitude on top; `true_weights` (same order) as markers.

    annotations: optional text per bar (e.g. "$3.76 per sq ft"), written beside it.
    """
    names = [str(name) for name in names]
    weights = _check_numbers(weights, "weights")
    if len(names) != len(weights):
        raise ValueError(f"got {len(names)} names but {len(weights)} weights; give one name per weight")
    truth = None if true_weights is None else _check_numbers(true_weights, "true_weights")
    if truth is not None and len(truth) != len(weights):
        raise ValueError(f"got {len(truth)} true weights for {len(weights)} weights; they must match")
    if annotations is not None and len(annotations) != len(weights):
        raise ValueError(f"got {len(annotations)} annotations for {len(weights)} weights; they must match")
    order = sorted(range(len(weights)), key=lambda i: abs(weights[i]))  # barh draws bottom-up: largest on top
    figure, axes = _new_figure(8.0, 1.2 + 0.42 * len(weights))
    positions = range(len(order))
    bar_values = [weights[i] for i in order]
    colours = [_POSITIVE if w >= 0 else _NEGATIVE for w in bar_values]
    axes.barh(positions, bar_values, color=colours, height=0.65, label="learned")
    axes.set_yticks(list(positions), [names[i] for i in order])
    axes.axvline(0.0, color="#333333", linewidth=0.8)
    if truth is not None:
        axes.scatter([truth[i] for i in order], positions, marker="D", s=36, color="black", zorder=3, label="true")
    if annotations is not None:
        reach = max(abs(w) for w in weights + (truth or [])) or 1.0
        for position, i in zip(positions, order):
            pad = 0.02 * reach
            ends = [weights[i]] if truth is None else [weights[i], truth[i]]  # write past the bar and its marker
            if weights[i] >= 0:
                x, align = max(ends) + pad, "left"
            else:
                x, align = min(ends) - pad, "right"
            axes.text(x, position, annotations[i], va="center", ha=align, fontsize=8, color="#333333")
        axes.margins(x=0.35)
    axes.xaxis.set_major_formatter(_amount_formatter(unit, max(abs(w) for w in weights + (truth or []))))
    axes.set_xlabel(xlabel or f"weight ({unit})")
    axes.set_title(title)
    axes.grid(alpha=0.3, axis="x")
    axes.spines["left"].set_visible(False)
    axes.tick_params(axis="y", length=0)
    if truth is not None:
        axes.legend(frameon=False, loc="lower right")
    return _finish(figure, path)


def plot_decision_boundary(
    model: Callable,
    points: Sequence[Sequence[float]],
    labels: Sequence[int],
    title: str = "Decision boundary",
    path: str | os.PathLike | None = None,
    resolution: int = 80,
    threshold: float = 0.0,
) -> Figure:
    """The model's answer over the plane of 2-D `points`, with the points coloured by their label.

    A model with one output (a score) is shaded by its score, with the boundary where it crosses
    `threshold` (the score's sign for hinge or logistic losses); a model with several outputs (logits)
    is shaded by its highest-scoring class.
    """
    points = [[float(x) for x in point] for point in points]
    if not points or any(len(point) != 2 for point in points):
        raise ValueError("plot_decision_boundary needs 2-D points, e.g. [[0.5, 1.0], ...]")
    if len(labels) != len(points):
        raise ValueError(f"got {len(points)} points but {len(labels)} labels; give one label per point")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be a whole number >= 2, got {resolution!r}")
    classes = sorted(set(labels))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad_x, pad_y = 0.1 * (max(xs) - min(xs) or 1.0), 0.1 * (max(ys) - min(ys) or 1.0)
    grid_x = [min(xs) - pad_x + (max(xs) - min(xs) + 2 * pad_x) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [min(ys) - pad_y + (max(ys) - min(ys) + 2 * pad_y) * j / (resolution - 1) for j in range(resolution)]
    with no_gc():
        outputs = [[model([x, y]) for x in grid_x] for y in grid_y]
    _check_outputs(outputs[0][0])
    figure, axes = _new_figure(6.0, 5.0)
    if isinstance(outputs[0][0], (list, tuple)):  # several outputs: the class with the largest logit
        grid = [[max(range(len(out)), key=lambda k: out[k].data) for out in row] for row in outputs]
        count = len(outputs[0][0])
        cmap = ListedColormap([COLOURS[k % len(COLOURS)] for k in range(count)])
        axes.contourf(grid_x, grid_y, grid, levels=[k - 0.5 for k in range(count + 1)], cmap=cmap, alpha=0.25)
        # a label that is a class index gets its region's colour
        colour_of = {
            label: COLOURS[(label if isinstance(label, int) and 0 <= label < count else index) % len(COLOURS)]
            for index, label in enumerate(classes)
        }
    else:
        grid = [[out.data - threshold for out in row] for row in outputs]
        low, high = min(min(row) for row in grid), max(max(row) for row in grid)
        reach = max(abs(low), abs(high)) or 1.0
        levels = [reach * (k / 10.0 - 1.0) for k in range(21)]  # symmetric about the boundary at 0
        shading = axes.contourf(grid_x, grid_y, grid, levels=levels, cmap="RdBu", alpha=0.55)
        if low < 0.0 < high:
            axes.contour(grid_x, grid_y, grid, levels=[0.0], colors="black", linewidths=1.5)
        colourbar = figure.colorbar(shading, ax=axes, shrink=0.85, ticks=[levels[0], 0.0, levels[-1]])
        colourbar.ax.set_yticklabels(
            [f"{levels[0] + threshold:.2g}", f"{threshold:g}", f"{levels[-1] + threshold:.2g}"]
        )
        colourbar.set_label("model score (the boundary is the black line)")
        # the lower class sits on the red (negative) side, the upper on the blue side
        colour_of = {label: (_NEGATIVE if index == 0 else _POSITIVE) for index, label in enumerate(classes)}
    for label in classes:
        chosen = [p for p, lab in zip(points, labels) if lab == label]
        axes.scatter(
            [p[0] for p in chosen], [p[1] for p in chosen], s=22, color=colour_of[label],
            edgecolor="black", linewidth=0.5, label=f"label {label}",
        )  # fmt: skip
    axes.set_xlabel("x₁")
    axes.set_ylabel("x₂")
    axes.set_title(title)
    axes.legend(frameon=True, loc="best")
    return _finish(figure, path)


def _check_outputs(out: object) -> None:
    """A model's answer must be a Value (a score) or a list of Values (logits), not plain numbers."""
    several = isinstance(out, (list, tuple))
    if (several and out and all(isinstance(v, Value) for v in out)) or isinstance(out, Value):
        return
    received = f"a {type(out).__name__}" if not several else f"a list of {', '.join(type(v).__name__ for v in out)}"
    raise TypeError(
        f"plot_decision_boundary needs a model returning a Value (one score) or a list of Values (one per "
        f"class), like an MLP does; this model returned {received} for the point [x, y]"
    )


def plot_attention(
    weights: Sequence[Sequence[float]],
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    title: str = "Attention weights",
    path: str | os.PathLike | None = None,
) -> Figure:
    """A heat map of attention weights: one row per query, one column per key (each row sums to 1).

    Small maps (up to 12 x 12) show each weight's number in its cell. Cells shrink so that the map stays within
    MAX_MAP_INCHES a side: a 200 x 200 map at the small maps' cell size would be a 1.7-gigapixel picture.
    """
    rows = [_check_numbers(row, f"row {index} of the attention weights") for index, row in enumerate(weights)]
    if not rows:
        raise ValueError("plot_attention needs at least one row of weights")
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError(f"every row of attention weights needs {width} numbers (one per key); the rows differ")
    query_labels = [str(q) for q in query_labels] if query_labels is not None else [str(i) for i in range(len(rows))]
    key_labels = [str(k) for k in key_labels] if key_labels is not None else [str(j) for j in range(width)]
    if len(query_labels) != len(rows) or len(key_labels) != width:
        raise ValueError(
            f"got {len(query_labels)} query labels and {len(key_labels)} key labels for a "
            f"{len(rows)} x {width} map; give one label per row and per column"
        )
    low, high = min(min(row) for row in rows), max(max(row) for row in rows)
    vmin, vmax = (0.0, 1.0) if 0.0 <= low and high <= 1.0 else (low, high)
    shrink = min(1.0, MAX_MAP_INCHES / (0.6 * max(width, len(rows))))
    figure, axes = _new_figure(1.6 + 0.6 * shrink * width, 1.2 + 0.55 * shrink * len(rows))
    image = axes.imshow(rows, cmap="Blues", vmin=vmin, vmax=vmax, aspect="auto")
    colourbar = figure.colorbar(image, ax=axes, shrink=0.85)
    colourbar.set_label("attention weight")
    rotate = max(map(len, key_labels)) > 3  # long labels slant so they do not overlap
    size = max(3.0, 10.0 * shrink)  # points: labels shrink with the cells, down to a size a zoom can still read
    axes.set_xticks(range(width), key_labels, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    axes.set_yticks(range(len(rows)), query_labels)
    axes.tick_params(labelsize=size)
    if width <= 12 and len(rows) <= 12:
        middle = (vmin + vmax) / 2
        for i, row in enumerate(rows):
            for j, weight in enumerate(row):
                colour = "white" if weight > middle else "black"
                axes.text(j, i, f"{weight:.2f}", ha="center", va="center", fontsize=8, color=colour)
    axes.set_xlabel("key (the position attended to)")
    axes.set_ylabel("query (the position attending)")
    axes.set_title(title)
    axes.spines[["left", "bottom"]].set_visible(False)
    axes.tick_params(length=0)
    return _finish(figure, path)
