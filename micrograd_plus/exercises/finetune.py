"""Exercise for lesson 7: fine-tune a pre-trained network on five points, and beat training from scratch.

Task A is a wiggly curve, f(x) = sin(3x) + 0.3x, learned from 20 points by MLP(1, [10, 1]). Task B is
0.5 f(x) - 0.3: the same shape, scaled and shifted, known from only 5 points. The hidden layer's ten tanh
features already describe the shape; only the output layer (the head) must change. The student freezes
the hidden layer and trains the rest. The judge reads back the final parameters (plain numbers), checks
that the hidden layer is exactly the pre-trained one, and compares the test loss on task B with a network
trained from scratch on the same five points.
"""

import functools
import math
import random

from ..losses import mse_loss
from ..nn import MLP
from ..optim import Adam
from .checking import Exercise, Wrong, as_number, floats, require_callable

__all__ = ["fine_tune", "pretrained_model", "task_b", "test_loss", "scratch_loss", "HIDDEN"]

HIDDEN = 10


def _task_a(x: float) -> float:
    return math.sin(3.0 * x) + 0.3 * x


def _task_b(x: float) -> float:
    return 0.5 * _task_a(x) - 0.3


def _train(model: MLP, xs: list[float], ys: list[float], lr: float, steps: int) -> None:
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = mse_loss([model([x]) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@functools.cache
def _pretrained_state() -> tuple[tuple[str, float], ...]:
    """MLP(1, [10, 1], tanh, seed 0) after 200 Adam steps on 20 points of task A (done once)."""
    model = MLP(1, [HIDDEN, 1], activation="tanh", seed=0)
    xs = [-2.0 + 4.0 * (i + 0.5) / 20 for i in range(20)]
    _train(model, xs, [_task_a(x) for x in xs], lr=0.05, steps=200)
    return tuple(model.state_dict().items())


def pretrained_model() -> MLP:
    """A fresh copy of the network pre-trained on task A (every parameter trainable)."""
    model = MLP(1, [HIDDEN, 1], activation="tanh", seed=0)
    model.load_state_dict(dict(_pretrained_state()))
    return model


def task_b() -> tuple[list[list[float]], list[float]]:
    """The five training points of task B: inputs [[x], ...] and targets."""
    rng = random.Random(3)
    xs = [-2.0 + 4.0 * (i + 0.5) / 5 + rng.uniform(-0.1, 0.1) for i in range(5)]
    return [[x] for x in xs], [_task_b(x) for x in xs]


def _test_points() -> list[float]:
    return [-2.0 + 4.0 * (i + 0.5) / 40 for i in range(40)]  # evenly over the whole range


def test_loss(model: MLP) -> float:
    """The mean squared error of `model` on 40 points of task B spread evenly over [-2, 2]."""
    xs = _test_points()
    return mse_loss([model([x]) for x in xs], [_task_b(x) for x in xs]).data


@functools.cache
def scratch_loss() -> float:
    """The test loss of MLP(1, [10, 1]) trained from scratch on the five points (Adam, lr 0.03, 300 steps)."""
    model = MLP(1, [HIDDEN, 1], activation="tanh", seed=1)
    (xs, ys) = task_b()
    _train(model, [x for (x,) in xs], ys, lr=0.03, steps=300)
    return test_loss(model)


def reference_fine_tune(model: MLP, xs: list[list[float]], ys: list[float]) -> None:
    """Freeze the hidden layer, then train the rest (the head) on the few points."""
    model.layers[0].freeze()  # the features learned on task A stay as they are
    optimizer = Adam(model.parameters(), lr=0.03)  # frozen parameters are skipped
    for _ in range(200):
        loss = mse_loss([model(x) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def collect_fine_tune(answer: object) -> dict:
    """Run the student's fine_tune(model, xs, ys) on a fresh pre-trained model: its parameters afterwards."""
    fine_tune = require_callable(answer, "your function fine_tune(model, xs, ys)")
    model = pretrained_model()
    xs, ys = task_b()
    fine_tune(model, xs, ys)
    names = [name for name, _ in _pretrained_state()]
    state = dict(model.named_parameters())
    if list(state) != names:
        raise Wrong(
            "the model's parameters are not those of the pre-trained MLP(1, [10, 1]) any more; train it in place, "
            "without replacing its layers"
        )
    return {"params": [as_number(p.data, f"parameter {name}") for name, p in state.items()]}


def judge_fine_tune(evidence: dict) -> str:
    """The hidden layer is untouched, the head moved, and the test loss beats training from scratch."""
    names, pretrained = zip(*_pretrained_state())
    params = floats(evidence["params"], len(names))
    hidden = [i for i, name in enumerate(names) if name.startswith("layers.0.")]
    head = [i for i, name in enumerate(names) if not name.startswith("layers.0.")]
    hidden_kept = all(params[i] == pretrained[i] for i in hidden)
    head_kept = all(params[i] == pretrained[i] for i in head)
    if head_kept and hidden_kept:
        raise Wrong("no parameter changed: train the model (the head at least) on the five points")
    if head_kept:
        raise Wrong(
            "you trained the hidden layer and kept the output layer frozen: the other way round. The hidden "
            "features are what task A taught; freeze model.layers[0] and train the head"
        )
    if not hidden_kept:
        changed = sum(params[i] != pretrained[i] for i in hidden)
        raise Wrong(
            f"{changed} of the {len(hidden)} hidden-layer parameters changed: five points are too few to retrain "
            "them. Freeze the hidden layer (model.layers[0].freeze()) before training"
        )
    model = pretrained_model()
    model.load_state_dict(dict(zip(names, params, strict=True)))
    yours, scratch = test_loss(model), scratch_loss()
    if not yours < scratch:
        raise Wrong(
            f"the hidden layer is frozen, but the test loss is {yours:.4f}, not better than training from scratch "
            f"({scratch:.4f}): train the head for more steps, or with a bigger learning rate"
        )
    before = test_loss(pretrained_model())
    return (
        f"hidden layer frozen; the test loss on task B is {yours:.4f} (pre-trained as it was: {before:.4f}, "
        f"trained from scratch on the same five points: {scratch:.4f})."
    )


fine_tune = Exercise(
    name="fine_tune",
    title="Freeze the hidden layer and fine-tune the head",
    lesson="07",
    collect=collect_fine_tune,
    judge=judge_fine_tune,
    hints=(
        "Which layer holds what task A taught (the shape of the curve), and which maps it to task A's numbers? "
        "Keep the first, retrain the second.",
        "model.layers[0] is the hidden layer: .freeze() it, then run a training loop (Adam skips frozen "
        "parameters) on the five points.",
        "model.layers[0].freeze(); optimizer = Adam(model.parameters(), lr=0.03); then 200 steps of: loss, "
        "optimizer.zero_grad(), loss.backward(), optimizer.step().",
    ),
    reference=reference_fine_tune,
)
