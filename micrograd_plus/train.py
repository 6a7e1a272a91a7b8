"""A small training loop, the hyperparameters that steer it, and the numbers that judge a regressor.

`fit()` is a convenience, not magic: each step is the loop you would write by hand,

    predictions = [model(x) for x in batch_rows]
    loss = loss_fn(predictions, batch_targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

repeated over shuffled mini-batches, with the loss recorded once per epoch. Hyperparameters (chosen by
you, before training) live in one printable object, apart from the parameters (learned by training).
"""

import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from .datasets.houses import Dataset
from .datasets.preprocessing import batches
from .engine import Value, no_gc
from .nn import ACTIVATIONS, Module
from .optim import Optimizer

__all__ = ["Hyperparameters", "History", "fit", "predict", "evaluate", "rmse", "r2_score", "least_squares"]


@dataclass
class Hyperparameters:
    """The knobs you choose before training (the parameters are what training chooses).

    hidden lists the hidden-layer sizes: [] is a single linear neuron, [16] one hidden layer of 16.
    batch_size None means full-batch gradient descent: every step uses all the training rows.
    """

    lr: float = 0.01
    epochs: int = 100
    batch_size: int | None = 32
    hidden: list[int] = field(default_factory=list)
    activation: str = "tanh"
    optimizer: str = "adam"
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if not _is_number(self.lr) or not self.lr > 0.0:
            raise ValueError(f"lr (the learning rate) must be a number > 0, e.g. 0.01, got {self.lr!r}")
        if not _is_count(self.epochs):
            raise ValueError(f"epochs must be a positive whole number, got {self.epochs!r}")
        if self.batch_size is not None and not _is_count(self.batch_size):
            raise ValueError(f"batch_size must be a positive whole number or None (all rows), got {self.batch_size!r}")
        if not isinstance(self.hidden, (list, tuple)) or not all(_is_count(size) for size in self.hidden):
            raise ValueError(
                f"hidden must be a list of positive layer sizes, e.g. [16] or [] for none, got {self.hidden!r}"
            )
        self.hidden = list(self.hidden)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {self.activation!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not _is_number(self.weight_decay) or not self.weight_decay >= 0.0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")

    def __str__(self) -> str:
        shown = asdict(self)
        if self.batch_size is None:
            shown["batch_size"] = "all"
        return "  ".join(f"{name}={value}" for name, value in shown.items())

    def to_dict(self) -> dict:
        """The hyperparameters as plain JSON data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Hyperparameters":
        """The Hyperparameters that `to_dict()` described; unknown keys are an error."""
        if not isinstance(data, dict):
            raise ValueError(f"hyperparameters must be a dict, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown hyperparameters {unknown}; the known ones are {sorted(known)}")
        return cls(**data)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass
class History:
    """The loss once per epoch: on the training rows (the mean over the epoch's batches) and the test rows."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0
    elapsed: list[float] = field(default_factory=list)  # seconds since the start, at the end of each epoch


def fit(
    model: Module,
    loss_fn: Callable[[list[Value], list[float]], Value],
    optimizer: Optimizer,
    train: Dataset,
    epochs: int,
    batch_size: int | None,
    test: Dataset | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train `model` by mini-batch gradient descent for `epochs` passes over `train`; return the History.

    Batches are reshuffled each epoch from random.Random(seed); batch_size=None puts every training
    row in one batch (full-batch gradient descent: one step per epoch). The training loss of an epoch is the
    mean of its batch losses (weighted by batch size); the test loss is measured after the epoch.
    progress=True shows progress on sys.stdout: on a terminal one line rewritten in place; in a notebook,
    a pipe or a log, a plain line at epoch 1, every tenth of the epochs and the last. progress=False is silent.
    Each step runs inside engine.no_gc(): our graphs have no cycles, so the cyclic collector only slows it.
    """
    if len(train) == 0:
        raise ValueError("fit() got an empty training set")
    batch_size = len(train) if batch_size is None else batch_size
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not _is_count(value):
            raise ValueError(f"fit() needs {name} to be a positive whole number, got {value!r}")
    rng = random.Random(seed)
    history = History()
    display = _Progress(epochs, sys.stdout) if progress else None
    start = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            total = 0.0
            for batch in batches(len(train), batch_size, rng):
                with no_gc():
                    try:
                        predictions = [model(train.X[i]) for i in batch]
                        loss = loss_fn(predictions, [train.y[i] for i in batch])
                    except OverflowError as error:
                        raise _diverged(epoch, optimizer) from error
                    if not math.isfinite(loss.data):
                        raise _diverged(epoch, optimizer)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                total += loss.data * len(batch)
            history.train_loss.append(total / len(train))
            if test is not None:
                try:
                    test_loss = evaluate(model, loss_fn, test)
                except OverflowError as error:  # the last step's update can blow up only the test rows
                    raise _diverged(epoch, optimizer, "test") from error
                if not math.isfinite(test_loss):
                    raise _diverged(epoch, optimizer, "test")
                history.test_loss.append(test_loss)
            history.elapsed.append(time.perf_counter() - start)
            if display:
                display.update(epoch, history)
    finally:
        if display:
            display.close()
    history.seconds = time.perf_counter() - start
    return history


def _diverged(epoch: int, optimizer: Optimizer, rows: str = "training") -> RuntimeError:
    return RuntimeError(
        f"training diverged at epoch {epoch}: the loss on the {rows} rows overflowed to infinity or NaN. "
        f"Lower the learning rate (it is lr={optimizer.lr}) or standardise the data."
    )


class _Progress:
    """Training progress: on a terminal one line rewritten in place; elsewhere a plain line every ~10% of epochs.

    Elsewhere is a notebook (ipykernel's stream is not a terminal), a pipe or a log file, where a carriage
    return would not rewrite anything: there a line is printed at epoch 1, at every tenth of the epochs and at the
    last one (at most 12 lines).
    """

    def __init__(self, epochs: int, stream):
        self.epochs = epochs
        self.stream = stream
        self.terminal = _is_terminal(stream)
        self.every = math.ceil(epochs / 10)
        self.start = time.perf_counter()
        self.written = False

    def update(self, epoch: int, history: History) -> None:
        test = f"  test loss {history.test_loss[-1]:.4f}" if history.test_loss else ""
        elapsed = time.perf_counter() - self.start
        status = f"epoch {epoch}/{self.epochs}  train loss {history.train_loss[-1]:.4f}{test}  {elapsed:.1f}s"
        if self.terminal:
            width = 24
            filled = width * epoch // self.epochs
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {status}")
        elif epoch == 1 or epoch % self.every == 0 or epoch == self.epochs:
            self.stream.write(status + "\n")
        else:
            return
        self.stream.flush()
        self.written = True

    def close(self) -> None:
        if self.terminal and self.written:  # end the rewritten line
            self.stream.write("\n")
            self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def predict(model: Module, X: Sequence[Sequence[float]]) -> list[float]:
    """The model's output for each row of `X`, as plain floats (the model must have one output)."""
    with no_gc():
        outputs = [model(row) for row in X]
    for out in outputs[:1]:
        if not isinstance(out, Value):
            count = f"{len(out)} outputs" if isinstance(out, (list, tuple)) else f"a {type(out).__name__}"
            raise TypeError(
                f"predict() needs a model with one output (a Value) per row, but this model returns {count}; "
                "for several outputs use [[v.data for v in model(row)] for row in X]"
            )
    return [out.data for out in outputs]


def evaluate(model: Module, loss_fn: Callable[[list[Value], list[float]], Value], data: Dataset) -> float:
    """The loss of `model` on every row of `data` (no training step)."""
    with no_gc():
        return loss_fn([model(row) for row in data.X], list(data.y)).data


def rmse(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Root mean squared error, in the target's units: the typical size of a prediction's miss."""
    _check_pair(actual, predicted, "rmse")
    return math.sqrt(sum((a - p) ** 2 for a, p in zip(actual, predicted)) / len(actual))


def r2_score(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """R², the coefficient of determination: 1 - SS_residual / SS_total (1 is perfect, 0 is the mean's score)."""
    _check_pair(actual, predicted, "r2_score")
    mean = sum(actual) / len(actual)
    total = sum((a - mean) ** 2 for a in actual)
    if total == 0.0:
        raise ValueError("r2_score is undefined when every actual value is the same; use rmse instead")
    return 1.0 - sum((a - p) ** 2 for a, p in zip(actual, predicted)) / total


def _check_pair(actual: Sequence[float], predicted: Sequence[float], name: str) -> None:
    if len(actual) != len(predicted):
        raise ValueError(f"{name}: got {len(actual)} actual values but {len(predicted)} predictions; they must match")
    if not actual:
        raise ValueError(f"{name}: got no values")


def least_squares(X: Sequence[Sequence[float]], y: Sequence[float]) -> tuple[list[float], float]:
    """Ordinary least squares with an intercept, in closed form: the weights and bias minimising the squared error.

    Solves the normal equations (A^T A) w = A^T y by Gaussian elimination with partial pivoting, on
    centred and scaled columns (a far better conditioned system), then maps the answer back to the data's
    units. A vanishing ridge (1e-10 per row) keeps the answer finite if two columns are exactly collinear.
    """
    if len(X) != len(y) or not X:
        raise ValueError(f"least_squares needs one target per row and at least one row, got {len(X)} and {len(y)}")
    n, width = len(X), len(X[0])
    x_mean = [sum(row[j] for row in X) / n for j in range(width)]
    x_scale = [math.sqrt(sum((row[j] - x_mean[j]) ** 2 for row in X) / n) or 1.0 for j in range(width)]
    y_mean = sum(y) / n
    Z = [[(row[j] - x_mean[j]) / x_scale[j] for j in range(width)] for row in X]
    gram = [[sum(z[i] * z[j] for z in Z) for j in range(width)] for i in range(width)]
    for i in range(width):
        gram[i][i] += 1e-10 * n
    rhs = [sum(z[i] * (target - y_mean) for z, target in zip(Z, y)) for i in range(width)]
    solution = _solve(gram, rhs)
    weights = [w / s for w, s in zip(solution, x_scale)]
    return weights, y_mean - sum(w * m for w, m in zip(weights, x_mean))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """x with matrix @ x = rhs, by Gaussian elimination with partial pivoting (matrix is square)."""
    size = len(rhs)
    rows = [list(row) + [b] for row, b in zip(matrix, rhs)]  # the augmented matrix [A | b]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))  # the largest pivot limits rounding error
        if rows[pivot][col] == 0.0:
            raise ValueError("least_squares: the system is singular; some feature is constant or a copy of another")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, size + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in reversed(range(size)):  # back substitution
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution
