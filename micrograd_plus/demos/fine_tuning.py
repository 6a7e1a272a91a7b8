"""The fine-tuning demo: a model pre-trained on one housing market, adapted to another from 20 houses.

City A has many sales; city B has few, and pays different prices per feature (more per square foot,
less per bedroom, ...), while houses work the same way in both (a lot's value levels off, a preferred
neighbourhood raises everything). A network pre-trained on city A has learned that shared structure
in its hidden layer. On city B's test houses we compare four ways to use 20 city B sales:

- no fine-tuning: the city A model as it is (it predicts city A prices);
- training from scratch on the 20 houses: every weight learned from 20 examples;
- fine-tuning the head only: the hidden layer frozen, a fresh output layer trained;
- fine-tuning all layers, starting from city A's weights, with a smaller learning rate.

The pre-trained model is saved in the one model format (saved_model.py: its state_dict, standardisers
and hyperparameters) and loaded back for each fine-tuning run, as you would when someone else pre-trained it.
"""

import dataclasses
import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets.preprocessing import Standardizer, standardise, train_test_split
from ..datasets.synthetic import DEFAULT_WEIGHTS, make_houses
from ..files import OutputFolder
from ..losses import mse_loss
from ..metrics import r2_score, rmse
from ..nn import MLP, Layer, check_count
from ..saved_model import DamagedModelError, SavedModel, load_model, save_model
from ..train import Hyperparameters, fit, predict
from ..viz.plots import format_amount, plot_loss_curves
from . import format_table

__all__ = [
    "CITY_B_WEIGHTS",
    "CITY_B_BIAS",
    "replace_head",
    "save_pretrained",
    "load_pretrained",
    "FineTuningRow",
    "FineTuningResult",
    "run_fine_tuning_demo",
    "OUTPUT_FILES",
]

# City B's prices: dollars per unit of each feature (city A uses datasets.houses.DEFAULT_WEIGHTS). No entry for
# prefarea: in the non-linear pricing of both cities a preferred neighbourhood multiplies the whole price by 1.5.
CITY_B_WEIGHTS = {
    "lotsize": 7.0,  # land is dearer: $7 per square foot instead of $4
    "bedrooms": 1000.0,  # bedrooms count for less
    "bathrms": 22000.0,
    "stories": 3000.0,
    "airco": 6000.0,  # a milder climate: air conditioning is worth half
    "garagepl": 8000.0,  # parking is scarce
}
CITY_B_BIAS = 15000.0

OUTPUT_FILES = ["pretrained_city_a.json", "fine_tuning.png"]
MAX_HOUSES = 100_000  # per city: 100,000 houses with their standardised copies take about 110 MB


def replace_head(model: MLP, seed: int | random.Random = 0) -> Layer:
    """Give `model` a freshly initialised output layer (trainable, same sizes); return the new layer.

    The old head mapped hidden features to city A's prices; a new one starts from PyTorch's default
    uniform initialisation, so fine-tuning learns city B's prices without city A's as a starting point.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"replace_head() takes an MLP, got {type(model).__name__}")
    old = model.layers[-1]
    model.layers[-1] = Layer(old.nin, old.nout, activation="linear", seed=seed)
    return model.layers[-1]


def save_pretrained(
    path: str | Path,
    model: MLP,
    hyperparameters: Hyperparameters,
    features: Standardizer,
    target: Standardizer,
) -> Path:
    """Save a trained MLP with everything needed to use it again, as JSON, atomically (temp file + rename).

    The file (saved_model.py's format) holds the architecture, the hyperparameters, both standardisers and
    the state_dict: plain numbers and names, never pickle, so it can be read (and checked) by anyone.
    """
    return save_model(
        path, SavedModel({"model": model}, features=features, target=target, hyperparameters=hyperparameters)
    )


def load_pretrained(path: str | Path) -> tuple[MLP, Hyperparameters, Standardizer, Standardizer]:
    """Rebuild what save_pretrained() wrote: (model, hyperparameters, feature standardiser, target standardiser).

    A missing file raises FileNotFoundError; anything else wrong with it (not JSON, another format, a field
    missing or of the wrong kind, a number that is not finite) a ValueError naming the file and the field.
    """
    saved = load_model(path)
    try:
        if list(saved.networks) != ["model"]:
            raise ValueError(f"it holds the networks {list(saved.networks)}, not one network named 'model'")
        model = saved.networks["model"]
        if saved.features is None or saved.target is None or saved.hyperparameters is None:
            raise ValueError("it needs feature_scaling, target_scaling and hyperparameters")
        if len(saved.features.mean) != model.nin or len(saved.target.mean) != model.layers[-1].nout:
            raise ValueError(
                f"the standardisers are for {len(saved.features.mean)} features and {len(saved.target.mean)} "
                f"target(s), but the model takes {model.nin} inputs and gives {model.layers[-1].nout} output(s)"
            )
        hyperparameters = Hyperparameters.from_dict(saved.hyperparameters)
    except (TypeError, ValueError) as error:
        raise DamagedModelError(f"{str(path)!r} is not a usable pre-trained model: {error}") from None
    return model, hyperparameters, saved.features, saved.target


@dataclass
class FineTuningRow:
    """One approach's result on city B's test houses."""

    approach: str
    trainable: int  # parameters the optimizer may change
    total: int  # all parameters of the model
    lr: float | None  # None: not trained on city B
    rmse: float  # dollars
    r2: float


@dataclass
class FineTuningResult:
    """The comparison table, the learning curves (city B test RMSE in $ per epoch), and where files went."""

    rows: list[FineTuningRow]
    curves: dict[str, list[float]]
    pretrain_rmse: float  # the pre-trained model on city A's own test houses
    n_small: int
    files: list[Path] = field(default_factory=list)

    def row(self, approach: str) -> FineTuningRow:
        """The row whose approach starts with `approach` (e.g. "head")."""
        for row in self.rows:
            if row.approach.startswith(approach):
                return row
        raise KeyError(f"no approach {approach!r}; the approaches are {[row.approach for row in self.rows]}")

    def table(self) -> str:
        """The comparison as aligned text, one approach per line."""
        cells = [
            [
                row.approach,
                f"{row.trainable}/{row.total}",
                "-" if row.lr is None else f"{row.lr:g}",
                format_amount(row.rmse),
                f"{row.r2:.3f}",
            ]
            for row in self.rows
        ]
        return format_table(["approach", "trainable", "lr", "test RMSE", "R²"], cells, "<>>>>", [34, 14, 6, 10, 6])


def _dollar_rmse_curve(test_losses: list[float], target: Standardizer) -> list[float]:
    """Test MSE on standardised prices, per epoch, as RMSE in dollars: sqrt(mse) * the price scale."""
    return [math.sqrt(loss) * target.scale[0] for loss in test_losses]


def run_fine_tuning_demo(
    n_pretrain: int = 1000,
    n_small: int = 20,
    n_test: int = 200,
    hidden: int = 16,
    pretrain_epochs: int = 30,
    epochs: int = 100,
    lr: float = 0.01,
    head_lr: float = 0.03,
    fine_tune_lr: float = 0.003,
    seed: int = 0,
    out: str | Path | None = "fine_tuning_output",
    quiet: bool = False,
) -> FineTuningResult:
    """Pre-train on city A, then compare four ways to use `n_small` city B houses; print and plot the results.

    `lr` is for pre-training and for training from scratch; `head_lr` for the head alone (a linear fit on
    frozen features tolerates a larger step); `fine_tune_lr`, smaller, for all layers, so that 20 houses
    nudge city A's weights rather than overwrite them. Every step is seeded, so the same arguments always
    print the same table. With `out` a folder, the pre-trained model (pretrained_city_a.json) and the
    learning curves (fine_tuning.png) are saved there: checked before any work, written at the end.
    """
    for name, number in (("n_test", n_test), ("hidden", hidden), ("pretrain_epochs", pretrain_epochs)):
        check_count(name, number)
    if check_count("n_pretrain", n_pretrain) < 10:
        raise ValueError(f"n_pretrain must be a whole number >= 10 (a fifth is kept to test on), got {n_pretrain}")
    if check_count("n_small", n_small) < 2:
        raise ValueError(f"n_small must be a whole number >= 2 (city B houses to learn from), got {n_small}")
    for city, houses, given in (("A", n_pretrain, "n_pretrain"), ("B", n_small + n_test, "n_small or n_test")):
        if houses > MAX_HOUSES:
            raise ValueError(
                f"city {city} would have {houses:,} houses, over the limit of {MAX_HOUSES:,} (each house is a row of "
                f"numbers in memory, and every epoch trains on all of them); give a smaller {given}"
            )
    pretrain = Hyperparameters(lr=lr, epochs=pretrain_epochs, batch_size=32, hidden=[hidden], seed=seed)
    tuning = Hyperparameters(lr=lr, epochs=epochs, batch_size=8, hidden=[hidden], seed=seed)
    rates = {"scratch": tuning, "head": dataclasses.replace(tuning, lr=head_lr)}
    rates["all"] = dataclasses.replace(tuning, lr=fine_tune_lr)  # each checks its lr now, not after pre-training
    output = None if out is None else OutputFolder(out, OUTPUT_FILES)
    say = (lambda *args: None) if quiet else print
    start = time.perf_counter()

    # 1. Pre-train on city A (nonlinear prices: the structure worth transferring).
    city_a = make_houses(n_pretrain, seed=seed, nonlinear=True)
    a_train, a_test = train_test_split(city_a, test_fraction=0.2, seed=seed)
    features = Standardizer().fit(a_train.X)
    target = Standardizer().fit_target(a_train.y)
    say(f"pre-training on city A: {len(a_train)} houses, {pretrain}")
    model = pretrain.make_model(len(features.mean))
    fit(
        model, mse_loss, pretrain.make_optimizer(model.parameters()), standardise(a_train, features, target),
        epochs=pretrain.epochs, batch_size=pretrain.batch_size, seed=seed, progress=not quiet,
    )  # fmt: skip
    pretrain_rmse = rmse(a_test.y, target.inverse_transform_target(predict(model, features.transform(a_test.X))))
    say(f"city A test RMSE after pre-training: {format_amount(pretrain_rmse)}")

    # 2. Save it as JSON; every approach below loads this file (the output folder gets a copy at the end).
    with tempfile.TemporaryDirectory() as temporary:
        saved = Path(temporary) / "pretrained_city_a.json"
        save_pretrained(saved, model, pretrain, features, target)
        pretrained_json = saved.read_bytes()
        loaded = [load_pretrained(saved) for _ in range(3)]  # one fresh copy per approach

    # 3. City B: a few houses to learn from, and test houses to judge on.
    city_b = make_houses(n_small + n_test, seed=seed + 1, weights=CITY_B_WEIGHTS, bias=CITY_B_BIAS, nonlinear=True)
    b_small = city_b.subset(range(n_small))
    b_test = city_b.subset(range(n_small, n_small + n_test))
    _, _, features, target = loaded[0]  # the pre-trained model's own standardisers, for every approach
    b_small_std, b_test_std = standardise(b_small, features, target), standardise(b_test, features, target)
    changed = [f"{name} ${DEFAULT_WEIGHTS[name]:g} -> ${CITY_B_WEIGHTS[name]:g}" for name in CITY_B_WEIGHTS]
    say(f"city B prices per unit: {', '.join(changed)}")
    say(f"fine-tuning on {n_small} city B houses, testing on {n_test}; {epochs} epochs, batch size 8")

    def score(trained: MLP) -> tuple[float, float]:
        predicted = target.inverse_transform_target(predict(trained, b_test_std.X))
        return rmse(b_test.y, predicted), r2_score(b_test.y, predicted)

    untouched = loaded[0][0].freeze()
    trainable, total = untouched.num_parameters(trainable_only=True), untouched.num_parameters()
    rows = [FineTuningRow("no fine-tuning (city A model)", trainable, total, None, *score(untouched))]
    curves = {}
    scratch = dataclasses.replace(pretrain, seed=seed + 1).make_model(len(features.mean))
    head_only = loaded[1][0].freeze()  # the hidden layer keeps what city A taught it...
    replace_head(head_only, seed=seed + 1)  # ...and a new, trainable head learns city B's prices
    all_layers = loaded[2][0]  # every weight trainable, starting from city A's
    runs = [
        ("from scratch on the small set", scratch, rates["scratch"]),
        ("fine-tune the head only", head_only, rates["head"]),
        ("fine-tune all layers, smaller lr", all_layers, rates["all"]),
    ]
    for approach, trained, settings in runs:
        trainable = trained.num_parameters(trainable_only=True)
        say(f"  {approach}: {trainable} of {trained.num_parameters()} parameters trainable, lr {settings.lr:g}")
        history = fit(
            trained, mse_loss, settings.make_optimizer([p for p in trained.parameters() if p.requires_grad]),
            b_small_std, epochs=epochs, batch_size=settings.batch_size, test=b_test_std, seed=seed, progress=False,
        )  # fmt: skip
        curves[approach] = _dollar_rmse_curve(history.test_loss, target)
        rows.append(FineTuningRow(approach, trainable, trained.num_parameters(), settings.lr, *score(trained)))
    curves = {rows[0].approach: [rows[0].rmse] * epochs, **curves}  # a flat line: it never trains on city B

    result = FineTuningResult(rows, curves, pretrain_rmse, n_small)
    say("")
    say(f"city B test set ({n_test} houses):")
    say(result.table())
    if output is not None:
        with output.writing() as staging:
            (staging / OUTPUT_FILES[0]).write_bytes(pretrained_json)
            plot_loss_curves(
                curves, title=f"City B test error while training on {n_small} city B houses", ylabel="test RMSE ($)",
                logy=True, path=staging / OUTPUT_FILES[1],
            )  # fmt: skip
        result.files = [Path(out) / name for name in OUTPUT_FILES]
        say(f"saved the pre-trained model to {result.files[0]} and the learning curves to {result.files[1]}")
    say(f"({time.perf_counter() - start:.1f} s)")
    return result
