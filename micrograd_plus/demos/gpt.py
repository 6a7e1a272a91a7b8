"""The capstone: a tiny GPT learns 28,829 first names from scalars, beats the bigram, and invents new names.

run_gpt(GPTConfig()) trains the GPT of gpt.py on the reference split of the names (90% train, 10% held out),
compares it on the held-out names with two baselines (the uniform guess, ln 27; a bigram model fitted in closed
form by counting), samples names at a temperature, and writes the loss curves, an attention heatmap per head,
the model as JSON and a drawing of one attention score's graph. With `load`, a saved model samples without
training.
"""

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..datasets.names import (
    BOUNDARY,
    LONGEST_NAME,
    VOCAB,
    Bigram,
    decode,
    encode,
    load_names,
    split_names,
    uniform_loss,
)
from ..engine import Value, no_gc
from ..files import OutputFolder
from ..gpt import GPT, sample
from ..gpt_functional import rms_norm
from ..nn import MLP, check_count
from ..optim import Adam
from ..saved_model import MAX_PARAMETERS, SavedModel, load_model, save_model
from ..train import check_finite, check_graph_size
from ..viz.graph import draw_graph
from . import format_table

__all__ = ["GPTConfig", "GPTResult", "train_gpt", "evaluate_gpt", "sample_names", "save_gpt", "load_gpt", "run_gpt"]

DEFAULT_OUT = "gpt_output"
NETWORK = "gpt"  # the network's name in the saved model file
CHECKPOINTS = 10  # held-out loss measured this many times during training, for the curves
CHECKPOINT_NAMES = 200  # ... on this many held-out names (the final report uses all of them)
EVALUATION_BATCH = 100  # names measured together: each weight matrix read once for all their letters
# A training step's graph, measured on 2 cores: about 9 KB a position, plus per layer 3 KB per number of its
# vector and 7.5 bytes per n_embd² (the cost of a number grows with the width): 244 MB at 4,096 positions of
# width 16, 241 MB at 512 of width 128, 218 MB at 256 of width 192, 203 MB at 256 of width 64 in 4 layers.
POSITION_BYTES, WIDTH_BYTES, WIDTH_SQUARED_BYTES = 9000, 3000, 7.5


