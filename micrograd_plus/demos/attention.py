"""The attention demo: find the flagged number in a sequence, a task that averaging cannot solve.

Each sequence holds `length` tokens [number, flag]; exactly one token has flag 1 and the target is
its number. A model that mean-pools its input treats every token alike, so it only sees the average
number and cannot tell which one is flagged. One SelfAttention head can: every position learns to
put its attention weight on the flagged token, which the heatmap shows.
"""

import random
from dataclasses import dataclass, field
from pathlib import Path

from ..attention import SelfAttention
from ..engine import Value, no_gc
from ..files import OutputFolder
from ..losses import mse_loss
from ..nn import MLP, Layer, Module, as_rng, check_count
from ..optim import Adam
from ..train import MAX_GRAPH_MB, check_finite, check_graph_size
from ..viz.plots import plot_attention, plot_loss_curves
from . import format_table

__all__ = [
    "FlaggedSequences",
    "make_flagged_sequences",
    "AttentionRegressor",
    "MeanPoolRegressor",
    "AttentionDemoResult",
    "run_attention_demo",
    "OUTPUT_FILES",
]

OUTPUT_FILES = ["attention.png", "training_loss.png"]
# A training step's graph, per query-key pair (batch_size x length² of them): about 1,000 bytes, plus 40 a key,
# since softmax makes each weight one node with every score of its row as a child. Measured on 2 cores at batch
# 16: 34 MB at length 30, 123 MB at 50, 297 MB at 70, 785 MB at 100 (and 5.8 GB at 200).
PAIR_BYTES, KEY_BYTES = 1000, 40


@dataclass
class FlaggedSequences:
    """Sequences of [number, flag] tokens, the flagged number of each (the target), and where it is."""

    sequences: list[list[list[float]]]
    targets: list[float]
    flagged: list[int]

    def __len__(self) -> int:
        return len(self.targets)


def make_flagged_sequences(n: int, length: int = 6, seed: int = 0) -> FlaggedSequences:
    """`n` sequences of `length` tokens [number uniform in -1..1, flag 0 or 1], one flag per sequence."""
    check_count("n (the number of sequences)", n)
    if check_count("length", length) < 2:
        raise ValueError(f"length must be a whole number >= 2 (one flagged token among others), got {length}")
    rng = as_rng(seed)
    sequences, targets, flagged = [], [], []
    for _ in range(n):
        position = rng.randrange(length)
        numbers = [rng.uniform(-1.0, 1.0) for _ in range(length)]
        sequences.append([[number, 1.0 if i == position else 0.0] for i, number in enumerate(numbers)])
        targets.append(numbers[position])
        flagged.append(position)
    return FlaggedSequences(sequences, targets, flagged)


def _mean_vector(vectors: list[list[Value]]) -> list[Value]:
    """The average of equal-length vectors, position by position: every vector counts the same."""
    share = 1.0 / len(vectors)
    return [sum(column[1:], column[0]) * share for column in zip(*vectors)]


class AttentionRegressor(Module):
    """SelfAttention over the tokens, then the mean of its outputs, then a linear readout to one number."""

    def __init__(self, dim: int = 2, head_dim: int = 4, seed: int | random.Random = 0):
        rng = as_rng(seed)  # one generator for both parts, so the readout does not repeat the attention's numbers
        self.attention = SelfAttention(dim, head_dim, seed=rng)
        self.readout = Layer(head_dim, 1, activation="linear", seed=rng)

    def forward(self, sequence: list[list[float]]) -> Value:
        return self.readout(_mean_vector(self.attention(sequence)))


class MeanPoolRegressor(Module):
    """The baseline that cannot attend: the mean of the tokens, then an MLP on that average."""

    def __init__(self, dim: int = 2, hidden: int = 8, seed: int | random.Random = 0):
        self.mlp = MLP(dim, [hidden, 1], activation="tanh", seed=seed)

    def forward(self, sequence: list[list[float]]) -> Value:
        return self.mlp(_mean_vector([[Value(x) for x in token] for token in sequence]))


@dataclass
class AttentionDemoResult:
    """What the attention demo measured, and the trained models (for notebooks)."""

    attention_mse: float
    baseline_mse: float
    attention_mae: float
    baseline_mae: float
    flagged_attention: float  # mean weight the queries put on the flagged token (chance: 1 / length)
    length: int
    attention_model: AttentionRegressor
    baseline_model: MeanPoolRegressor
    train_losses: dict[str, list[float]] = field(default_factory=dict)
    example_sequence: list[list[float]] = field(default_factory=list)  # the test sequence the weights are for
    example_weights: list[list[float]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def table(self) -> str:
        """The comparison as aligned text, one model per line."""
        lead = " "  # the last column is free text: one space more than the two between columns
        weight = f"{lead}{self.flagged_attention:.2f} (chance {1.0 / self.length:.2f})"
        rows = [
            ["self-attention, then mean", f"{self.attention_mse:.5f}", f"{self.attention_mae:.5f}", weight],
            ["mean pooling, no attention", f"{self.baseline_mse:.5f}", f"{self.baseline_mae:.5f}", f"{lead}-"],
        ]
        headers = ["model", "test MSE", "test MAE", f"{lead}weight on the flagged token"]
        return format_table(headers, rows, "<>><", [34, 8, 8, 0])


def _step_megabytes(batch: int, length: int) -> float:
    """The estimated memory of a training step's graph (see PAIR_BYTES)."""
    return batch * length**2 * (PAIR_BYTES + KEY_BYTES * length) / 2**20


def _train(model: Module, data: FlaggedSequences, steps: int, batch_size: int, lr: float, seed: int) -> list[float]:
    """Adam on the mean squared error of random mini-batches; the loss of each step."""
    optimizer = Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    losses = []
    for step in range(1, steps + 1):
        batch = rng.sample(range(len(data)), min(batch_size, len(data)))
        with no_gc():
            loss = mse_loss([model(data.sequences[i]) for i in batch], [data.targets[i] for i in batch])
            check_finite(loss.data, f"training diverged at step {step}: the loss", f"Lower the learning rate ({lr}).")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.data)
        del loss  # this step's graph goes now, not once the next one is built: one graph at a time
    return losses


