"""The main job: learn house prices from past sales, and read what the weights learned.

`python -m micrograd_plus house-prices` trains a single linear neuron, price = w·x + b, on the 1987 sales of
Windsor, Ontario (Anglin and Gençay 1996), compares it with two baselines (predict the mean; ordinary least
squares in closed form), and prints each weight in real units: dollars per extra square foot of lot, per
bathroom, for air conditioning. With `--hidden 8` it also trains an MLP with a hidden layer of 8 neurons.
Into the output folder go the plots, the model as JSON, and the computation graph of one prediction.
`python -m micrograd_plus predict --model model.json --house lotsize=5000 bedrooms=3` uses the saved model.
"""

import argparse
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..datasets.houses import WINDSOR_PATH, Dataset, load_csv, load_features, make_houses
from ..datasets.preprocessing import Standardizer, standardise, train_test_split
from ..engine import no_gc
from ..files import write_atomically
from ..losses import mse_loss
from ..nn import MLP
from ..optim import SGD, Adam
from ..train import History, Hyperparameters, fit, least_squares, r2_score, rmse
from ..viz.graph import draw_graph
from ..viz.plots import format_amount, plot_feature_importance, plot_loss_curves, plot_predicted_vs_actual
from ..viz.render import RendererNotFoundError
from . import guarded
from .house_model import (
    MODEL_FORMAT,
    MODEL_VERSION,
    HousePriceModel,
    describe_network,
    load_model,
    parse_house,
    predict_houses,
)

__all__ = [
    "HousePriceModel",
    "HousePriceRun",
    "DEFAULT_HYPERPARAMETERS",
    "run_house_prices",
    "load_data",
    "load_model",
    "predict_houses",
    "add_parser",
    "MODEL_FORMAT",
    "MODEL_VERSION",
]

DEFAULT_OUT = "house_prices_output"
TEST_FRACTION = 0.2
SYNTHETIC_HOUSES = 500
MIN_ROWS = 10  # below this the 20% test split has one or two rows, and R² on it means nothing

# Tuned on the Windsor data: full-batch Adam on standardised features lands on least squares' weights
# (within a few percent) in 100 steps; mini-batches (--batch-size 32) get the same R² but noisier weights.
DEFAULT_HYPERPARAMETERS = Hyperparameters(lr=0.05, epochs=100, batch_size=None, hidden=[], activation="tanh", seed=0)

WINDSOR_SOURCE = "Windsor, Ontario, 1987 house sales (Anglin and Gençay 1996, J. Applied Econometrics 11(6))"

# How one unit of each Windsor feature reads: (in the weights table, on the importance plot)
FEATURE_UNITS = {
    "lotsize": ("per extra square foot of lot", "per sq ft"),
    "bedrooms": ("per extra bedroom", "per bedroom"),
    "bathrms": ("per extra full bathroom", "per bathroom"),
    "stories": ("per extra story", "per story"),
    "driveway": ("for a driveway", "driveway"),
    "recroom": ("for a recreation room", "rec room"),
    "fullbase": ("for a full finished basement", "basement"),
    "gashw": ("for gas hot-water heating", "gas hot water"),
    "airco": ("for central air conditioning", "air conditioning"),
    "garagepl": ("per extra garage place", "per garage place"),
    "prefarea": ("for a preferred neighbourhood", "preferred area"),
}


def load_data(source: str = "windsor", target: str = "price", seed: int = 0) -> tuple[Dataset, str]:
    """The data named by `source` ("windsor", "synthetic", "synthetic-nonlinear" or a CSV path), and a description."""
    if source in ("synthetic", "synthetic-nonlinear"):
        if target != "price":
            raise ValueError(f"synthetic houses only have a 'price' target, got --target {target!r}")
        nonlinear = source == "synthetic-nonlinear"
        data = make_houses(SYNTHETIC_HOUSES, seed=seed, nonlinear=nonlinear)
        kind = "non-linear prices (diminishing returns, interactions)" if nonlinear else "known true weights"
        return data, f"{SYNTHETIC_HOUSES} synthetic houses with {kind}, seed {seed}"
    if source == "windsor":
        return load_csv(WINDSOR_PATH, target=target), WINDSOR_SOURCE
    return load_csv(source, target=target), f"{source}"


