"""Exercises for lesson 6: pick a configuration by its validation loss, and choose hyperparameters that fit a curve.

Both answers are plain data (the name of a configuration; a learning rate and hidden sizes), so the
judge recomputes everything itself: it trains the network with the chosen hyperparameters.
"""

import math
import random

from ..losses import mse_loss
from ..nn import MLP
from ..optim import Adam
from .checking import Exercise, Wrong, as_number, floats, require_callable
from .safety import short

__all__ = ["model_selection", "hyperparameters", "curve_data", "train_curve", "sweep_results", "CURVE_STEPS"]

# ---- model selection: choose by validation loss -------------------------------------------------


def sweep_results(seed: int) -> dict[str, dict[str, float]]:
    """A made-up sweep: config name -> {"train", "validation", "test"} losses, whose best configs all differ."""
    rng = random.Random(seed)
    configs = [f"lr={lr} hidden={hidden}" for lr in (0.001, 0.01, 0.1) for hidden in ([4], [16], [64])]
    while True:
        results = {}
        for config in configs:
            validation = round(rng.uniform(0.05, 0.6), 4)
            results[config] = {
                "train": round(validation * rng.uniform(0.2, 0.9), 4),  # training loss: lower, and misleading
                "validation": validation,
                "test": round(validation * rng.uniform(0.8, 1.25), 4),
            }
        picks = {min(results, key=lambda c: results[c][split]) for split in ("train", "validation", "test")}
        if len(picks) == 3 and len({results[c]["validation"] for c in configs}) == len(configs):
            return results


SWEEP_SEEDS = (1, 2, 3)


def collect_model_selection(answer: object) -> dict:
    """The configuration the student's pick(results) returns for each made-up sweep."""
    pick = require_callable(answer, "your function pick(results)")
    picks = []
    for seed in SWEEP_SEEDS:
        results = sweep_results(seed)
        choice = pick({config: dict(losses) for config, losses in results.items()})
        if choice not in results:
            raise Wrong(
                f"pick() returned {short(choice)}, which is not one of the configurations; return a key of "
                "`results`, e.g. 'lr=0.01 hidden=[16]'"
            )
        picks.append(choice)
    return {"picks": picks}


def judge_model_selection(evidence: dict) -> str:
    """Each pick is the configuration with the lowest validation loss."""
    picks = evidence["picks"]
    if type(picks) is not list or len(picks) != len(SWEEP_SEEDS) or any(type(p) is not str for p in picks):
        raise ValueError("expected one configuration name per sweep")
    for number, (seed, choice) in enumerate(zip(SWEEP_SEEDS, picks, strict=True), 1):
        results = sweep_results(seed)
        if choice not in results:
            raise ValueError("not a configuration")
        best = {split: min(results, key=lambda c: results[c][split]) for split in ("train", "validation", "test")}
        if choice == best["validation"]:
            continue
        where = f"in sweep {number} you picked {choice} (validation loss {results[choice]['validation']})"
        if choice == best["train"]:
            raise Wrong(
                f"{where}: the lowest TRAINING loss. Training loss rewards memorising the training points; pick "
                "the lowest validation loss, measured on data the model never trained on"
            )
        if choice == best["test"]:
            raise Wrong(
                f"{where}: the lowest TEST loss. The test set must stay untouched until the very end, or its "
                "number is no longer an honest estimate; choose by the validation loss"
            )
        if choice == max(results, key=lambda c: results[c]["validation"]):
            raise Wrong(f"{where}: the HIGHEST validation loss; a loss is better when it is lower (use min)")
        raise Wrong(f"{where}, but {best['validation']} has the lowest validation loss")
    return f"you picked the lowest validation loss in all {len(SWEEP_SEEDS)} sweeps, not the training or test loss."


def reference_pick(results: dict[str, dict[str, float]]) -> str:
    """The configuration with the lowest validation loss."""
    return min(results, key=lambda config: results[config]["validation"])


model_selection = Exercise(
    name="model_selection",
    title="Choose a configuration by its validation loss",
    lesson="06",
    collect=collect_model_selection,
    judge=judge_model_selection,
    hints=(
        "Three losses per configuration: which one tells you how the model does on houses it has not seen, "
        "without spending the test set?",
        "The validation loss. Find the configuration (a key of `results`) whose results[config]['validation'] "
        "is smallest.",
        "return min(results, key=lambda config: results[config]['validation'])",
    ),
    reference=reference_pick,
)

# ---- choosing hyperparameters: fit a curve -------------------------------------------------------

CURVE_STEPS = 200  # full-batch Adam steps: the budget every choice gets
CURVE_TARGET = 0.025  # validation MSE to beat (the noise alone gives about 0.01)
MAX_PARAMETERS = 100  # keeps one training run under a second


def curve_data(n: int, seed: int, grid: bool) -> tuple[list[list[float]], list[float]]:
    """n points of y = sin(2x) + noise (sd 0.1) for x in [-2, 2]: on a jittered grid, or drawn at random."""
    rng = random.Random(seed)
    if grid:
        xs = [-2.0 + 4.0 * (i + 0.5) / n + rng.uniform(-0.05, 0.05) for i in range(n)]
    else:
        xs = [rng.uniform(-2.0, 2.0) for _ in range(n)]
    return [[x] for x in xs], [math.sin(2.0 * x) + rng.gauss(0.0, 0.1) for x in xs]


