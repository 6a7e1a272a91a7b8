"""The fine-tuning demo: a model pre-trained on one housing market, adapted to another from 20 houses.

City A has many sales; city B has few, and pays different prices per feature (more per square foot,
less per bedroom, ...), while houses work the same way in both (a lot's value levels off, a preferred
neighbourhood raises everything). A network pre-trained on city A has learned that shared structure
in its hidden layer. On city B's test houses we compare four ways to use 20 city B sales:

- no fine-tuning: the city A model as it is (it predicts city A prices);
- training from scratch on the 20 houses: every weight learned from 20 examples;
- fine-tuning the head only: the hidden layer frozen, a fresh output layer trained;
- fine-tuning all layers, starting from city A's weights, with a smaller learning rate.

The pre-trained model is saved as JSON (its state_dict and its standardisers) and loaded back for
each fine-tuning run, as you would when someone else pre-trained it.
"""

import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets.houses import DEFAULT_WEIGHTS, make_houses
from ..datasets.preprocessing import Standardizer, standardise, train_test_split
from ..files import read_json, save_json
from ..losses import mse_loss
from ..nn import MLP, Layer, check_count
from ..optim import Adam
from ..train import Hyperparameters, fit, predict, r2_score, rmse
from ..viz.plots import plot_loss_curves
from . import format_table, guarded, output_folder, whole_number

__all__ = [
    "CITY_B_WEIGHTS",
    "CITY_B_BIAS",
    "replace_head",
    "save_pretrained",
    "load_pretrained",
    "FineTuningRow",
    "FineTuningResult",
    "run_fine_tuning_demo",
    "add_parser",
]

# City B's prices: dollars per unit of each feature (city A uses datasets.houses.DEFAULT_WEIGHTS).
CITY_B_WEIGHTS = {
    "lotsize": 7.0,  # land is dearer: $7 per square foot instead of $4
    "bedrooms": 1000.0,  # bedrooms count for less
    "bathrms": 22000.0,
    "stories": 3000.0,
    "airco": 6000.0,  # a milder climate: air conditioning is worth half
    "prefarea": 20000.0,
    "garagepl": 8000.0,  # parking is scarce
}
CITY_B_BIAS = 15000.0

