"""Exercises for lesson 3: pick a learning rate, and write SGD with momentum.

The learning rate is judged by running gradient descent with it; momentum is compared step by step
with micrograd_plus.SGD(momentum=...), which the test suite checks against torch.optim.SGD.
"""

from collections.abc import Callable
from numbers import Real

from ..engine import Value
from ..optim import SGD, Optimizer
from .checking import Exercise, Wrong, as_number, floats
from .safety import short

__all__ = ["learning_rate", "sgd_momentum", "valley", "descend"]

VALLEY_START = (3.0, 1.0)
VALLEY_STEPS = 60
VALLEY_TARGET = 1e-3
VALLEY_STEEPNESS = 20.0  # lesson 3's valley has 10; a different valley, so the lesson's lr is not the answer


def valley(x: Value, y: Value) -> Value:
    """f(x, y) = x**2 + 20 y**2: a valley twenty times steeper across (y) than along (x); its minimum is 0 at (0, 0)."""
    return x**2 + VALLEY_STEEPNESS * y**2


def _descent_path(lr: float, steps: int, start: tuple[float, float]) -> list[tuple[float, float, float]]:
    """(x, y, loss) before each step and after the last, on `valley`; stops early once the loss blows up."""
    x, y = start
    path = []
    for _ in range(steps):
        xv, yv = Value(x), Value(y)
        loss = valley(xv, yv)
        path.append((x, y, loss.data))
        if loss.data > 1e12:  # diverged: stop before the numbers overflow
            return path
        loss.backward()
        x, y = x - lr * xv.grad, y - lr * yv.grad
    path.append((x, y, valley(Value(x), Value(y)).data))
    return path


def descend(lr: float, steps: int = VALLEY_STEPS, start: tuple[float, float] = VALLEY_START) -> list[float]:
    """Gradient descent on `valley` from `start`: the loss before each step and after the last (stops on blow-up)."""
    return [loss for _, _, loss in _descent_path(lr, steps, start)]


def reference_learning_rate() -> float:
    """A learning rate that brings the valley's loss below 1e-3 in 60 steps."""
    return 0.045  # y shrinks by |1 - 40 lr| = 0.8 per step, x by 1 - 2 lr = 0.91: both settle in time


def collect_learning_rate(answer: object) -> dict:
    """The learning rate: a number, or what a function of no arguments returns."""
    lr = answer() if callable(answer) and not isinstance(answer, Real) else answer
    return {"lr": as_number(lr, "your learning rate")}


def judge_learning_rate(evidence: dict) -> str:
    """Run 60 steps of gradient descent with the chosen lr; the loss must end below 1e-3 without diverging."""
    lr = floats(evidence["lr"])
    if not lr > 0.0:
        raise Wrong(
            f"the learning rate must be positive, got {lr!r}: with lr <= 0 each step stands still or climbs uphill"
        )
    try:
        path = _descent_path(lr, VALLEY_STEPS, VALLEY_START)
    except OverflowError:  # one step flung the point so far that its loss is beyond a float
        raise Wrong(
            f"with lr = {lr:.3g} the first steps already overflow a float: it diverges. Each step overshoots the "
            "valley floor by more than it started; the learning rate is far too big"
        ) from None
    first, (x, y, last) = path[0][2], path[-1]
    if not last < first:
        raise Wrong(
            f"with lr = {lr:.3g} the loss grew from {first:.3g} to {last:.3g} in {len(path) - 1} steps: it diverges. "
            "Each step overshoots the valley floor by more than it started; the learning rate is too big"
        )
    if last >= VALLEY_TARGET:
        fell = f"with lr = {lr} the loss only fell from {first:.3g} to {last:.3g} in {VALLEY_STEPS} steps"
        goal = f"(the goal is below {VALLEY_TARGET})"
        if VALLEY_STEEPNESS * y * y > x * x:  # the steep direction has not settled: y bounces across the valley
            raise Wrong(
                f"{fell} {goal}: y jumps from one side of the steep valley to the other at each step. "
                "A slightly smaller learning rate settles faster"
            )
        raise Wrong(
            f"{fell} {goal}: x moves too slowly along the flat valley floor, the steps are too small to reach "
            "the minimum in time. Try a bigger learning rate"
        )
    return f"with lr = {lr} the loss fell from {first:.3g} to {last:.2g} in {VALLEY_STEPS} steps."


learning_rate = Exercise(
    name="learning_rate",
    title="Pick a learning rate for a narrow valley",
    lesson="03",
    collect=collect_learning_rate,
    judge=judge_learning_rate,
    hints=(
        "Try a few values with descend(lr) and look at the losses: 0.001, 0.01, 0.1, 1.0. Which ones go down?",
        "Along y the slope is 40 y, so one step multiplies y by (1 - 40 lr): above lr = 0.05 it grows. "
        "Along x a step multiplies x by (1 - 2 lr): too small an lr and x hardly moves.",
        "Any lr between about 0.037 and 0.048 works, e.g. 0.045: just below the 0.05 where y starts to grow.",
    ),
    reference=reference_learning_rate,
)

MOMENTUM_LR = 0.05
MOMENTUM = 0.9
MOMENTUM_STEPS = 8
MOMENTUM_START = (0.5, 0.5)


class ReferenceMomentumSGD(Optimizer):
    """SGD with momentum: each parameter keeps a velocity, a running sum of its past gradients."""

    def __init__(self, params, lr: float, momentum: float = 0.9):
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocities = [0.0 for _ in self.params]

    def step(self) -> None:
        for i, p in enumerate(self.params):
            self.velocities[i] = self.momentum * self.velocities[i] + p.grad  # torch.optim.SGD's buffer
            p.data -= self.lr * self.velocities[i]


