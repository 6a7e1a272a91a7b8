"""The main job: learn house prices from past sales, and read what the weights learned.

`run_house_prices()` (the command line's `house-prices`) trains a single linear neuron, price = w·x + b, on
the 1987 sales of Windsor, Ontario (Anglin and Gençay 1996), compares it with two baselines (predict the
mean; ordinary least squares in closed form), and reports each weight in real units: dollars per extra
square foot of lot, per bathroom, for air conditioning. With hidden layers in its hyperparameters it also
trains an MLP. Into the output folder go the plots, the model as JSON, and the computation graph of one
prediction. The report is built in house_report.py; `predict` (predict.py) uses the saved model.
"""

import copy
import os
from dataclasses import dataclass
from pathlib import Path

from ..datasets.dataset import Dataset
from ..datasets.houses import WINDSOR_PATH, load_csv
from ..datasets.preprocessing import Standardizer, standardise, train_test_split
from ..datasets.synthetic import make_houses
from ..engine import no_gc
from ..files import OutputFolder, write_atomically
from ..losses import mse_loss
from ..saved_model import MAX_PARAMETERS, count_mlp_parameters
from ..train import Hyperparameters, check_graph_size, fit
from ..viz.graph import draw_graph
from ..viz.plots import format_amount, plot_feature_importance, plot_loss_curves, plot_predicted_vs_actual
from ..viz.render import RendererNotFoundError
from . import house_report
from .house_model import MODEL_FORMAT, MODEL_VERSION, HousePriceModel, describe_network, load_model

__all__ = [
    "HousePriceModel",
    "HousePriceRun",
    "DEFAULT_HYPERPARAMETERS",
    "DEFAULT_OUT",
    "OUTPUT_FILES",
    "run_house_prices",
    "load_data",
    "load_model",
    "MODEL_FORMAT",
    "MODEL_VERSION",
]

DEFAULT_OUT = "house_prices_output"
DATA_SETS = ("windsor", "synthetic", "synthetic-nonlinear")  # the built-in data, by name; anything else is a CSV
TEST_FRACTION = 0.2
SYNTHETIC_HOUSES = 500
MIN_ROWS = 10  # below this the 20% test split has one or two rows, and R² on it means nothing
MAX_FEATURES = 100  # least squares' closed form builds a table of (features)² sums, each over every row
# A row's share of a training step's graph, in bytes, measured on 2 cores (Windsor's 436 training rows through
# MLPs of 12 to 39,001 parameters; 200,000 rows of one feature): about 1,000, plus 180 a feature, 70 a parameter.
ROW_BYTES, FEATURE_BYTES, PARAMETER_BYTES = 1000, 180, 70
# The files a run may write (the graph is SVG when Graphviz can render it, else its DOT text).
OUTPUT_FILES = [
    "loss_curves.png", "predicted_vs_actual.png", "feature_importance.png", "model.json", "prediction_graph.svg",
    "prediction_graph.dot", "report.txt",
]  # fmt: skip

# Tuned on the Windsor data: full-batch Adam on standardised features lands on least squares' weights
# (within a few percent) in 100 steps; mini-batches (--batch-size 32) get the same R² but noisier weights.
DEFAULT_HYPERPARAMETERS = Hyperparameters(lr=0.05, epochs=100, batch_size=None, hidden=[], activation="tanh", seed=0)

WINDSOR_SOURCE = "Windsor, Ontario, 1987 house sales (Anglin and Gençay 1996, J. Applied Econometrics 11(6))"


def load_data(source: str = "windsor", target: str = "price", seed: int = 0) -> tuple[Dataset, str]:
    """The data named by `source` ("windsor", "synthetic", "synthetic-nonlinear" or a CSV path), and a description."""
    if source in DATA_SETS[1:]:
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
    With `load`, the saved model's target, split and hyperparameters are used (passing `target` or
    `hyperparameters` as well is an error), and its data unless `data` names other data: a built-in set by
    its name; a CSV only when `data` names it, since a path in a model file is never read.
    The output folder `out` is checked before anything else; every file goes in at the end, or none does.
    quiet=False prints training progress (see train.fit) and the report.
    """
    output = OutputFolder(out, OUTPUT_FILES)
    saved = load_model(load) if load is not None else None
    test_fraction = TEST_FRACTION
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
        data = data or _trained_on(load, saved)
        target = saved.target_name
        test_fraction = saved.data.get("test_fraction", TEST_FRACTION)
    hyperparameters = copy.deepcopy(hyperparameters or DEFAULT_HYPERPARAMETERS)  # the model keeps its own copy
    data = data or "windsor"
    target = target or "price"
    dataset, description = load_data(data, target, hyperparameters.seed)
    if len(dataset) < MIN_ROWS:
        raise ValueError(
            f"{len(dataset)} rows are too few to train and then test on a held-out 20%; give at least {MIN_ROWS}"
        )
    if len(dataset.feature_names) > MAX_FEATURES:
        raise ValueError(
            f"{description} has {len(dataset.feature_names)} feature columns; this job takes at most {MAX_FEATURES} "
            "(its least-squares baseline grows with the square of their number): keep the columns you need"
        )
    train, test = train_test_split(dataset, test_fraction, seed=hyperparameters.seed)
    _check_target_varies(dataset, train, test, description, hyperparameters.seed)
    if saved is not None:
        if saved.feature_names != dataset.feature_names:
            raise ValueError(
                f"the saved model reads features {saved.feature_names}, but the data has {dataset.feature_names}"
            )
        model = saved
    else:
        _check_no_constant_features(dataset, train, description, hyperparameters.seed)
        _check_sizes(len(dataset.feature_names), len(train), len(test), hyperparameters)
        model = _train(dataset, train, test, data, hyperparameters, quiet)
    metrics = house_report.measure(model, train, test)
    loaded = None if saved is None else _loaded_note(load, saved, data, dataset)
    with output.writing() as staging:
        names = _write_outputs(model, train, test, metrics, staging) + ["report.txt"]
        report = house_report.report(model, dataset, description, train, test, metrics, names, Path(out), loaded)
        write_atomically(staging / "report.txt", report + "\n")
    if not quiet:
        print(report)
    return HousePriceRun(model, train, test, metrics, report, [Path(out) / name for name in names])


def _source_record(source: str) -> str:
    if source in DATA_SETS:
        return source
    return str(Path(source).resolve())  # the same CSV has the same record, from any folder


def _trained_on(load: str | os.PathLike, saved: HousePriceModel) -> str:
    """The data a loaded model is scored on when none is given: its built-in set (a model file never makes us read
    a file: only the files a user names are read)."""
    source = saved.data.get("source", "windsor")
    if source in DATA_SETS:
        return source
    raise ValueError(
        f"{str(load)!r} was trained on the CSV file {source!r:.200}; name it with --data to score the model on it "
        "again (a path written in a model file is never read)"
    )


def _loaded_note(load: str | os.PathLike, saved: HousePriceModel, data: str, dataset: Dataset) -> str:
    """What a reloaded model's report can honestly say about its split: the same only on the same data."""
    unknown = [f"data.{key}" for key in ("source", "rows", "test_fraction") if key not in saved.data]
    if unknown:
        return (
            f"Model loaded from {load} (no training). Its file does not record {', '.join(unknown)} (what it was "
            f"trained on and how it was split), so whether its 'train' scores here are on the rows it learned "
            "from is unknown."
        )
    trained_on, rows = saved.data["source"], saved.data["rows"]
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