PRETRAINED_FORMAT = "micrograd_plus pretrained MLP v1"
PRETRAINED_FILE = "a micrograd_plus pre-trained model (a JSON file written by save_pretrained())"


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

    The file holds the architecture, the hyperparameters, both standardisers and the state_dict:
    plain numbers and names, never pickle, so it can be read (and checked) by anyone.
    """
    path = Path(path)
    bundle = {
        "format": PRETRAINED_FORMAT,
        "architecture": {
            "nin": model.nin,
            "nouts": [layer.nout for layer in model.layers],
            "activation": model.activation,
        },
        "hyperparameters": hyperparameters.to_dict(),
        "features": features.to_dict(),
        "target": target.to_dict(),
        "state_dict": model.state_dict(),
    }
    return save_json(path, bundle)


def load_pretrained(path: str | Path) -> tuple[MLP, Hyperparameters, Standardizer, Standardizer]:
    """Rebuild what save_pretrained() wrote: (model, hyperparameters, feature standardiser, target standardiser).

    A missing file raises FileNotFoundError; anything else wrong with it (not JSON, another format, an entry
    missing or of the wrong kind, a NaN or infinite number) a ValueError naming the file and what is wrong.
    """
    bundle = read_json(path, PRETRAINED_FORMAT, PRETRAINED_FILE)
    where = repr(str(path))
    bad_number = _first_non_finite(bundle)
    if bad_number is not None:
        entry, number = bad_number
        raise ValueError(
            f"{where} is a damaged pre-trained model: its entry {entry} is {number!r}; "
            "a saved model holds finite numbers only"
        )
    try:
        architecture = bundle["architecture"]
        if not isinstance(architecture, dict):
            raise ValueError(f"'architecture' must be an object with nin, nouts and activation, not {architecture!r}")
        model = MLP(architecture["nin"], architecture["nouts"], activation=architecture["activation"])
        model.load_state_dict(bundle["state_dict"])
        hyperparameters = Hyperparameters.from_dict(bundle["hyperparameters"])
        features = Standardizer.from_dict(bundle["features"])
        target = Standardizer.from_dict(bundle["target"])
        if len(features.mean) != model.nin or len(target.mean) != model.layers[-1].nout:
            raise ValueError(
                f"the standardisers are for {len(features.mean)} features and {len(target.mean)} target(s), "
                f"but the model takes {model.nin} inputs and gives {model.layers[-1].nout} output(s)"
            )
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        detail = f"it has no entry {error}" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{where} is a damaged pre-trained model: {detail}") from None
    return model, hyperparameters, features, target


def _first_non_finite(data: object, entry: str = "") -> tuple[str, float] | None:
    """The first NaN or infinity in nested JSON data, as (where, e.g. "['features']['scale'][2]", the number)."""
    if isinstance(data, float) and not math.isfinite(data):
        return entry, data
    if isinstance(data, dict):
        items = ((f"{entry}[{key!r}]", value) for key, value in data.items())
    elif isinstance(data, list):
        items = ((f"{entry}[{index}]", value) for index, value in enumerate(data))
    else:
        return None
    for inner_entry, value in items:
        found = _first_non_finite(value, inner_entry)
        if found is not None:
            return found
    return None


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
                f"${row.rmse:,.0f}",
                f"{row.r2:.3f}",
            ]
            for row in self.rows
        ]
        return format_table(["approach", "trainable", "lr", "test RMSE", "R²"], cells, "<>>>>", [34, 16, 8, 12, 8])


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
    learning curves (fine_tuning.png) are saved there.
    """
    for name, number in (
        ("n_test", n_test),
        ("hidden", hidden),
        ("pretrain_epochs", pretrain_epochs),
        ("epochs", epochs),
    ):
        check_count(name, number)
    if check_count("n_pretrain", n_pretrain) < 10:
        raise ValueError(f"n_pretrain must be a whole number >= 10 (a fifth is kept to test on), got {n_pretrain}")
    if check_count("n_small", n_small) < 2:
        raise ValueError(f"n_small must be a whole number >= 2 (city B houses to learn from), got {n_small}")
    if out is not None:
        output_folder(out)  # a wrong folder fails now, not after the pre-training
    say = (lambda *args: None) if quiet else print
    start = time.perf_counter()

    # 1. Pre-train on city A (nonlinear prices: the structure worth transferring).
    city_a = make_houses(n_pretrain, seed=seed, nonlinear=True)
    a_train, a_test = train_test_split(city_a, test_fraction=0.2, seed=seed)
    features = Standardizer().fit(a_train.X)
    target = Standardizer().fit_target(a_train.y)
    pretrain = Hyperparameters(lr=lr, epochs=pretrain_epochs, batch_size=32, hidden=[hidden], seed=seed)
    say(f"pre-training on city A: {len(a_train)} houses, {pretrain}")
    model = MLP(len(features.mean), [hidden, 1], activation=pretrain.activation, seed=seed)
    fit(
        model,
        mse_loss,
        Adam(model.parameters(), lr=pretrain.lr),
        standardise(a_train, features, target),
        epochs=pretrain.epochs,
        batch_size=pretrain.batch_size,
        seed=seed,
        progress=not quiet,
    )
    pretrain_rmse = rmse(a_test.y, target.inverse_transform_target(predict(model, features.transform(a_test.X))))
    say(f"city A test RMSE after pre-training: ${pretrain_rmse:,.0f}")

    # 2. Save it as JSON (to a temporary folder when out is None); every approach below loads this file.
    with tempfile.TemporaryDirectory() as temporary:
        saved = Path(temporary if out is None else out) / "pretrained_city_a.json"
        save_pretrained(saved, model, pretrain, features, target)
        loaded = [load_pretrained(saved) for _ in range(3)]  # one fresh copy per approach
    if out is not None:
        say(f"saved the pre-trained model to {saved}")

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

    rows, curves = [], {}

    untouched = loaded[0][0]
    untouched.freeze()
    rows.append(
        FineTuningRow(
            "no fine-tuning (city A model)",
            untouched.num_parameters(trainable_only=True),
            untouched.num_parameters(),
            None,
            *score(untouched),
        )
    )

    scratch = MLP(len(features.mean), [hidden, 1], activation=pretrain.activation, seed=seed + 1)
    head_only = loaded[1][0]
    head_only.freeze()  # the hidden layer keeps what city A taught it...
    replace_head(head_only, seed=seed + 1)  # ...and a new, trainable head learns city B's prices
    all_layers = loaded[2][0]  # every weight trainable, starting from city A's
    runs = [
        ("from scratch on the small set", scratch, lr),
        ("fine-tune the head only", head_only, head_lr),
        ("fine-tune all layers, smaller lr", all_layers, fine_tune_lr),
    ]
    for approach, trained, rate in runs:
        trainable = trained.num_parameters(trainable_only=True)
        say(f"  {approach}: {trainable} of {trained.num_parameters()} parameters trainable, lr {rate:g}")
        history = fit(
            trained,
            mse_loss,
            Adam([p for p in trained.parameters() if p.requires_grad], lr=rate),
            b_small_std,
            epochs=epochs,
            batch_size=8,
            test=b_test_std,
            seed=seed,
            progress=False,
        )
        curves[approach] = _dollar_rmse_curve(history.test_loss, target)
        rows.append(FineTuningRow(approach, trainable, trained.num_parameters(), rate, *score(trained)))
    curves = {rows[0].approach: [rows[0].rmse] * epochs, **curves}  # a flat line: it never trains on city B

    result = FineTuningResult(rows, curves, pretrain_rmse, n_small)
    say("")
    say(f"city B test set ({n_test} houses):")
    say(result.table())
    if out is not None:
        figure = Path(out) / "fine_tuning.png"
        plot_loss_curves(
            curves,
            title=f"City B test error while training on {n_small} city B houses",
            ylabel="test RMSE ($)",
            logy=True,
            path=figure,
        )
        result.files = [saved, figure]
        say(f"saved {figure}")
    say(f"({time.perf_counter() - start:.1f} s)")
    return result


def _run(args) -> None:
    output_folder(args.out, "--out")
    run_fine_tuning_demo(
        n_small=args.small,
        pretrain_epochs=args.pretrain_epochs,
        epochs=args.epochs,
        seed=args.seed,
        out=args.out,
        quiet=args.quiet,
    )


def add_parser(subparsers) -> None:
    """Register the `fine-tune` subcommand."""
    parser = subparsers.add_parser(
        "fine-tune", help="pre-train on city A's house prices, fine-tune on 20 houses from city B"
    )
    parser.add_argument("--small", type=whole_number(2), default=20, help="city B houses to learn from (default 20)")
    parser.add_argument("--pretrain-epochs", type=whole_number(1), default=30, help="epochs on city A (default 30)")
    parser.add_argument("--epochs", type=whole_number(1), default=100, help="epochs on city B (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the data and the initial weights (default 0)")
    parser.add_argument("--out", default="fine_tuning_output", help="folder for the model and figure")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.set_defaults(run=guarded(_run), command="fine-tune")
