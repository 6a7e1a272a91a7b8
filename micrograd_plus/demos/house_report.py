"""The house-price job's scores and its printed report: baselines, hyperparameters, weights in real units.

`measure` scores the baselines (predict the training mean; least squares in closed form) and each network,
in the target's units; `report` writes the five parts of the text the job prints and saves as report.txt.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from ..datasets.dataset import Dataset
from ..metrics import least_squares, r2_score, rmse
from ..train import History
from ..viz.plots import format_amount
from . import format_table
from .house_model import HousePriceModel

__all__ = ["measure", "report", "weights_rows", "unit_of", "quality_verdicts", "mlp_verdict", "QUALITY_MARGIN"]
__all__ += ["SAME_R2", "FEATURE_UNITS"]

QUALITY_MARGIN = 0.02  # the main job's quality target: test R² no worse than least squares' minus this
SAME_R2 = 0.01  # test R²s this close count as the same in the MLP's verdict

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


def measure(model: HousePriceModel, train: Dataset, test: Dataset) -> dict[str, dict[str, float]]:
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
            metrics[name]["target_epoch"] = _epoch_reaching(history, test, model, quality_target(metrics))
    return metrics


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


def _epoch_reaching(history: History, test: Dataset, model: HousePriceModel, target_r2: float) -> int | None:
    """The first epoch whose test R² (to the 3 decimals the report prints) reached `target_r2`, or None.

    The history's test loss is the mean squared error on standardised prices; times the price scale squared
    it is the MSE in dollars, and R² = 1 - MSE / (the test prices' variance).
    """
    mean = sum(test.y) / len(test.y)
    variance = sum((y - mean) ** 2 for y in test.y) / len(test.y)
    scale = model.target.scale[0]
    for epoch, loss in enumerate(history.test_loss, start=1):
        if round(1.0 - loss * scale * scale / variance, 3) >= target_r2:
            return epoch
    return None


def unit_of(target_name: str) -> str:
    """How amounts of the target are written: "$" for prices, else the target's own name."""
    return "$" if target_name == "price" else target_name


def _is_yes_no(dataset: Dataset, index: int) -> bool:
    return all(row[index] in (0.0, 1.0) for row in dataset.X)


def weights_rows(model: HousePriceModel, train: Dataset, metrics: dict) -> list[dict]:
    """One row per feature of the linear neuron, most important first (by the effect of one std)."""
    weights, _ = model.linear_weights()
    unit = unit_of(model.target_name)
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


def report(
    model: HousePriceModel,
    dataset: Dataset,
    description: str,
    train: Dataset,
    test: Dataset,
    metrics: dict,
    files: list[str],
    out: Path,
    loaded: str | None,
) -> str:
    """The printed report: the data, hyperparameters vs parameters, the scores, the weights in real units, and
    the names of the `files` written into `out`."""
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
    lines += ["", f"Written to {out}{os.sep}:", "  " + ", ".join(files)]
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
    unit = unit_of(model.target_name)
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
    lines = format_table(table[0], table[1:], "<>>>>>", rule=True, indent="  ").splitlines()
    hp = model.hyperparameters
    elapsed = {}  # seconds into training at the end of each epoch, by network: only for a model trained now
    if trained:
        seconds = sum(history.seconds for history in model.histories.values())
        batching = "each step on all training rows" if hp.batch_size is None else f"mini-batches of {hp.batch_size}"
        lines.append(f"  trained in {seconds:.1f} s ({hp.epochs} epochs, {batching})")
        elapsed = {name: history.elapsed for name, history in model.histories.items()}
    labels = {name: model.display_name(name) for name in model.networks}
    return lines + quality_verdicts(labels, metrics, elapsed) + mlp_verdict(metrics) + [""]


def quality_target(metrics: dict) -> float:
    """The test R² a network must reach: least squares' minus QUALITY_MARGIN, to the 3 decimals the report prints."""
    return round(metrics["ols"]["test_r2"] - QUALITY_MARGIN, 3)


def quality_verdicts(labels: dict[str, str], metrics: dict, elapsed: dict[str, list[float]]) -> list[str]:
    """For each network (name -> label), whether its final test R² meets the quality target, and when it first
    reached it in training (when `elapsed` has the network's seconds per epoch): each verdict read off the scores."""
    ols, target = round(metrics["ols"]["test_r2"], 3), quality_target(metrics)
    lines = [f"  quality target: test R² >= {target:.3f} (least squares' {ols:.3f} - {QUALITY_MARGIN})"]
    for name, label in labels.items():
        r2, epoch = round(metrics[name]["test_r2"], 3), metrics[name].get("target_epoch")
        gap = round(r2 - ols, 3) + 0.0  # + 0.0: no "-0.000"
        line = f"    {label}: test R² {r2:.3f} ({gap:+.3f} vs least squares): "
        if r2 >= target:
            line += "met"
            if name in elapsed and epoch is not None:
                line += f", first at epoch {epoch} ({elapsed[name][epoch - 1]:.2f} s into training)"
        else:
            line += "missed"
            if name in elapsed and epoch is not None:
                line += f"; reached at epoch {epoch} ({elapsed[name][epoch - 1]:.2f} s), then fell below"
            elif name in elapsed:
                line += f"; not reached in any of the {len(elapsed[name])} epochs"
        lines.append(line)
    return lines


def _weights_section(model: HousePriceModel, train: Dataset, metrics: dict) -> list[str]:
    unit = unit_of(model.target_name)
    rows = weights_rows(model, train, metrics)
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
        *format_table(
            table[0], table[1:], "><<>" + (">" if has_truth else "") + "<", rule=True, indent="  "
        ).splitlines(),
        f"  bias: {format_amount(bias, unit)} (least squares {format_amount(metrics['ols']['bias'], unit)}{truth}): "
        f"the {model.target_name} of a house with every feature at 0",
    ]


def mlp_verdict(metrics: dict) -> list[str]:
    """One sentence on what the hidden layer bought, read off the scores as printed (3 decimals): test R²s within
    SAME_R2 count as the same."""
    if "mlp" not in metrics:
        return []
    mlp, linear = metrics["mlp"], metrics["linear"]
    test = f"R² {mlp['test_r2']:.3f} vs {linear['test_r2']:.3f}"
    gap = round(round(mlp["test_r2"], 3) - round(linear["test_r2"], 3), 3)  # of the numbers printed
    if gap > SAME_R2:
        return [
            f"  The MLP beats the linear neuron on the test rows ({test}):",
            "  its hidden layer represents effects that no weighted sum of the features can.",
        ]
    if gap >= -SAME_R2:
        return [
            f"  The MLP scores about the same as the linear neuron on the test rows ({test}, within {SAME_R2}):",
            "  its hidden layer finds no structure here that a weighted sum of the features misses.",
        ]
    train = f"R² {mlp['train_r2']:.3f} vs {linear['train_r2']:.3f}"
    if round(mlp["train_r2"], 3) > round(linear["train_r2"], 3):
        return [
            f"  The MLP fits the training rows better than the linear neuron ({train})",
            f"  but the test rows worse ({test}): with {mlp['parameters']} parameters it has learned the noise of "
            "the training rows",
            "  (overfitting: see loss_curves.png). Try fewer --epochs, or --weight-decay 0.05.",
        ]
    return [
        f"  The MLP scores worse than the linear neuron on the test rows ({test}) and the training rows",
        f"  ({train}): it does not yet fit even what a weighted sum of the features fits (undertrained).",
        "  Try more --epochs or a larger --lr.",
    ]