def _bowl(x: Value, y: Value) -> Value:
    """A tilted bowl with its minimum at (1.6, -2.267): momentum takes a visibly different path than plain SGD."""
    return (x - 1.0) ** 2 + 3.0 * (y + 2.0) ** 2 + x * y


def _trajectory(make_optimizer: Callable[[list[Value]], object]) -> list[list[float]]:
    """The parameters after each of MOMENTUM_STEPS steps on the bowl, with fresh parameters."""
    return _run_optimizer(make_optimizer)[0]


def _run_optimizer(make_optimizer: Callable[[list[Value]], object]) -> tuple[list[list[float]], object]:
    """The trajectory of MOMENTUM_STEPS steps on the bowl, and the optimizer that took them."""
    params = [Value(v) for v in MOMENTUM_START]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(MOMENTUM_STEPS):
        loss = _bowl(*params)
        for p in params:
            p.grad = 0.0
        loss.backward()
        optimizer.step()
        trajectory.append([as_number(p.data, "a parameter after step()") for p in params])
    return trajectory, optimizer


def _same(a: list[list[float]], b: list[list[float]]) -> bool:
    return len(a) == len(b) and all(
        abs(u - v) <= 1e-9 + 1e-7 * abs(v) for row_a, row_b in zip(a, b) for u, v in zip(row_a, row_b)
    )


def collect_sgd_momentum(answer: object) -> dict:
    """Eight steps of the student's optimizer on the bowl: the parameters after each, and its velocities."""
    if not callable(answer):
        raise Wrong(f"check() expects your optimizer class, got {type(answer).__name__}: {short(answer)}")
    trajectory, optimizer = _run_optimizer(lambda params: answer(params, lr=MOMENTUM_LR, momentum=MOMENTUM))
    if isinstance(optimizer, SGD):
        raise Wrong(
            "your optimizer is the library's SGD, whose step() already does momentum; write step() yourself "
            "in a class of your own"
        )
    velocities = getattr(optimizer, "velocities", None)
    readable = isinstance(velocities, list) and len(velocities) == 2 and all(type(v) is float for v in velocities)
    return {"trajectory": trajectory, "velocities": list(velocities) if readable else None}


def judge_sgd_momentum(evidence: dict) -> str:
    """The eight steps match SGD(lr=0.05, momentum=0.9) at every step; otherwise, name the likely mistake."""
    ours = floats(evidence["trajectory"], MOMENTUM_STEPS, 2)
    expected = _trajectory(lambda params: SGD(params, lr=MOMENTUM_LR, momentum=MOMENTUM))
    if _same(ours, expected):
        return f"{MOMENTUM_STEPS} steps match SGD(lr={MOMENTUM_LR}, momentum={MOMENTUM}) to 1e-7."
    start = [list(MOMENTUM_START)]
    if _same(ours, start * MOMENTUM_STEPS):
        raise Wrong("step() did not change the parameters: update p.data for every parameter in self.params")
    if _same(ours, _trajectory(lambda params: SGD(params, lr=MOMENTUM_LR))):
        velocities = evidence.get("velocities")
        if velocities is not None and floats(velocities, 2) == [0.0, 0.0]:
            raise Wrong(
                f"your steps match plain SGD without momentum, and self.velocities is still [0.0, 0.0] after "
                f"{MOMENTUM_STEPS} steps: store the new velocity back, self.velocities[i] = momentum * "
                "self.velocities[i] + p.grad; a loop variable is forgotten before the next step"
            )
        raise Wrong(
            "your steps match plain SGD without momentum: keep one velocity per parameter, "
            "velocity = momentum * velocity + grad, store it back (self.velocities[i] = ...), "
            "and step by lr * velocity"
        )
    losses = [_bowl(*map(Value, MOMENTUM_START)).data] + [_bowl(*map(Value, row)).data for row in ours]
    if losses[1] > losses[0]:
        raise Wrong(
            f"the first step raised the loss from {losses[0]:.4g} to {losses[1]:.4g}: step against the gradient "
            "(p.data -= lr * velocity), not along it"
        )
    step = next(i for i, (u, v) in enumerate(zip(ours, expected)) if not _same([u], [v]))
    got = ", ".join(f"{v:.6g}" for v in ours[step])
    want = ", ".join(f"{v:.6g}" for v in expected[step])
    advice = (
        " The first step is right, so the velocity is not carried over correctly from one step to the next"
        if step > 0
        else " Already the first step is off: with a zero velocity it should be exactly a plain SGD step"
    )
    raise Wrong(
        f"after step {step + 1} the parameters are [{got}] but SGD with momentum gives [{want}] "
        f"(lr = {MOMENTUM_LR}, momentum = {MOMENTUM}).{advice}"
    )


sgd_momentum = Exercise(
    name="sgd_momentum",
    title="Write SGD with momentum",
    lesson="03",
    collect=collect_sgd_momentum,
    judge=judge_sgd_momentum,
    hints=(
        "Momentum keeps, for each parameter, a velocity that remembers the past gradients; step() updates it, "
        "then moves the parameter by it.",
        "self.velocities[i] = self.momentum * self.velocities[i] + p.grad, then move p.data against it.",
        "for i, p in enumerate(self.params): update self.velocities[i] as above, "
        "then p.data -= self.lr * self.velocities[i]",
    ),
    reference=ReferenceMomentumSGD,
)
