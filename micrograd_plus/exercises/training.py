"""Exercise for lesson 4: write the training loop (forward, loss, zero_grad, backward, step).

The student's loop trains a seeded model; its losses and final parameters are compared with the
reference loop's, and when they differ the judge replays the classic mistakes to name the one made.
"""

import random
from collections.abc import Callable

from ..engine import Value
from ..losses import mse_loss
from ..nn import MLP
from ..optim import SGD
from .checking import Exercise, Wrong, as_number, floats, require_callable
from .safety import short

__all__ = [
    "training_loop",
    "toy_regression",
    "toy_model",
    "collect_training",
    "judge_training",
    "read_training",
    "same_floats",
    "train_without_zero_grad",
    "train_with_misplaced_zero_grad",
    "TRAIN_STEPS",
    "TRAIN_LR",
]

TRAIN_STEPS = 25
TRAIN_LR = 0.1


def toy_regression(n: int = 8, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """n points x in [-1, 1]**2 with targets y = 0.5 x0 - x1 + 0.2: a small set a loop can fit in a few steps."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n)]
    ys = [0.5 * x0 - x1 + 0.2 for x0, x1 in xs]
    return xs, ys


def toy_model(seed: int = 0) -> MLP:
    """The model the training-loop exercises train: MLP(2, [4, 1]) with tanh, the same weights for a given seed."""
    return MLP(2, [4, 1], activation="tanh", seed=seed)


def reference_train(model: MLP, xs: list[list[float]], ys: list[float], steps: int, lr: float) -> list[float]:
    """Full-batch gradient descent on the mean squared error; returns the loss of each step."""
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)  # forward: predictions, then one number for how wrong
        optimizer.zero_grad()  # gradients accumulate, so clear last step's
        loss.backward()  # backward: d loss / d parameter, for every parameter
        optimizer.step()  # move each parameter a little downhill
        losses.append(loss.data)  # a float: keeping the Value would keep its whole graph alive
    return losses


def train_without_zero_grad(model: MLP, xs: list[list[float]], ys: list[float], steps: int, lr: float) -> list[float]:
    """A training loop with a bug: it never calls zero_grad(), so gradients pile up from step to step."""
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


def train_with_misplaced_zero_grad(
    model: MLP, xs: list[list[float]], ys: list[float], steps: int, lr: float
) -> list[float]:
    """A training loop with a bug: it clears the gradients, but at the wrong moment."""
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        losses.append(loss.data)
    return losses


def _train_uphill(model: MLP, xs: list[list[float]], ys: list[float], steps: int, lr: float) -> list[float]:
    """The loop with the sign of the update flipped: every step climbs the loss."""
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data += lr * p.grad
        losses.append(loss.data)
    return losses


def _run(train: Callable) -> tuple[list[float], list[float]]:
    """Train a fresh toy model with `train`; return its losses (checked) and the final parameters."""
    model = toy_model()
    xs, ys = toy_regression()
    losses = train(model, xs, ys, TRAIN_STEPS, TRAIN_LR)
    if not isinstance(losses, (list, tuple)):
        raise Wrong(f"return the list of losses, one per step; got {type(losses).__name__}: {short(losses)}")
    if len(losses) != TRAIN_STEPS:
        raise Wrong(
            f"return one loss per step: {TRAIN_STEPS} steps should give {TRAIN_STEPS} losses, got {len(losses)}"
        )
    if any(isinstance(loss, Value) for loss in losses):
        raise Wrong(
            "your list holds Values: append loss.data (a float), not loss; each Value keeps its whole graph alive"
        )
    numbers = [as_number(loss, f"loss {i}") for i, loss in enumerate(losses)]
    return numbers, [as_number(p.data, "a parameter") for p in model.parameters()]


def same_floats(a: list[float], b: list[float]) -> bool:
    """Equal lengths, and each pair within 1e-9 + 1e-7 relative."""
    return len(a) == len(b) and all(abs(u - v) <= 1e-9 + 1e-7 * abs(v) for u, v in zip(a, b))


def collect_training(answer: object) -> dict:
    """Train the seeded toy model with the student's loop: its losses and final parameters."""
    train = require_callable(answer, "your function train(model, xs, ys, steps, lr)")
    losses, params = _run(train)
    return {"losses": losses, "params": params}


def read_training(evidence: dict) -> tuple[list[float], list[float]]:
    """The losses and parameters of a training run's evidence, checked for their exact shape."""
    return floats(evidence["losses"], TRAIN_STEPS), floats(evidence["params"], len(toy_model().parameters()))


def judge_training(evidence: dict) -> str:
    """The student's loop gave the reference loop's losses and final parameters on the seeded model."""
    losses, params = read_training(evidence)
    expected_losses, expected_params = _run(reference_train)
    if same_floats(losses, expected_losses) and same_floats(params, expected_params):
        return f"{TRAIN_STEPS} steps: the loss fell from {losses[0]:.4f} to {losses[-1]:.4f}, as in the reference loop."
    if same_floats(params, [p.data for p in toy_model().parameters()]):
        raise Wrong(
            "the parameters never changed: call optimizer.step() (or p.data -= lr * p.grad) after loss.backward(), "
            "and do not clear the gradients between backward() and the step"
        )
    no_zero_grad_losses, no_zero_grad_params = _run(train_without_zero_grad)
    if same_floats(params, no_zero_grad_params):
        raise Wrong(
            f"your loop gives exactly what a loop without zero_grad() gives (last loss {losses[-1]:.4f} instead of "
            f"{expected_losses[-1]:.4f}): gradients add up across backward() calls, so clear them every step"
        )
    uphill_losses, uphill_params = _run(_train_uphill)
    if same_floats(params, uphill_params):
        raise Wrong(
            f"the loss went up, from {losses[0]:.4f} to {losses[-1]:.4f}: step against the gradient, "
            "p.data -= lr * p.grad (or use SGD), not along it"
        )
    if not same_floats(losses[:1], expected_losses[:1]):
        raise Wrong(
            f"the first loss is {losses[0]:.6g} but the mean squared error of the untrained model is "
            f"{expected_losses[0]:.6g}: compute mse_loss(predictions, ys), the mean over all points, before the "
            "first step"
        )
    step = next((i for i in range(TRAIN_STEPS) if not same_floats(losses[i : i + 1], expected_losses[i : i + 1])), None)
    if step is None:
        raise Wrong(
            "the losses are right but the final parameters are not: take exactly one step per loss, and record "
            "each loss before its step"
        )
    raise Wrong(
        f"the losses agree up to step {step} but then differ: step {step + 1} gives {losses[step]:.6g}, the reference "
        f"loop {expected_losses[step]:.6g} (last: {losses[-1]:.4f} vs {expected_losses[-1]:.4f}). Use lr and the "
        "mean squared error over all points in every step"
    )


training_loop = Exercise(
    name="training_loop",
    title="Write the training loop",
    lesson="04",
    collect=collect_training,
    judge=judge_training,
    hints=(
        "Each step has four parts: predictions and the loss (forward), clear old gradients, backward(), update.",
        "loss = mse_loss([model(x) for x in xs], ys); then model.zero_grad(); loss.backward(); then move each "
        "parameter: p.data -= lr * p.grad. Append loss.data to a list.",
        "Use optimizer = SGD(model.parameters(), lr=lr) and in each step: loss, optimizer.zero_grad(), "
        "loss.backward(), optimizer.step(), losses.append(loss.data).",
    ),
    reference=reference_train,
)
