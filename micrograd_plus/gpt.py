"""A tiny GPT from scalars: token and position embeddings, causal multi-head self-attention, an MLP, RMSNorm,
residual connections, and logits over the next token, trained with cross-entropy.

The architecture is GPT-2's, made small and simplified the way current models are: RMSNorm without a gain
instead of LayerNorm, no biases, ReLU in the MLP. Every weight is a Value. The heavy maths runs in fused nodes
(gpt_functional.py): the attention of a block, its MLP, and the logits with their cross-entropy are one node
each, over every position of a batch at once; RMSNorm is a scale node and one product per entry, and the
residual connections are plain additions. benchmarks/gpt_fused.py trains the same model written in plain ops.

Parameters come in tensor-like groups named as in PyTorch code: `wte` (token embeddings), `wpe` (position
embeddings), `layers.0.attn.wq`, ..., `lm_head`; each is a list of rows, so the scalar `layers.0.attn.wq.3.7`
is row 3, column 7 of the query matrix of layer 0.
"""

import math
import random
from collections.abc import Sequence

from .engine import Value
from .functional import linear
from .gpt_functional import (
    attention_rule,
    attention_scores,
    causal_self_attention,
    embedding,
    embedding_rule,
    feed_forward,
    feed_forward_rule,
    linear_layer,
    next_token_loss,
    next_token_loss_rule,
    rms_norm,
    rms_scale,
    softmax_cross_entropy,
)
from .nn import Module, as_rng, check_count

__all__ = [
    "GPT",
    "Block",
    "CausalSelfAttention",
    "FeedForward",
    "sample",
    "parameter_groups",
    # the fused ops that lived here before gpt_functional.py, importable from here as before
    "rms_norm",
    "attention_scores",
    "softmax_cross_entropy",
]

INIT_STD = 0.08  # initial weights are Gaussian with this spread: small enough that early logits are near 0

Matrix = list[list[Value]]


# ---- the model ---------------------------------------------------------------------------------------------------


def _matrix(rng: random.Random, rows: int, columns: int) -> Matrix:
    return [[Value(rng.gauss(0.0, INIT_STD)) for _ in range(columns)] for _ in range(rows)]


def _add(a: list[Value], b: list[Value]) -> list[Value]:
    return [x + y for x, y in zip(a, b, strict=True)]


def _data(matrix: Matrix) -> list[list[float]]:
    return [[v.data for v in row] for row in matrix]


def _norm(x: list[float]) -> list[float]:  # rms_norm on floats: the same products
    s = rms_scale(x)
    return [a * s for a in x]


def _add_data(xs: list[list[float]], ys: list[list[float]]) -> list[list[float]]:
    return [[a + b for a, b in zip(x, y)] for x, y in zip(xs, ys)]


class CausalSelfAttention(Module):
    """`n_head` heads, each attending from every position to itself and the positions before it.

    Queries, keys and values are linear maps of each position's vector (wq, wk, wv: n_embd x n_embd); head h
    uses columns h*head_dim .. (h+1)*head_dim of them; the heads' outputs, side by side, go through wo.
    forward(xs, lengths) reads sequences of these lengths one after another in xs (default: one sequence).
    After each call `last_weights[h][i][j]` is how much position i read from position j in head h (floats),
    in the last sequence.
    """

    def __init__(self, n_embd: int, n_head: int, seed: int | random.Random = 0):
        self.n_embd = check_count("n_embd", n_embd)
        self.n_head = check_count("n_head", n_head)
        if n_embd % n_head:
            raise ValueError(
                f"n_embd must be a multiple of n_head to split it evenly among the heads, got {n_embd} and {n_head}"
            )
        self.head_dim = n_embd // n_head
        rng = as_rng(seed)
        self.wq = _matrix(rng, n_embd, n_embd)
        self.wk = _matrix(rng, n_embd, n_embd)
        self.wv = _matrix(rng, n_embd, n_embd)
        self.wo = _matrix(rng, n_embd, n_embd)
        self.last_weights: list[list[list[float]]] = []

    def forward(self, xs: Sequence[list[Value]], lengths: Sequence[int] | None = None) -> list[list[Value]]:
        out, weights = causal_self_attention(xs, self.wq, self.wk, self.wv, self.wo, self.n_head, lengths)
        self.last_weights = weights[-1]
        return out

    def score(self, query_x: list[Value], key_x: list[Value], head: int = 0) -> Value:
        """One attention score of `head`, q·k/sqrt(head_dim), as a small graph of its own (for drawings and lessons).

        q and k are linear maps of the two positions' (normed) vectors, one dot node per entry; the attention node
        computes the same number inside, with all the others.
        """
        rows = slice(head * self.head_dim, (head + 1) * self.head_dim)
        query, key = linear(query_x, self.wq[rows]), linear(key_x, self.wk[rows])
        return attention_scores(query, [key])[0]

    def __repr__(self) -> str:
        return f"CausalSelfAttention({self.n_embd}, n_head={self.n_head})"


class FeedForward(Module):
    """The MLP of a block: relu(x fc1^T) fc2^T, widening to 4 * n_embd and back, at each position alone."""

    def __init__(self, n_embd: int, seed: int | random.Random = 0):
        rng = as_rng(seed)
        self.fc1 = _matrix(rng, 4 * n_embd, n_embd)
        self.fc2 = _matrix(rng, n_embd, 4 * n_embd)

    def forward(self, xs: list[list[Value]]) -> list[list[Value]]:
        return feed_forward(xs, self.fc1, self.fc2)


class Block(Module):
    """x + attn(norm(x)), then x + mlp(norm(x)): each sub-layer adds to the residual stream."""

    def __init__(self, n_embd: int, n_head: int, seed: int | random.Random = 0):
        rng = as_rng(seed)
        self.attn = CausalSelfAttention(n_embd, n_head, rng)
        self.mlp = FeedForward(n_embd, rng)

    def forward(self, xs: list[list[Value]], lengths: Sequence[int] | None = None) -> list[list[Value]]:
        xs = [_add(x, a) for x, a in zip(xs, self.attn([rms_norm(x) for x in xs], lengths))]
        return [_add(x, m) for x, m in zip(xs, self.mlp([rms_norm(x) for x in xs]))]


class GPT(Module):
    """A decoder-only transformer over tokens 0..vocab_size-1, with a context of `block_size` tokens.

    model(tokens) gives one list of `vocab_size` logits per position: the scores for the token that comes next.
    model.loss(tokens) is the mean cross-entropy of predicting tokens[1:] from what comes before each;
    model.batch_loss(sequences) the same over every predicted token of several sequences.
    """

    def __init__(
        self,
        vocab_size: int = 27,
        block_size: int = 16,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        seed: int | random.Random = 0,
    ):
        self.vocab_size = check_count("vocab_size", vocab_size)
        self.block_size = check_count("block_size", block_size)
        self.n_embd = check_count("n_embd", n_embd)
        self.n_head = check_count("n_head", n_head)
        self.n_layer = check_count("n_layer", n_layer)
        rng = as_rng(seed)
        self.wte = _matrix(rng, vocab_size, n_embd)  # row t: the vector of token t, learned like any weight
        self.wpe = _matrix(rng, block_size, n_embd)  # row p: the vector added at position p
        self.layers = [Block(n_embd, n_head, rng) for _ in range(n_layer)]
        self.lm_head = _matrix(rng, vocab_size, n_embd)  # one row of weights per possible next token

    def constructor_arguments(self) -> dict[str, int]:
        """The sizes GPT(**arguments) needs to rebuild this architecture (saved_model.save_model stores them)."""
        names = ("vocab_size", "block_size", "n_embd", "n_head", "n_layer")
        return {name: getattr(self, name) for name in names}

    @staticmethod
    def count_parameters(arguments: dict) -> int | None:
        """How many parameters GPT(**arguments) would make, counted without making them (None: GPT will say why not).

        saved_model.load_model asks first, so a file cannot make us build a model far larger than it holds.
        """
        names = ("vocab_size", "block_size", "n_embd", "n_head", "n_layer")
        sizes = {name: arguments.get(name, default) for name, default in zip(names, (27, 16, 16, 4, 1))}
        if not all(type(size) is int and size > 0 for size in sizes.values()):
            return None
        vocab, block, embd = sizes["vocab_size"], sizes["block_size"], sizes["n_embd"]
        per_block = 4 * embd * embd + 2 * 4 * embd * embd  # wq wk wv wo, then fc1 and fc2
        return 2 * vocab * embd + block * embd + sizes["n_layer"] * per_block  # wte and lm_head, wpe, the blocks

    def forward(self, tokens: Sequence[int]) -> list[list[Value]]:
        self._check_tokens(tokens, self.block_size)
        return linear_layer(self._hidden([tokens]), self.lm_head)

    def loss(self, tokens: Sequence[int]) -> Value:
        """Mean cross-entropy of each next token given the ones before it (natural log, per token)."""
        return self.batch_loss([tokens])

    def batch_loss(self, batch: Sequence[Sequence[int]]) -> Value:
        """loss() over every predicted token of every sequence in `batch` (longer ones weigh more, as in PyTorch).

        All the positions go through each module together: one node per module for the whole batch.
        """
        targets = self._targets(batch)
        return next_token_loss(self._hidden([tokens[:-1] for tokens in batch]), self.lm_head, targets)

    def evaluate(self, batch: Sequence[Sequence[int]]) -> float:
        """batch_loss(batch).data computed on plain floats, without a graph: for measuring, at about half the cost.

        The same maths, step for step: each module's rule of gpt_functional.py is the one its node runs.
        """
        targets, lengths = self._targets(batch), [len(tokens) - 1 for tokens in batch]
        xs = [_norm(x) for x in embedding_rule(_data(self.wte), _data(self.wpe), [t[:-1] for t in batch])[0]]
        for layer in self.layers:
            attn, mlp = layer.attn, layer.mlp
            weights = [_data(w) for w in (attn.wq, attn.wk, attn.wv, attn.wo)]
            xs = _add_data(xs, attention_rule([_norm(x) for x in xs], *weights, attn.n_head, lengths)[0])
            xs = _add_data(xs, feed_forward_rule([_norm(x) for x in xs], _data(mlp.fc1), _data(mlp.fc2))[0])
        return next_token_loss_rule(xs, _data(self.lm_head), targets)[0]

    def _targets(self, batch: Sequence[Sequence[int]]) -> list[int]:
        """The tokens to predict in `batch`, one sequence after another, once each sequence is checked."""
        if not batch:
            raise ValueError("the batch is empty; give at least one sequence of 2 or more tokens")
        for tokens in batch:
            self._check_tokens(tokens, self.block_size + 1)
            if len(tokens) < 2:
                raise ValueError(f"the loss needs at least 2 tokens (one to read, one to predict), got {len(tokens)}")
        return [token for tokens in batch for token in tokens[1:]]

    def embed(self, tokens: Sequence[int]) -> list[list[Value]]:
        """The vector each token starts as: norm(its token embedding + its position's), the input of layer 0."""
        return [rms_norm(x) for x in embedding(self.wte, self.wpe, [tokens])]

    def _hidden(self, sequences: Sequence[Sequence[int]]) -> list[list[Value]]:
        """The last block's vector at every position of `sequences`, one after another."""
        xs = [rms_norm(x) for x in embedding(self.wte, self.wpe, sequences)]  # one node for the whole batch
        lengths = [len(tokens) for tokens in sequences]
        for layer in self.layers:
            xs = layer(xs, lengths)
        return xs

    def _check_tokens(self, tokens: Sequence[int], limit: int) -> None:
        if not 1 <= len(tokens) <= limit:
            raise ValueError(
                f"this GPT reads 1 to {self.block_size} tokens at a time (block_size), got {len(tokens)}; "
                "shorten the sequence or build the model with a larger block_size"
            )
        if isinstance(tokens, str):
            raise TypeError(f"a GPT reads token numbers, not text: pass encode({tokens!r:.40}), not the name itself")
        for token in tokens:
            if isinstance(token, bool) or not isinstance(token, int) or not 0 <= token < self.vocab_size:
                raise ValueError(f"tokens must be whole numbers in 0..{self.vocab_size - 1}, got {token!r}")

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={number}" for name, number in self.constructor_arguments().items())
        return f"GPT({arguments})"