@dataclass
class HousePriceRun:
    """What one run of the main job produced: the model, the split, the scores, the report, the files."""

    model: HousePriceModel
    train: Dataset
    test: Dataset
    metrics: dict[str, dict[str, float]]
    report: str
    files: list[Path]


def run_house_prices(
    data: str | None = None,
    target: str | None = None,
    hyperparameters: Hyperparameters | None = None,
    out: str | os.PathLike = DEFAULT_OUT,
    quiet: bool = False,
    load: str | os.PathLike | None = None,
) -> HousePriceRun:
    """Train (or, with `load`, reload) the house-price models, compare them with baselines, write the outputs.

    data: "windsor" (the default), "synthetic", "synthetic-nonlinear", or a CSV path; target: the column to
    predict (default "price"); hyperparameters: default DEFAULT_HYPERPARAMETERS (copied, never shared).
    With `load`, the saved model's target, split seed and hyperparameters are used (passing `target` or
    `hyperparameters` as well is an error), and its data unless `data` names other data.
    quiet=False prints training progress (see train.fit) and the report.
    """
    saved = load_model(load) if load is not None else None
    if saved is not None:
        given = [
            name for name, value in (("target", target), ("hyperparameters", hyperparameters)) if value is not None
        ]
        if given:
            raise ValueError(
                f"a loaded model keeps the {' and '.join(given)} it was trained with; do not pass {' or '.join(given)} "
                "with load (to train with other settings, train a new model instead)"
            )
        hyperparameters = saved.hyperparameters
        data = data or saved.data.get("source", "windsor")
        target = saved.target_name
    hyperparameters = dataclasses.replace(hyperparameters or DEFAULT_HYPERPARAMETERS)  # a copy: the model keeps it
    data = data or "windsor"
    target = target or "price"
    dataset, description = load_data(data, target, hyperparameters.seed)
    if len(dataset) < MIN_ROWS:
        raise ValueError(
            f"{len(dataset)} rows are too few to train and then test on a held-out 20%; give at least {MIN_ROWS}"
        )
    train, test = train_test_split(dataset, TEST_FRACTION, seed=hyperparameters.seed)
    _check_target_varies(dataset, train, test, description, hyperparameters.seed)
    if saved is not None:
        if saved.feature_names != dataset.feature_names:
            raise ValueError(
                f"the saved model reads features {saved.feature_names}, but the data has {dataset.feature_names}"
            )
        model = saved
    else:
        _check_no_constant_features(dataset, train, description, hyperparameters.seed)
        model = _train(dataset, train, test, data, hyperparameters, quiet)
    metrics = _metrics(model, train, test)
    out = Path(out)
    files = _write_outputs(model, train, test, metrics, out)
    loaded = None if saved is None else _loaded_note(load, saved, data, dataset)
    report = _report(model, dataset, description, train, test, metrics, files, out, loaded=loaded)
    files.append(write_atomically(out / "report.txt", report + "\n"))
    if not quiet:
        print(report)
    return HousePriceRun(model, train, test, metrics, report, files)


def _source_record(source: str) -> str:
    if source in ("windsor", "synthetic", "synthetic-nonlinear"):
        return source
    return str(Path(source).resolve())  # so that --load finds the CSV from any folder


def _loaded_note(load: str | os.PathLike, saved: HousePriceModel, data: str, dataset: Dataset) -> str:
    """What a reloaded model's report can honestly say about its split: the same only on the same data."""
    trained_on, rows = saved.data.get("source"), saved.data.get("rows")
    if _source_record(data) == trained_on and len(dataset) == rows:
        return f"Model loaded from {load} (no training: same data, same split, same predictions)."
    if len(dataset) == rows:
        return (
            f"Model loaded from {load} (no training). It was trained on {trained_on}; these data have as many "
            f"rows ({rows}), so the split is the same only if the rows are the same."
        )
    return (
        f"Model loaded from {load} (no training). It was trained on {trained_on} ({rows} rows), not on these "
        f"{len(dataset)} rows: the split differs, so its 'train' scores here are not on the rows it learned from."
    )