def train_curve(lr: float, hidden: list[int], steps: int = CURVE_STEPS) -> tuple[list[float], float]:
    """Train MLP(1, hidden + [1], tanh, seed 0) with Adam(lr) on 20 points: the training losses, the validation loss."""
    train_x, train_y = curve_data(20, seed=1, grid=True)
    valid_x, valid_y = curve_data(40, seed=2, grid=False)
    model = MLP(1, [*hidden, 1], activation="tanh", seed=0)
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in train_x], train_y)
        if not math.isfinite(loss.data):
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    losses.append(mse_loss([model(x) for x in train_x], train_y).data)
    return losses, mse_loss([model(x) for x in valid_x], valid_y).data


def collect_hyperparameters(answer: object) -> dict:
    """The learning rate and hidden sizes the student chose: (lr, hidden) or what a function returns."""
    choice = answer() if callable(answer) else answer
    if not isinstance(choice, (tuple, list)) or len(choice) != 2:
        raise Wrong(f"return a pair (lr, hidden), e.g. (0.01, [4]); got {type(choice).__name__}: {short(choice)}")
    lr, hidden = choice
    if not isinstance(hidden, (list, tuple)) or any(type(n) is not int or n < 1 for n in hidden) or len(hidden) > 3:
        raise Wrong(
            f"hidden should be a list of at most 3 layer sizes (whole numbers >= 1), e.g. [8]; got {short(hidden)}"
        )
    return {"lr": as_number(lr, "the learning rate"), "hidden": list(hidden)}


def judge_hyperparameters(evidence: dict) -> str:
    """Train with the choice; the validation loss after 200 steps must be below 0.025. Otherwise say why not."""
    lr = floats(evidence["lr"])
    hidden = evidence["hidden"]
    if type(hidden) is not list or len(hidden) > 3 or any(type(n) is not int or n < 1 for n in hidden):
        raise ValueError("hidden must be a list of at most 3 whole numbers")
    sizes = [1, *hidden, 1]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    if count > MAX_PARAMETERS:
        raise Wrong(
            f"hidden={hidden} gives {count} parameters; keep it to {MAX_PARAMETERS} or fewer (e.g. [8] has 25): "
            "20 points cannot pin down more, and each check would take too long"
        )
    if not lr > 0.0:
        raise Wrong(f"the learning rate must be positive, got {lr!r}")
    losses, valid = _train_or_overflow(lr, hidden)
    if not losses:
        raise Wrong(f"with lr = {lr:g} the numbers overflow a float in the first steps: it diverges. Try a smaller lr")
    result = f"with lr = {lr:g} and hidden = {hidden} the training loss went from {losses[0]:.3g} to {losses[-1]:.3g}"
    if valid < CURVE_TARGET:
        return f"{result}, and the validation loss is {valid:.4f} (below {CURVE_TARGET})."
    result += f" and the validation loss is {valid:.3g} (the goal: below {CURVE_TARGET})"
    if not math.isfinite(valid) or not losses[-1] <= losses[0]:
        raise Wrong(f"{result}: the loss grew, it diverges. The learning rate is far too big")
    if not hidden:
        raise Wrong(
            f"{result}: no hidden layer means a straight line, which cannot follow a sine curve (it underfits, "
            "whatever the learning rate). Add a hidden layer"
        )
    smaller, bigger = (_train_or_overflow(lr * factor, hidden)[1] for factor in (0.1, 10.0))  # a tiny sweep
    if smaller < valid and smaller <= bigger:
        raise Wrong(f"{result}. With lr = {lr * 0.1:g} it would be {smaller:.3g}: your learning rate is too big")
    if bigger < valid:
        raise Wrong(f"{result}. With lr = {lr * 10:g} it would be {bigger:.3g}: your learning rate is too small")
    if losses[-1] < CURVE_TARGET / 2:
        raise Wrong(f"{result}: it fits the training points but not new ones (it overfits); try fewer hidden units")
    raise Wrong(f"{result}: neither a smaller nor a bigger learning rate helps; try other hidden sizes")


def _train_or_overflow(lr: float, hidden: list[int]) -> tuple[list[float], float]:
    """train_curve, with a run whose numbers overflow reported as an infinite loss."""
    try:
        losses, valid = train_curve(lr, hidden)
    except OverflowError:
        return [], math.inf
    if not math.isfinite(losses[min(2, len(losses) - 1)]):  # inf within two steps: the numbers overflowed at once
        return [], math.inf
    return losses, valid


def reference_hyperparameters() -> tuple[float, list[int]]:
    """One good choice: a hidden layer of 8 tanh units and Adam's learning rate 0.03."""
    return 0.03, [8]


hyperparameters = Exercise(
    name="hyperparameters",
    title="Choose a learning rate and hidden sizes that fit a curve",
    lesson="06",
    collect=collect_hyperparameters,
    judge=judge_hyperparameters,
    hints=(
        "Try a few choices with train_curve(lr, hidden) and look at the last training loss and the validation "
        "loss: start from lr in 0.001, 0.01, 0.1, 1.0 and hidden in [], [4], [8].",
        "A sine curve needs a hidden layer; then the learning rate decides whether 200 steps are enough: too small "
        "and the loss is still falling, too big and it jumps around.",
        "One hidden layer of 4 to 16 units with lr between 0.03 and 0.3 works, e.g. (0.03, [8]).",
    ),
    reference=reference_hyperparameters,
)