def _errors(model: Module, data: FlaggedSequences) -> tuple[float, float]:
    """Mean squared and mean absolute error of `model` on `data`."""
    with no_gc():
        predictions = [model(sequence).data for sequence in data.sequences]
    for index, prediction in enumerate(predictions):
        check_finite(prediction, f"the output for test sequence {index}", "The model diverged in training.")
    errors = [p - y for p, y in zip(predictions, data.targets)]
    return sum(e * e for e in errors) / len(errors), sum(abs(e) for e in errors) / len(errors)


def _flagged_attention(model: AttentionRegressor, data: FlaggedSequences) -> float:
    """The attention weight on the flagged token, averaged over every query of every sequence."""
    total = 0.0
    with no_gc():
        for sequence, position in zip(data.sequences, data.flagged):
            model(sequence)
            rows = model.attention.last_weights
            total += sum(row[position] for row in rows) / len(rows)
    return total / len(data)


def run_attention_demo(
    steps: int = 400,
    length: int = 6,
    n_train: int = 512,
    n_test: int = 200,
    batch_size: int = 16,
    lr: float = 0.05,
    seed: int = 0,
    out: str | Path | None = "attention_output",
    quiet: bool = False,
) -> AttentionDemoResult:
    """Train self-attention and the mean-pooling baseline on flagged sequences; compare them on a test set.

    Prints the comparison table (unless quiet) and, when `out` is a folder, saves the attention
    heatmap of one test sequence there (attention.png) and the training losses (training_loss.png): the
    folder is checked before any work, the files written at the end. The loss of every training step is
    kept in the result's `train_losses`.
    """
    for name, number in (("steps", steps), ("n_train", n_train), ("n_test", n_test), ("batch_size", batch_size)):
        check_count(name, number)
    batch = min(batch_size, n_train)
    longest = 2
    while _step_megabytes(batch, longest + 1) <= MAX_GRAPH_MB:
        longest += 1
    check_graph_size(
        _step_megabytes(batch, check_count("length", length)),
        f"a training step of {batch} sequences of {length} tokens ({batch} x {length}² query-key pairs)",
        f"give a length of at most {longest} (attention scores every pair of tokens, and softmax ties each weight "
        "to its whole row: the graph grows faster than the square of the length)",
    )
    output = None if out is None else OutputFolder(out, OUTPUT_FILES)
    train = make_flagged_sequences(n_train, length, seed)
    test = make_flagged_sequences(n_test, length, seed + 1)
    say = (lambda *args: None) if quiet else print
    say(f"flagged-number task: {n_train} training and {n_test} test sequences of {length} tokens [number, flag]")

    attention_model = AttentionRegressor(dim=2, head_dim=4, seed=seed)
    baseline_model = MeanPoolRegressor(dim=2, hidden=8, seed=seed)
    losses = {}
    for name, model in (("self-attention", attention_model), ("mean pooling", baseline_model)):
        say(f"training {name} ({model.num_parameters()} parameters, {steps} steps)...")
        losses[name] = _train(model, train, steps, batch_size, lr, seed)

    attention_mse, attention_mae = _errors(attention_model, test)
    baseline_mse, baseline_mae = _errors(baseline_model, test)
    result = AttentionDemoResult(
        attention_mse,
        baseline_mse,
        attention_mae,
        baseline_mae,
        _flagged_attention(attention_model, test),
        length,
        attention_model,
        baseline_model,
        losses,
    )
    say(result.table())

    example = test.sequences[0]
    attention_model(example)
    result.example_sequence = [list(token) for token in example]
    result.example_weights = attention_model.attention.last_weights
    if output is not None:
        labels = [f"{number:+.2f}" + (" (flag)" if flag else "") for number, flag in example]
        with output.writing() as staging:
            plot_attention(
                result.example_weights,
                query_labels=[f"query {i}" for i in range(length)],
                key_labels=labels,
                title=f"Where each position looks (target {test.targets[0]:+.2f})",
                path=staging / "attention.png",
            )
            plot_loss_curves(
                result.train_losses,
                title="Training loss: attending vs averaging",
                ylabel="mean squared error",
                logy=True,
                xlabel="training step",
                path=staging / "training_loss.png",
            )
        result.figures = [Path(out) / name for name in OUTPUT_FILES]
        say(f"saved {result.figures[0]} and {result.figures[1]}")
    return result