def parameter_groups(model: Module) -> dict[str, tuple[int, ...]]:
    """{group name: shape} in parameter order, a group being a name minus its row and column indices.

    parameter_groups(GPT()) starts {"wte": (27, 16), "wpe": (16, 16), "layers.0.attn.wq": (16, 16), ...}.
    """
    shapes: dict[str, list[int]] = {}
    for name, _ in model.named_parameters():
        parts = name.split(".")
        indices = []
        while parts and parts[-1].isdigit():
            indices.insert(0, int(parts.pop()))
        shape = shapes.setdefault(".".join(parts), [0] * len(indices))
        for axis, index in enumerate(indices):
            shape[axis] = max(shape[axis], index + 1)
    return {group: tuple(shape) for group, shape in shapes.items()}


def sample(
    model: GPT, rng: random.Random, temperature: float = 1.0, boundary: int = 0, max_tokens: int | None = None
) -> list[int]:
    """Draw tokens one at a time from softmax(logits / temperature), from `boundary` until `boundary` again.

    Temperature divides the logits before the softmax: below 1 it sharpens the distribution (safer, more
    common choices), above 1 it flattens it (more surprising ones); near 0 it always picks the likeliest token.
    Returns the drawn tokens without the boundaries, at most `max_tokens` (default: the model's block_size - 1).
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0.0:
        raise ValueError(f"temperature must be a number > 0 (1.0 samples the model as trained), got {temperature!r}")
    limit = model.block_size - 1 if max_tokens is None else max_tokens
    tokens = [boundary]
    while len(tokens) <= limit:
        logits = [v.data for v in model(tokens)[-1]]
        top = max(logits)
        if not math.isfinite(top):
            raise ValueError(f"the model's logits are not finite (the largest is {top}); its weights are damaged")
        # the largest logit subtracted before dividing: no overflow at any temperature, and one so small that every
        # other weight underflows to 0 is greedy decoding
        weights = [math.exp((a - top) / temperature) for a in logits]
        token = rng.choices(range(len(weights)), weights=weights)[0]
        if token == boundary:
            break
        tokens.append(token)
    return tokens[1:]