@dataclass
class GPTConfig:
    """The tiny GPT's hyperparameters: its size, how it trains (Adam, lr decaying to 0), how it samples.

    Each field's "help" says what it means (the command line shows it).
    """

    n_layer: int = field(default=1, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=16, metadata={"help": "width of every vector"})
    n_head: int = field(default=4, metadata={"help": "attention heads per block"})
    block_size: int = field(default=16, metadata={"help": "context length, in tokens"})
    steps: int = field(default=1000, metadata={"help": "training steps"})
    batch_size: int = field(default=4, metadata={"help": "names per step"})
    lr: float = field(default=0.01, metadata={"help": "Adam's learning rate, falling linearly to 0"})
    temperature: float = field(
        default=0.8, metadata={"help": "divides the logits before sampling: below 1 safer names, above 1 wilder ones"}
    )
    samples: int = field(default=20, metadata={"help": "names to sample"})
    seed: int = field(default=0, metadata={"help": "seed for the weights, the order of the names and the samples"})

    def __post_init__(self):
        for name in ("steps", "batch_size", "samples"):
            check_count(name, getattr(self, name))
        for name in ("lr", "temperature"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not number > 0.0:
                raise ValueError(f"{name} must be a number > 0, got {number!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be a whole number, got {self.seed!r}")
        count = GPT.count_parameters(self.model_arguments())  # None: a size GPT() refuses, below
        if count is not None and count > MAX_PARAMETERS:
            raise ValueError(
                f"this GPT would have {count:,} parameters, over the limit of {MAX_PARAMETERS:,} (each a Value in "
                "memory, and its model file must stay readable); make n_embd, n_layer or block_size smaller"
            )
        if count is not None:  # a step reads each name and the token after it; a sample may fill the context
            positions = max(self.batch_size * min(self.block_size, LONGEST_NAME + 1), self.block_size)
            width = self.n_embd * (WIDTH_BYTES + WIDTH_SQUARED_BYTES * self.n_embd)
            megabytes = positions * (POSITION_BYTES + self.n_layer * width) / 2**20
            what = "a sample as long as block_size" if positions == self.block_size else "a training step"
            what += f": n_embd {self.n_embd} x n_layer {self.n_layer} over {positions:,} positions"
            check_graph_size(megabytes, what, "make batch_size, block_size, n_embd or n_layer smaller")
        GPT(**self.model_arguments(), seed=self.seed)  # the model checks its own sizes

    def model_arguments(self) -> dict[str, int]:
        """The GPT constructor's size arguments."""
        names = ("block_size", "n_embd", "n_head", "n_layer")
        return {"vocab_size": len(VOCAB), **{name: getattr(self, name) for name in names}}

    def to_dict(self) -> dict:
        """The hyperparameters as plain JSON data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GPTConfig":
        """The GPTConfig that `to_dict()` described: every one, since a default is not what was used."""
        known = set(cls.__dataclass_fields__)
        unknown, missing = sorted(set(data) - known), sorted(known - set(data))
        if unknown:
            raise ValueError(f"unknown hyperparameters {unknown}; the known ones are {sorted(known)}")
        if missing:
            raise ValueError(
                f"missing hyperparameters {missing}; a saved model records them all (a default is not what was used)"
            )
        return cls(**data)

    def output_files(self, trained: bool) -> list[str]:
        """The files run_gpt writes: the model and its loss curves when it trains, the drawings always."""
        heads = [f"attention_head{head}.png" for head in range(self.n_head)]
        return (["model.json", "loss_curves.png"] if trained else []) + heads + ["attention_score.png"]


@dataclass
class GPTResult:
    """What run_gpt measured and made."""

    model: GPT
    config: GPTConfig
    losses: dict[str, float]  # held-out loss (mean negative log-likelihood per token) of each model
    samples: list[str]
    new_samples: int  # how many distinct samples are names (not empty) that are not training names
    distinct_samples: int = 0  # how many distinct names (not empty) the samples hold
    train_losses: list[float] = field(default_factory=list)  # one per step
    curves: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    files: list[Path] = field(default_factory=list)

    def table(self) -> str:
        """The held-out losses as aligned text, one model per line."""
        rows = [[name, f"{loss:.3f}"] for name, loss in self.losses.items()]
        return format_table(["model", "held-out loss"], rows, "<>")


def _tokens(name: str, block_size: int) -> list[int]:
    return encode(name)[: block_size + 1]  # a name longer than the context is cut (none is, at block_size 16)


def batch_loss(model: GPT, names: Sequence[str]) -> Value:
    """Mean cross-entropy per predicted token over all of `names` (longer names weigh more, as in PyTorch)."""
    return model.batch_loss([_tokens(name, model.block_size) for name in names])


def evaluate_gpt(model: GPT, names: Sequence[str]) -> float:
    """Mean negative log-likelihood per predicted token (natural log) on `names`, on floats: no graph, no training."""
    if not names:
        raise ValueError("there are no names to evaluate on; give at least one")
    total, count = 0.0, 0
    for first in range(0, len(names), EVALUATION_BATCH):
        sequences = [_tokens(name, model.block_size) for name in names[first : first + EVALUATION_BATCH]]
        tokens = sum(len(sequence) - 1 for sequence in sequences)
        total += model.evaluate(sequences) * tokens
        count += tokens
    return total / count


def train_gpt(
    model: GPT,
    names: Sequence[str],
    steps: int,
    batch_size: int = 4,
    lr: float = 0.01,
    seed: int = 0,
    on_checkpoint: Callable[[int], None] | None = None,
    progress: bool = True,
) -> list[float]:
    """Adam on shuffled batches of `names`; the learning rate falls linearly from `lr` to 0. Losses of each step.

    `on_checkpoint(step)` is called CHECKPOINTS times, evenly spread, after a step (e.g. to measure the held-out
    loss). progress=True prints how training goes: one line rewritten in place on a terminal, else every 10%.
    """
    check_count("steps", steps)
    check_count("batch_size", batch_size)
    if isinstance(names, str):  # a str is a sequence of one-letter names: surely not what was meant
        raise TypeError(f"names must be a list of names, got the string {names!r:.40}; pass [{names!r:.40}]")
    optimizer = Adam(model.parameters(), lr=lr, betas=(0.85, 0.99))
    order = list(names)
    rng = random.Random(seed)
    rng.shuffle(order)
    terminal = progress and sys.stdout.isatty()
    every = max(1, steps // CHECKPOINTS)
    losses, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        first = (step - 1) * batch_size
        batch = [order[(first + i) % len(order)] for i in range(batch_size)]  # in order, round and round
        optimizer.lr = lr * (1.0 - (step - 1) / steps)
        with no_gc():
            loss = batch_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(check_finite(loss.data, f"the loss at step {step}", "Lower the learning rate (lr)."))
        del loss  # this step's graph goes now, not once the next one is built: one graph at a time
        if on_checkpoint is not None and step % every == 0:
            on_checkpoint(step)
        if progress and (terminal or step % every == 0 or step == steps):
            recent = losses[-every:]
            line = (
                f"step {step}/{steps}  loss {sum(recent) / len(recent):.3f} (mean of the last {len(recent)})  "
                f"{time.perf_counter() - start:.0f}s"
            )
            print(("\r" + line) if terminal else line, end="" if terminal else "\n", flush=True)
    if terminal:
        print()
    return losses


def sample_names(model: GPT, count: int, temperature: float = 1.0, seed: int = 0) -> list[str]:
    """`count` names drawn from the model at `temperature` (see gpt.sample), from random.Random(seed)."""
    rng = random.Random(seed)
    with no_gc():
        return [decode(sample(model, rng, temperature, BOUNDARY)) for _ in range(count)]


def save_gpt(path: str | Path, model: GPT, config: GPTConfig) -> Path:
    """The model in the one saved-model format (saved_model.py): class, sizes, every parameter, hyperparameters."""
    return save_model(path, SavedModel({NETWORK: model}, hyperparameters=config, data={"source": "names.txt"}))


def load_gpt(path: str | Path) -> tuple[GPT, GPTConfig]:
    """The model and hyperparameters that save_gpt wrote to `path`, each field checked."""
    saved = load_model(path, classes={"GPT": GPT, "MLP": MLP})  # an MLP's file reads, then is refused by name
    if NETWORK not in saved.networks or saved.hyperparameters is None:
        raise ValueError(f"{str(path)!r} is a model file, but not of a tiny GPT; write one with `micrograd-plus gpt`")
    model = saved.networks[NETWORK]
    try:
        config = GPTConfig.from_dict(saved.hyperparameters)
        if config.model_arguments() != model.constructor_arguments():
            raise ValueError(f"they describe GPT(**{config.model_arguments()}), but the network is {model!r}")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is a damaged model file (field hyperparameters): {error}") from None
    return model, config


def _figures(folder: Path, result: GPTResult, name: str) -> None:
    """The loss curves, a heatmap per head for `name`, and the graph of one attention score, into `folder`."""
    from ..viz.plots import plot_attention, plot_loss_curves  # matplotlib, only when figures are asked for

    if result.curves:
        every = len(result.train_losses) // len(next(iter(result.curves.values())))
        plot_loss_curves(
            result.curves,
            title="Tiny GPT on first names: loss per predicted letter",
            ylabel="cross-entropy (nats per token)",
            xlabel=f"checkpoint (every {every} steps of {result.config.batch_size} names)",
            path=folder / "loss_curves.png",
        )
    model = result.model
    tokens = _tokens(name, model.block_size)[:-1]
    labels = [VOCAB[token] for token in tokens]
    with no_gc():
        model(tokens)
        attention = model.layers[0].attn
        for head, weights in enumerate(attention.last_weights):
            title = f"Head {head}: where each letter of {name!r} looks"
            plot_attention(weights, labels, labels, title=title, path=folder / f"attention_head{head}.png")
        xs = [rms_norm(x) for x in model.embed(tokens)]  # what layer 0's attention reads
        score = attention.score(xs[-1], xs[0])  # the last letter reading the first, in head 0
        half = len(score._children) // 2
        names = {child: f"{'qk'[i // half]}[{i % half}]" for i, child in enumerate(score._children)}
        names[score] = "score"
        draw_graph(score, names=names, max_nodes=len(score._children) + 1, show_grad=False).save(
            folder / "attention_score.png"
        )


def _chunk_means(losses: list[float], chunks: int) -> list[float]:
    size = len(losses) // chunks
    return [sum(losses[k * size : (k + 1) * size]) / size for k in range(chunks)]


def run_gpt(
    config: GPTConfig | None = None,
    out: str | Path | None = "gpt_output",
    load: str | Path | None = None,
    quiet: bool = False,
) -> GPTResult:
    """Train the tiny GPT (or load one), compare it with the baselines on the held-out names, sample, save.

    With `load` (a model.json this function wrote) there is no training: the saved model is evaluated and
    sampled with `config`'s temperature, samples and seed. `out` None writes nothing.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    config = GPTConfig() if config is None else config
    if load is None:
        model, trained_with = GPT(**config.model_arguments(), seed=config.seed), config
    else:
        model, trained_with = load_gpt(load)
    files = trained_with.output_files(trained=load is None)
    output = None if out is None else OutputFolder(out, files)  # checked now, not after the training
    say = (lambda *args: None) if quiet else print
    if load is not None:
        say(f"loaded {model!r} from {load}: no training")
    train, held_out = split_names(load_names())
    say(
        f"tiny GPT ({model.num_parameters():,} parameters) on first names: {len(train):,} training and "
        f"{len(held_out):,} held-out names"
    )
    bigram = Bigram.fit(train)
    result = GPTResult(model, trained_with, {}, [], 0)
    if load is None:
        say(f"training: {config.steps} steps of {config.batch_size} names, Adam with lr {config.lr} falling to 0")
        checkpoint_names, test_curve = held_out[:CHECKPOINT_NAMES], []
        checkpoint = lambda step: test_curve.append(evaluate_gpt(model, checkpoint_names))
        result.train_losses = train_gpt(
            model, train, config.steps, config.batch_size, config.lr, config.seed, checkpoint, not quiet
        )
        bigram_test = bigram.loss(checkpoint_names)
        result.curves = {
            f"GPT: train (mean of the last {config.steps // len(test_curve)} steps)": _chunk_means(
                result.train_losses, len(test_curve)
            ),
            f"GPT: test (first {len(checkpoint_names)} held-out names)": test_curve,
            "bigram: test (same names)": [bigram_test] * len(test_curve),
        }
    result.losses = {
        "uniform guess (ln 27)": uniform_loss(),
        "bigram counts (closed form, add-0.1)": bigram.loss(held_out),
        f"tiny GPT ({model.num_parameters():,} parameters)": evaluate_gpt(model, held_out),
    }
    result.samples = sample_names(model, config.samples, config.temperature, config.seed)
    distinct = {name for name in result.samples if name}  # a name drawn twice is one name
    result.distinct_samples, result.new_samples = len(distinct), len(distinct - set(train))
    say(result.table())
    say(_verdict(result.losses))
    say(
        f"{config.samples} samples at temperature {config.temperature} (the logits are divided by it before the "
        "softmax: below 1 favours the likeliest letters, above 1 gives rarer ones more chance):"
    )
    say("  " + " ".join(name or "(empty)" for name in result.samples))
    empty = result.samples.count("")
    say(
        f"{len(distinct)} distinct names among the {config.samples} samples{f' ({empty} empty)' if empty else ''}: "
        f"{result.new_samples} of them new (not among the {len(train):,} training names)"
    )
    if output is not None:
        with output.writing() as staging:
            if load is None:
                save_gpt(staging / "model.json", model, config)
            _figures(staging, result, next((name for name in result.samples if name), "emma"))
        result.files = [Path(out) / name for name in files]
    result.seconds, result.cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    say(f"time: {result.seconds:.1f} s ({result.cpu_seconds:.1f} s of CPU)")
    if result.files:
        say(f"saved in {out}: {', '.join(path.name for path in result.files)}")
    return result


def _verdict(losses: dict[str, float]) -> str:
    uniform, bigram, gpt = losses.values()
    if gpt < bigram:
        return f"the GPT beats the bigram by {bigram - gpt:.3f} nats per token on names it never saw"
    return f"the GPT does not beat the bigram yet ({gpt - bigram:.3f} nats per token behind): train it longer"