def _check_target_varies(dataset: Dataset, train: Dataset, test: Dataset, description: str, seed: int) -> None:
    """A target with one value leaves nothing to learn, and R² (its score) is then undefined: say so before training."""
    name = dataset.target_name
    if len(set(dataset.y)) == 1:
        raise ValueError(
            f"every row of {name!r} in {description} has the same value ({dataset.y[0]}); there is nothing to "
            "learn. Predict a column whose values differ (--target)."
        )
    for part, rows in (("training", train), ("held-out test", test)):
        if len(set(rows.y)) == 1:
            raise ValueError(
                f"the {len(rows)} {part} rows (the split with seed {seed}) all have the same {name!r} "
                f"({rows.y[0]}), so R² on them is undefined; give more rows, or try another --seed"
            )


def _check_no_constant_features(dataset: Dataset, train: Dataset, description: str, seed: int) -> None:
    """Refuse feature columns with one value in every training row.

    Standardised, such a column is all zeros: its weight never moves from its random start, yet the report
    would rank it and print it in dollars. It carries no information, so the user removes it (we do not
    drop it silently: the saved model would then read other columns than the CSV has).
    """
    constant = [name for index, name in enumerate(train.feature_names) if len({row[index] for row in train.X}) == 1]
    if not constant:
        return
    everywhere = [name for name in constant if len(set(dataset.column(name))) == 1]
    columns = ", ".join(repr(name) for name in constant)
    if everywhere == constant:
        where = f"every row of {description}"
        fix = "Remove them from the CSV."
    else:
        where = f"every training row (the split with seed {seed})"
        fix = "Remove them, or try another --seed."
    raise ValueError(
        f"the feature column(s) {columns} have the same value in {where}: they carry no information, and "
        f"their weights could not be learned. {fix}"
    )


def _train(
    dataset: Dataset, train: Dataset, test: Dataset, source: str, hyperparameters: Hyperparameters, quiet: bool
) -> HousePriceModel:
    features = Standardizer().fit(train.X)
    target = Standardizer().fit_target(train.y)
    train_std, test_std = standardise(train, features, target), standardise(test, features, target)
    architectures = {"linear": []}
    if hyperparameters.hidden:
        architectures["mlp"] = hyperparameters.hidden
    networks, histories = {}, {}
    for name, hidden in architectures.items():
        net = MLP(
            len(dataset.feature_names), [*hidden, 1], activation=hyperparameters.activation, seed=hyperparameters.seed
        )
        if not quiet:
            print(f"training the {describe_network(name, net)}")
        histories[name] = fit(
            net, mse_loss, _optimizer(net, hyperparameters), train_std, hyperparameters.epochs,
            hyperparameters.batch_size, test=test_std, seed=hyperparameters.seed, progress=not quiet,
        )  # fmt: skip
        networks[name] = net
    if not quiet:
        print()  # a blank line between the progress and the report
    source_record = {"source": _source_record(source), "rows": len(dataset), "test_fraction": TEST_FRACTION}
    return HousePriceModel(
        list(dataset.feature_names), dataset.target_name, features, target, hyperparameters, networks, histories,
        source_record,
    )  # fmt: skip


def _optimizer(net: MLP, hyperparameters: Hyperparameters):
    if hyperparameters.optimizer == "sgd":
        return SGD(net.parameters(), lr=hyperparameters.lr, weight_decay=hyperparameters.weight_decay)
    return Adam(net.parameters(), lr=hyperparameters.lr, weight_decay=hyperparameters.weight_decay)


def _linear_prediction(weights: list[float], bias: float, X: Sequence[Sequence[float]]) -> list[float]:
    return [sum(w * x for w, x in zip(weights, row)) + bias for row in X]


def _scores(train: Dataset, test: Dataset, train_pred: list[float], test_pred: list[float], params: int) -> dict:
    return {
        "parameters": params,
        "train_rmse": rmse(train.y, train_pred),
        "test_rmse": rmse(test.y, test_pred),
        "train_r2": r2_score(train.y, train_pred),
        "test_r2": r2_score(test.y, test_pred),
    }


def _metrics(model: HousePriceModel, train: Dataset, test: Dataset) -> dict[str, dict[str, float]]:
    """Scores, in the target's units, of the baselines and of each network: row name -> scores."""
    mean = sum(train.y) / len(train.y)
    ols_weights, ols_bias = least_squares(train.X, train.y)
    metrics = {
        "mean": _scores(train, test, [mean] * len(train), [mean] * len(test), 1),
        "ols": _scores(
            train,
            test,
            _linear_prediction(ols_weights, ols_bias, train.X),
            _linear_prediction(ols_weights, ols_bias, test.X),
            len(ols_weights) + 1,
        ),
    }
    metrics["ols"]["weights"] = ols_weights
    metrics["ols"]["bias"] = ols_bias
    for name, net in model.networks.items():
        metrics[name] = _scores(
            train, test, model.predict(train.X, name), model.predict(test.X, name), net.num_parameters()
        )
        history = model.histories.get(name)
        if history and history.elapsed:
            target_r2 = metrics["ols"]["test_r2"] - QUALITY_MARGIN
            metrics[name]["target_epoch"] = _epoch_reaching(history, test, model, target_r2)
    return metrics


QUALITY_MARGIN = 0.02  # the main job's quality target: test R² no worse than least squares' minus this


def _epoch_reaching(history: History, test: Dataset, model: HousePriceModel, target_r2: float) -> int | None:
    """The first epoch whose test R² reached `target_r2`, or None.

    The history's test loss is the mean squared error on standardised prices; times the price scale squared
    it is the MSE in dollars, and R² = 1 - MSE / (the test prices' variance).
    """
    mean = sum(test.y) / len(test.y)
    variance = sum((y - mean) ** 2 for y in test.y) / len(test.y)
    scale = model.target.scale[0]
    for epoch, loss in enumerate(history.test_loss, start=1):
        if 1.0 - loss * scale * scale / variance >= target_r2:
            return epoch
    return None


def _write_outputs(model: HousePriceModel, train: Dataset, test: Dataset, metrics: dict, out: Path) -> list[Path]:
    """The plots, the model JSON and the graph of one prediction, written into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    unit = _unit(model.target_name)
    if model.histories:
        curves = {}
        for name, history in model.histories.items():
            label = model.display_name(name)
            curves[f"{label}: train"] = history.train_loss
            if history.test_loss:
                curves[f"{label}: test"] = history.test_loss
        files.append(out / "loss_curves.png")
        plot_loss_curves(
            curves, title="Training: loss per epoch", ylabel=f"mean squared error (standardised {model.target_name})",
            path=files[-1],
        )  # fmt: skip
    main = model.main
    files.append(out / "predicted_vs_actual.png")
    plot_predicted_vs_actual(
        test.y, model.predict(test.X, main), unit=unit, path=files[-1], label=f"{len(test)} test sales",
        title=f"{model.display_name(main).capitalize()}: predicted vs actual {model.target_name}",
    )  # fmt: skip
    rows = _weights_rows(model, train, metrics)
    files.append(out / "feature_importance.png")
    plot_feature_importance(
        [row["name"] for row in rows], [row["effect"] for row in rows],
        true_weights=[row["true_effect"] for row in rows] if train.true_weights else None,
        unit=unit, path=files[-1], annotations=[row["short"] for row in rows],
        title=f"What the linear neuron learned: the effect of each feature on {model.target_name}",
        xlabel=f"change in {model.target_name} for a typical difference (one standard deviation) in the feature",
    )  # fmt: skip
    files.append(model.save(out / "model.json"))
    files.append(_draw_prediction(model, test, out))
    return files


def _draw_prediction(model: HousePriceModel, test: Dataset, out: Path) -> Path:
    """The computation graph of the first test house's price: SVG with Graphviz, else the DOT text."""
    main = model.main
    net = model.networks[main]
    with no_gc():
        price = model.price(test.X[0], main)
        price.label = f"predicted {model.target_name}"
        net.zero_grad()
        price.backward()  # the grads in the drawing: d price / d every input and weight
    if main == "linear":
        neuron = net.layers[0].neurons[0]
        names = {w: f"w {name}" for w, name in zip(neuron.w, model.feature_names)}
        names[neuron.b] = "bias"
    else:
        names = net  # a Module: its named_parameters() label the weights
    graph = draw_graph(price, names=names)
    net.zero_grad()
    try:
        return graph.save(out / "prediction_graph.svg")
    except RendererNotFoundError:
        return graph.save(out / "prediction_graph.dot")


def _unit(target_name: str) -> str:
    return "$" if target_name == "price" else target_name


def _is_yes_no(dataset: Dataset, index: int) -> bool:
    return all(row[index] in (0.0, 1.0) for row in dataset.X)