def _check_sizes(features: int, train_rows: int, test_rows: int, hyperparameters: Hyperparameters) -> None:
    """Refuse, before training, a network or a training step too big for memory (MAX_PARAMETERS, MAX_GRAPH_MB)."""
    rows = max(min(hyperparameters.batch_size or train_rows, train_rows), test_rows)  # a step, or the test loss
    for hidden in ([], hyperparameters.hidden):
        sizes = [features, *hidden, 1]
        network = f"an MLP {'-'.join(map(str, sizes))}"
        parameters = count_mlp_parameters({"nin": features, "nouts": sizes[1:]})
        if parameters > MAX_PARAMETERS:
            raise ValueError(
                f"{network} would have {parameters:,} parameters, over the limit of {MAX_PARAMETERS:,} (each a "
                "Value in memory, and its model file must stay readable); give smaller --hidden layers"
            )
        megabytes = rows * (ROW_BYTES + FEATURE_BYTES * features + PARAMETER_BYTES * parameters) / 2**20
        what = f"a training step of {rows:,} rows through {network} ({parameters:,} parameters)"
        check_graph_size(megabytes, what, "give a --batch-size (e.g. 32), smaller --hidden layers, or fewer rows")


def _train(
    dataset: Dataset, train: Dataset, test: Dataset, source: str, hyperparameters: Hyperparameters, quiet: bool
) -> HousePriceModel:
    """The linear neuron, and the MLP when there are hidden layers, trained on standardised features and prices."""
    features = Standardizer().fit(train.X)
    target = Standardizer().fit_target(train.y)
    train_std, test_std = standardise(train, features, target), standardise(test, features, target)
    networks, histories = {}, {}
    for name, hidden in (("linear", []), ("mlp", hyperparameters.hidden)):
        if name == "mlp" and not hidden:
            continue
        net = hyperparameters.make_model(len(dataset.feature_names), hidden=hidden)
        if not quiet:
            print(f"training the {describe_network(name, net)}")
        histories[name] = fit(
            net, mse_loss, hyperparameters.make_optimizer(net.parameters()), train_std, hyperparameters.epochs,
            hyperparameters.batch_size, test=test_std, seed=hyperparameters.seed, progress=not quiet,
        )  # fmt: skip
        networks[name] = net
    if not quiet:
        print()  # a blank line between the progress and the report
    return HousePriceModel(
        networks, list(dataset.feature_names), dataset.target_name, features, target, hyperparameters, histories,
        {"source": _source_record(source), "rows": len(dataset), "test_fraction": TEST_FRACTION},
    )  # fmt: skip


def _write_outputs(model: HousePriceModel, train: Dataset, test: Dataset, metrics: dict, out: Path) -> list[str]:
    """The plots, the model JSON and the graph of one prediction, written into `out`; their names."""
    files = []
    unit = house_report.unit_of(model.target_name)
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
    rows = house_report.weights_rows(model, train, metrics)
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
    return [path.name for path in files]


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
    house = ", ".join(f"{name} {value:g}" for name, value in zip(model.feature_names, test.X[0]))
    caption = (
        f"How the {model.display_name(main)} prices the first held-out house: predicted {model.target_name} "
        f"{format_amount(price.data, house_report.unit_of(model.target_name))}\n"
        f"The house: {house}\n"
        f"Each box: name | data | grad, where grad = d(predicted {model.target_name})/d(box), from backward().\n"
        "The scaling numbers (means, stds) are fixed, not learned: they show no grad."
    )
    graph = draw_graph(price, names=names, caption=caption)
    net.zero_grad()
    try:
        return graph.save(out / "prediction_graph.svg")
    except RendererNotFoundError:
        return graph.save(out / "prediction_graph.dot")
