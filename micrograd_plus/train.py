"""A small training loop, the hyperparameters that steer it, and its progress display.

`fit()` is a convenience, not magic: each step is the loop you would write by hand,

    predictions = [model(x) for x in batch_rows]
    loss = loss_fn(predictions, batch_targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

repeated over shuffled mini-batches, with the loss recorded once per epoch. Hyperparameters (chosen by
you, before training) live in one printable object, apart from the parameters (learned by training);
it checks each setting once and builds the model and the optimizer they describe. Training stops, saying
so, as soon as a loss or an output stops being finite: a diverged run never looks healthy.
"""

import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from .datasets.dataset import Dataset
from .datasets.preprocessing import batches
from .engine import Value, no_gc
from .nn import ACTIVATIONS, MLP, Module, check_count
from .optim import SGD, Adam, Optimizer

__all__ = [
    "Hyperparameters",
    "History",
    "fit",
    "predict",
    "evaluate",
    "check_finite",
    "check_graph_size",
    "MAX_GRAPH_MB",
]

OPTIMIZERS = {"adam": Adam, "sgd": SGD}
# The most memory one graph may take (a training step, a sample). Every number in it is a Value, kept until
# backward() is done or the graph is dropped; a graph of a few hundred MB also takes seconds to build. The demos
# estimate theirs from their settings and refuse bigger ones before any work.
MAX_GRAPH_MB = 300


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
        check_count("epochs", self.epochs)
        if self.batch_size is not None:
            check_count("batch_size", self.batch_size)
        if not isinstance(self.hidden, (list, tuple)):
            raise ValueError(f"hidden must be a list of layer sizes, e.g. [16] or [] for none, got {self.hidden!r}")
        self.hidden = [check_count("each hidden layer size", size) for size in self.hidden]
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {self.activation!r}")
        if self.optimizer not in tuple(OPTIMIZERS):
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}")
        self.make_optimizer([Value(0.0)])  # the optimizer checks lr and weight_decay, by its own rules
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be a whole number, got {self.seed!r}")

    def make_model(self, nin: int, hidden: list[int] | None = None) -> MLP:
        """The MLP these hyperparameters describe: nin inputs, the hidden layers (or `hidden`), one output."""
        sizes = self.hidden if hidden is None else hidden
        return MLP(nin, [*sizes, 1], activation=self.activation, seed=self.seed)

    def make_optimizer(self, parameters: list[Value]) -> Optimizer:
        """The optimizer these hyperparameters describe, over `parameters`."""
        return OPTIMIZERS[self.optimizer](parameters, lr=self.lr, weight_decay=self.weight_decay)

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
        """The Hyperparameters that `to_dict()` described: every one, since a default is not what was used."""
        if not isinstance(data, dict):
            raise ValueError(f"hyperparameters must be a dict, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown, missing = sorted(set(data) - known), sorted(known - set(data))
        if unknown:
            raise ValueError(f"unknown hyperparameters {unknown}; the known ones are {sorted(known)}")
        if missing:
            raise ValueError(
                f"missing hyperparameters {missing}; a saved model records them all (a default is not what was used)"
            )
        return cls(**data)


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
    check_count("epochs", epochs)
    batch_size = len(train) if batch_size is None else check_count("batch_size", batch_size)
    advice = f"Lower the learning rate (it is lr={optimizer.lr}) or standardise the data."  # if a loss is not finite
    rng = random.Random(seed)
    history = History()
    display = _Progress(epochs, sys.stdout) if progress else None
    start = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            total = 0.0
            for batch in batches(len(train), batch_size, rng):
                with no_gc():
                    loss = _loss(model, loss_fn, [train.X[i] for i in batch], [train.y[i] for i in batch])
                    check_finite(
                        loss.data, f"training diverged at epoch {epoch}: the loss on the training rows", advice
                    )
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                total += loss.data * len(batch)
                del loss  # this step's graph goes now, not once the next one is built: one graph at a time
            history.train_loss.append(total / len(train))
            if test is not None:  # the last step's update can blow up the test rows alone
                test_loss = _loss(model, loss_fn, test.X, test.y).data
                check_finite(test_loss, f"training diverged at epoch {epoch}: the loss on the test rows", advice)
                history.test_loss.append(test_loss)
            history.elapsed.append(time.perf_counter() - start)
            if display:
                display.update(epoch, history)
    finally:
        if display:
            display.close()
    history.seconds = time.perf_counter() - start
    return history


def check_graph_size(megabytes: float, what: str, fix: str) -> None:
    """Refuse, before any work, a graph that would take more than MAX_GRAPH_MB.

    `megabytes` is the caller's estimate (each demo measures its own graphs), `what` says what the graph holds,
    and `fix` how to make it smaller.
    """
    if megabytes > MAX_GRAPH_MB:
        raise ValueError(
            f"{what} would build a graph of about {megabytes:,.0f} MB at once, over the limit of {MAX_GRAPH_MB} MB "
            f"(every number in it is a Value, kept until backward() is done); {fix}"
        )


def check_finite(number: float, what: str, advice: str) -> float:
    """`number` if it is finite; else a RuntimeError: "`what` is nan, not a finite number. `advice`".

    fit() and the demos call it on every loss and output: an overflowed or NaN value must stop the run,
    not be printed as if it were a result.
    """
    if not math.isfinite(number):
        raise RuntimeError(f"{what} is {number}, not a finite number. {advice}")
    return number


def _loss(model: Module, loss_fn: Callable, rows: Sequence[Sequence[float]], targets: Sequence[float]) -> Value:
    """The loss on some rows; an op that overflows (some raise OverflowError rather than give inf) gives inf."""
    try:
        with no_gc():
            return loss_fn([model(row) for row in rows], list(targets))
    except OverflowError:
        return Value(math.inf)


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
    """The model's output for each row of `X`, as plain floats (the model must have one output).

    An output that is not finite (NaN or infinite) raises a ValueError naming its row, rather than being
    returned as if it were a prediction. Each row's graph is dropped once its number is read, so memory does
    not grow with the number of rows.
    """
    outputs = []
    with no_gc():
        for row, x in enumerate(X, start=1):
            out = model(x)
            if not isinstance(out, Value):
                count = f"{len(out)} outputs" if isinstance(out, (list, tuple)) else f"a {type(out).__name__}"
                raise TypeError(
                    f"predict() needs a model with one output (a Value) per row, but this model returns {count}; "
                    "for several outputs use [[v.data for v in model(row)] for row in X]"
                )
            if not math.isfinite(out.data):
                raise ValueError(
                    f"the model's output for row {row} is {out.data}, not a finite number: an input or a weight is "
                    "too large, or not a number"
                )
            outputs.append(out.data)
    return outputs


def evaluate(model: Module, loss_fn: Callable[[list[Value], list[float]], Value], data: Dataset) -> float:
    """The loss of `model` on every row of `data` (no training step)."""
    with no_gc():
        return loss_fn([model(row) for row in data.X], list(data.y)).data