def _weights_rows(model: HousePriceModel, train: Dataset, metrics: dict) -> list[dict]:
    """One row per feature of the linear neuron, most important first (by the effect of one std)."""
    weights, _ = model.linear_weights()
    unit = _unit(model.target_name)
    rows = []
    for index, (name, weight, spread) in enumerate(zip(model.feature_names, weights, model.features.scale)):
        if name in FEATURE_UNITS:
            long, short = FEATURE_UNITS[name]
        elif _is_yes_no(train, index):
            long, short = f"if {name} is yes", f"if {name}"
        else:
            long, short = f"per extra unit of {name}", f"per {name}"
        truth = train.true_weights.get(name) if train.true_weights else None
        rows.append(
            {
                "name": name,
                "weight": weight,
                "long": long,
                "short": f"{_signed(weight, unit)} {short}",
                "effect": weight * spread,
                "spread": spread,
                "ols": metrics["ols"]["weights"][index],
                "true": truth,
                "true_effect": None if truth is None else truth * spread,
            }
        )
    rows.sort(key=lambda row: -abs(row["effect"]))
    return rows


def _signed(value: float, unit: str) -> str:
    return ("+" if value >= 0 else "") + format_amount(value, unit)


def _report(
    model: HousePriceModel,
    dataset: Dataset,
    description: str,
    train: Dataset,
    test: Dataset,
    metrics: dict,
    files: list[Path],
    out: Path,
    loaded: str | None,
) -> str:
    """The printed report: the data, hyperparameters vs parameters, the scores, and the weights in real units."""
    lines = [
        f"House prices: {description}",
        f"{len(dataset)} rows, {len(dataset.feature_names)} features, predicting {model.target_name!r}; "
        f"split: {len(train)} to train on, {len(test)} held out to test (seed {model.hyperparameters.seed})",
        "",
    ]
    if loaded is not None:
        lines += [loaded, ""]
    lines += _parameters_section(model)
    lines += _scores_section(model, metrics, trained=loaded is None)
    lines += _weights_section(model, train, metrics)
    names = [path.name for path in files] + ["report.txt"]
    lines += ["", f"Written to {out}{os.sep}:", "  " + ", ".join(names)]
    if not model.hyperparameters.hidden and loaded is None:
        lines.append("Next: --hidden 8 adds an MLP with a hidden layer of 8 neurons; compare its test R².")
    return "\n".join(lines)


def _parameters_section(model: HousePriceModel) -> list[str]:
    lines = ["Hyperparameters (chosen before training):", f"  {model.hyperparameters}"]
    lines.append("Parameters (learned by training):")
    for name, net in model.networks.items():
        if name == "linear":
            detail = f"{net.nin} weights + 1 bias"
        else:
            detail = " + ".join(
                f"{layer.nin}x{layer.nout} weights + {layer.nout} {'bias' if layer.nout == 1 else 'biases'}"
                for layer in net.layers
            )
        lines.append(f"  {model.display_name(name)}: {detail} = {net.num_parameters()} parameters")
    return lines + [""]


def _scores_section(model: HousePriceModel, metrics: dict, trained: bool) -> list[str]:
    unit = _unit(model.target_name)
    table = [("model", "params", "train RMSE", "test RMSE", "train R²", "test R²")]
    labels = {"mean": "baseline: predict the training mean", "ols": "baseline: least squares (closed form)"}
    for key, scores in metrics.items():
        label = labels.get(key) or f"{model.display_name(key)} (gradient descent)"
        table.append(
            (
                label,
                str(scores["parameters"]),
                format_amount(scores["train_rmse"], unit),
                format_amount(scores["test_rmse"], unit),
                f"{scores['train_r2']:.3f}",
                f"{scores['test_r2']:.3f}",
            )
        )
    lines = _table(table, align="<>>>>>")
    hp = model.hyperparameters
    if trained:
        seconds = sum(history.seconds for history in model.histories.values())
        batching = "each step on all training rows" if hp.batch_size is None else f"mini-batches of {hp.batch_size}"
        lines.append(f"  trained in {seconds:.1f} s ({hp.epochs} epochs, {batching})")
        epoch = metrics[model.main].get("target_epoch")
        target = f"test R² >= least squares' - {QUALITY_MARGIN} = {metrics['ols']['test_r2'] - QUALITY_MARGIN:.3f}"
        if epoch is None:
            lines.append(f"  quality target ({target}): not reached")
        else:
            at = model.histories[model.main].elapsed[epoch - 1]
            lines.append(f"  quality target ({target}): reached at epoch {epoch}, {at:.2f} s into training")
    gap = round(metrics[model.main]["test_r2"] - metrics["ols"]["test_r2"], 3) + 0.0  # + 0.0: no "-0.000"
    lines.append(f"  test R² minus least squares' test R²: {gap:+.3f}")
    return lines + _mlp_verdict(metrics) + [""]


def _weights_section(model: HousePriceModel, train: Dataset, metrics: dict) -> list[str]:
    unit = _unit(model.target_name)
    rows = _weights_rows(model, train, metrics)
    has_truth = rows[0]["true"] is not None
    header = ("rank", "feature", f"learned weight ({unit} per unit)", "least squares")
    header += ("true weight", "effect of 1 std") if has_truth else ("effect of 1 std",)
    table = [header]
    for rank, row in enumerate(rows, start=1):
        cells = (str(rank), row["name"], f"{_signed(row['weight'], unit)} {row['long']}", _signed(row["ols"], unit))
        if has_truth:
            cells += (_signed(row["true"], unit),)
        spread = f"{row['spread']:,.0f}" if row["spread"] >= 100 else f"{row['spread']:.2f}"
        table.append(cells + (f"{_signed(row['effect'], unit)} (1 std = {spread})",))
    _, bias = model.linear_weights()
    truth = f"; true {format_amount(train.true_bias, unit)}" if train.true_bias is not None else ""
    return [
        "What the linear neuron learned, in real units, most important first",
        f"(importance: the change in {model.target_name} for a typical difference, one standard deviation, "
        "in the feature):",
        *_table(table, align="><<>" + (">" if has_truth else "") + "<"),
        f"  bias: {format_amount(bias, unit)} (least squares {format_amount(metrics['ols']['bias'], unit)}{truth}): "
        f"the {model.target_name} of a house with every feature at 0",
    ]


def _mlp_verdict(metrics: dict) -> list[str]:
    """One sentence on what the hidden layer bought, read off the scores."""
    if "mlp" not in metrics:
        return []
    mlp, linear = metrics["mlp"], metrics["linear"]
    if mlp["train_r2"] > linear["train_r2"] and mlp["test_r2"] < linear["test_r2"] - 0.01:
        return [
            f"  The MLP fits the training rows better than the linear neuron (R² {mlp['train_r2']:.3f} vs "
            f"{linear['train_r2']:.3f})",
            f"  but the test rows worse ({mlp['test_r2']:.3f} vs {linear['test_r2']:.3f}): with {mlp['parameters']} "
            "parameters it has learned the noise of the training rows",
            "  (overfitting: see loss_curves.png). Try fewer --epochs, or --weight-decay 0.05.",
        ]
    if mlp["test_r2"] > linear["test_r2"] + 0.01:
        return [
            f"  The MLP beats the linear neuron on the test rows (R² {mlp['test_r2']:.3f} vs {linear['test_r2']:.3f}):",
            "  its hidden layer represents effects that no weighted sum of the features can.",
        ]
    return [
        "  The MLP scores about the same as the linear neuron on the test rows:",
        "  its hidden layer finds no structure here that a weighted sum of the features misses.",
    ]


def _table(rows: list[tuple[str, ...]], align: str) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [f"{cell:{side}{width}}" for cell, side, width in zip(row, align, widths)]
        lines.append("  " + "  ".join(cells).rstrip())
        if number == 0:
            lines.append("  " + "  ".join("-" * width for width in widths))
    return lines


# ---- predict: the saved model on new houses ---------------------------------------------------


def _run_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    unit = _unit(model.target_name)
    names = {name: model.display_name(name) for name, net in model.networks.items()}
    if args.csv is not None:
        houses = load_features(args.csv, model.feature_names)
        predictions = predict_houses(model, houses)
        rows = [("row", *(f"predicted {model.target_name} ({label})" for label in names.values()))]
        for index in range(len(houses)):
            rows.append((str(index + 1), *(format_amount(predictions[name][index], unit) for name in names)))
        print("\n".join(_table(rows, align=">" * len(rows[0]))))
        return 0
    house, described, defaulted = parse_house(model, args.house)
    print("House: " + " ".join(described))
    if defaulted:
        print("  not given, so set to the training average: " + " ".join(defaulted))
    for name, prediction in predict_houses(model, [house]).items():
        print(f"Predicted {model.target_name} ({names[name]}): {format_amount(prediction[0], unit)}")
    return 0


# ---- the command line ---------------------------------------------------------------------------


# The options that set up training; a loaded model was trained already, so --load refuses them.
TRAINING_OPTIONS = ["target", "epochs", "lr", "batch_size", "hidden", "activation", "weight_decay", "seed"]


def _run_house_prices(args: argparse.Namespace) -> int:
    if args.load is not None:
        given = ["--" + name.replace("_", "-") for name in TRAINING_OPTIONS if getattr(args, name) is not None]
        if given:
            raise ValueError(
                f"--load reuses a trained model with the settings it was trained with, so {', '.join(given)} "
                "would be ignored; drop them, or leave out --load to train a new model with them"
            )
        run_house_prices(args.data, None, None, args.out, args.quiet, args.load)
        return 0
    defaults = DEFAULT_HYPERPARAMETERS
    hyperparameters = Hyperparameters(
        lr=defaults.lr if args.lr is None else args.lr,
        epochs=defaults.epochs if args.epochs is None else args.epochs,
        batch_size=defaults.batch_size if args.batch_size is None else args.batch_size,
        hidden=list(defaults.hidden) if args.hidden is None else args.hidden,
        activation=args.activation or defaults.activation,
        weight_decay=defaults.weight_decay if args.weight_decay is None else args.weight_decay,
        seed=defaults.seed if args.seed is None else args.seed,
    )
    run_house_prices(args.data, args.target, hyperparameters, args.out, args.quiet)
    return 0


OVERFLOW_HINT = "rescale the data (e.g. prices in thousands) or lower --lr"


def add_parser(subparsers) -> None:
    """Register the `house-prices` and `predict` subcommands."""
    d = DEFAULT_HYPERPARAMETERS
    parser = subparsers.add_parser(
        "house-prices",
        help="the main job: learn house prices from the 1987 Windsor sales and explain the weights",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument(
        "--data", default=None, metavar="windsor|synthetic|synthetic-nonlinear|PATH.csv",
        help="the sales to learn from (default: windsor, the bundled 546 Windsor sales)",
    )  # fmt: skip
    parser.add_argument("--target", default=None, help="the CSV column to predict (default: price)")
    parser.add_argument("--epochs", type=int, default=None, help=f"passes over the training data (default {d.epochs})")
    parser.add_argument("--lr", type=float, default=None, help=f"Adam's learning rate (default {d.lr})")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="mini-batch size (default: all the training rows in one batch)"
    )
    parser.add_argument(
        "--hidden", type=int, nargs="*", default=None, metavar="SIZE",
        help="hidden layer sizes of an MLP trained beside the linear neuron, e.g. --hidden 8 (default: none)",
    )  # fmt: skip
    parser.add_argument("--activation", default=None, help=f"the hidden layers' activation (default {d.activation})")
    parser.add_argument(
        "--weight-decay", type=float, default=None, help=f"L2 penalty pulling weights to 0 (default {d.weight_decay})"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed for the split, the initial weights and the batches (default {d.seed})",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT}/)")
    parser.add_argument(
        "--quiet", action="store_true",
        help="print nothing: no progress, no report (the report still goes to report.txt)",
    )  # fmt: skip
    parser.add_argument(
        "--load", default=None, metavar="MODEL.json",
        help="reuse a saved model instead of training: its target, data, seed and split, so the same predictions "
        "(training options such as --epochs are refused with it)",
    )  # fmt: skip
    parser.set_defaults(run=guarded(_run_house_prices, overflow_hint=OVERFLOW_HINT), command="house-prices")

    predict_parser = subparsers.add_parser(
        "predict", help="predict prices with a model saved by house-prices",
        description="Predict prices with a saved model, for one house (--house) or every row of a CSV (--csv).",
    )  # fmt: skip
    predict_parser.add_argument("--model", required=True, metavar="MODEL.json", help="a model.json from house-prices")
    source = predict_parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--house", nargs="+", metavar="NAME=VALUE",
        help="the house's features, e.g. lotsize=5000 bedrooms=3 airco=yes (others: the training average)",
    )  # fmt: skip
    source.add_argument(
        "--csv", metavar="FILE.csv", help="a CSV with one house per row and the model's feature columns"
    )
    predict_parser.set_defaults(run=guarded(_run_predict, overflow_hint=OVERFLOW_HINT), command="predict")
