"""A tiny GPT from scalars: token and position embeddings, causal multi-head self-attention, an MLP, RMSNorm,
residual connections, and logits over the next token, trained with cross-entropy.

The architecture is GPT-2's, made small and simplified the way current models are: RMSNorm without a gain
instead of LayerNorm, no biases, ReLU in the MLP. Every weight is a Value; the heavy maths runs in fused
nodes: a linear layer is one node per output and a softmax output one node (functional.py); an RMSNorm scale,
an attention score q·k/sqrt(d) and the loss of a position are one node each (below).

Parameters come in tensor-like groups named as in PyTorch code: `wte` (token embeddings), `wpe` (position
embeddings), `layers.0.attn.wq`, ..., `lm_head`; each is a list of rows, so the scalar `layers.0.attn.wq.3.7`
is row 3, column 7 of the query matrix of layer 0.
"""

import math
import random
from collections.abc import Sequence
from operator import mul

from .engine import Value
from .functional import linear, softmax
from .nn import Module, as_rng, check_count

__all__ = [
    "GPT",
    "Block",
    "CausalSelfAttention",
    "FeedForward",
    "sample",
    "parameter_groups",
    "rms_norm",
    "attention_scores",
    "softmax_cross_entropy",
]

INIT_STD = 0.08  # initial weights are Gaussian with this spread: small enough that early logits are near 0

Matrix = list[list[Value]]


# ---- the GPT's fused ops: one node per idea, local derivatives beside the forward rule ------------------------


def rms_norm(x: Sequence[Value], eps: float = 1e-5) -> list[Value]:
    """x_i / sqrt(mean(x**2) + eps): torch.nn.functional.rms_norm without a weight.

    One node computes the scale s = (mean(x**2) + eps) ** -0.5, with d s/d x_j = -x_j * s**3 / n; then each
    output is x_i * s, an ordinary product. (A node per output with all n inputs as children would need n*n
    local derivatives instead of 3n.)
    """
    children = tuple(x)
    data = [a.data for a in children]
    n = len(data)
    s = (sum(map(mul, data, data)) / n + eps) ** -0.5
    slope = -(s**3) / n
    scale = Value(s, children, tuple(slope * a for a in data), "1/rms")
    return [a * scale for a in children]


def attention_scores(query: Sequence[Value], keys: Sequence[Sequence[Value]]) -> list[Value]:
    """score_t = query·key_t / sqrt(d), one node per key, d the vectors' length.

    d score_t/d query_i = key_t[i] / sqrt(d) and d score_t/d key_t[i] = query_i / sqrt(d). Dividing by
    sqrt(d) keeps scores near unit size however wide the heads are.
    """
    q = tuple(query)
    scale = 1.0 / math.sqrt(len(q))
    q_scaled = tuple([a.data * scale for a in q])
    scores = []
    for key in keys:
        key = tuple(key)
        k_data = [b.data for b in key]
        scores.append(
            Value(sum(map(mul, q_scaled, k_data)), q + key, tuple([b * scale for b in k_data]) + q_scaled, "q·k/√d")
        )
    return scores


def softmax_cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-ln softmax(logits)[target] = logsumexp(logits) - logits[target], one node.

    d loss/d logit_j = softmax(logits)_j - [j == target]: the predicted probability minus the true one.
    """
    children = tuple(logits)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(children):
        raise ValueError(f"target must be a class index in 0..{len(children) - 1}, got {target!r}")
    data = [v.data for v in children]
    top = max(data)
    exps = [math.exp(a - top) for a in data]
    total = sum(exps)
    local = [e / total for e in exps]
    local[target] -= 1.0
    loss = top + math.log(total) - data[target]
    return Value(loss, children, tuple(local), "cross-entropy")


# ---- the model ---------------------------------------------------------------------------------------------------


def _matrix(rng: random.Random, rows: int, columns: int) -> Matrix:
    return [[Value(rng.gauss(0.0, INIT_STD)) for _ in range(columns)] for _ in range(rows)]


def _add(a: list[Value], b: list[Value]) -> list[Value]:
    return [x + y for x, y in zip(a, b, strict=True)]


class CausalSelfAttention(Module):
    """`n_head` heads, each attending from every position to itself and the positions before it.

    Queries, keys and values are linear maps of each position's vector (wq, wk, wv: n_embd x n_embd); head h
    uses columns h*head_dim .. (h+1)*head_dim of them; the heads' outputs, side by side, go through wo.
    After each call `last_weights[h][i][j]` is how much position i read from position j in head h (floats).
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

    def forward(self, xs: Sequence[list[Value]]) -> list[list[Value]]:
        queries, keys, values = linear(xs, self.wq), linear(xs, self.wk), linear(xs, self.wv)
        length = len(xs)
        heads: list[list[Value]] = [[] for _ in xs]  # heads[i]: every head's output at position i, side by side
        self.last_weights = []
        for h in range(self.n_head):
            columns = slice(h * self.head_dim, (h + 1) * self.head_dim)
            head_keys = [k[columns] for k in keys]
            head_values = list(zip(*(v[columns] for v in values)))  # head_values[c][j]: column c of value j
            rows = []
            for i, query in enumerate(queries):
                weights = softmax(attention_scores(query[columns], head_keys[: i + 1]))  # causal: keys 0..i
                heads[i].extend(linear(weights, [column[: i + 1] for column in head_values]))
                rows.append([w.data for w in weights] + [0.0] * (length - i - 1))
            self.last_weights.append(rows)
        return linear(heads, self.wo)

    def __repr__(self) -> str:
        return f"CausalSelfAttention({self.n_embd}, n_head={self.n_head})"


class FeedForward(Module):
    """The MLP of a block: relu(x fc1^T) fc2^T, widening to 4 * n_embd and back, at each position alone."""

    def __init__(self, n_embd: int, seed: int | random.Random = 0):
        rng = as_rng(seed)
        self.fc1 = _matrix(rng, 4 * n_embd, n_embd)
        self.fc2 = _matrix(rng, n_embd, 4 * n_embd)

    def forward(self, xs: list[list[Value]]) -> list[list[Value]]:
        return linear([[h.relu() for h in hidden] for hidden in linear(xs, self.fc1)], self.fc2)


class Block(Module):
    """x + attn(norm(x)), then x + mlp(norm(x)): each sub-layer adds to the residual stream."""

    def __init__(self, n_embd: int, n_head: int, seed: int | random.Random = 0):
        rng = as_rng(seed)
        self.attn = CausalSelfAttention(n_embd, n_head, rng)
        self.mlp = FeedForward(n_embd, rng)

    def forward(self, xs: list[list[Value]]) -> list[list[Value]]:
        xs = [_add(x, a) for x, a in zip(xs, self.attn([rms_norm(x) for x in xs]))]
        return [_add(x, m) for x, m in zip(xs, self.mlp([rms_norm(x) for x in xs]))]


class GPT(Module):
    """A decoder-only transformer over tokens 0..vocab_size-1, with a context of `block_size` tokens.

    model(tokens) gives one list of `vocab_size` logits per position: the scores for the token that comes next.
    model.loss(tokens) is the mean cross-entropy of predicting tokens[1:] from what comes before each.
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

    def forward(self, tokens: Sequence[int]) -> list[list[Value]]:
        self._check_tokens(tokens, self.block_size)
        xs = [rms_norm(_add(self.wte[token], self.wpe[position])) for position, token in enumerate(tokens)]
        for layer in self.layers:
            xs = layer(xs)
        return linear(xs, self.lm_head)

    def loss(self, tokens: Sequence[int]) -> Value:
        """Mean cross-entropy of each next token given the ones before it (natural log, per token)."""
        self._check_tokens(tokens, self.block_size + 1)
        if len(tokens) < 2:
            raise ValueError(f"the loss needs at least 2 tokens (one to read, one to predict), got {len(tokens)}")
        losses = [softmax_cross_entropy(logits, target) for logits, target in zip(self(tokens[:-1]), tokens[1:])]
        return sum(losses[1:], losses[0]) * (1.0 / len(losses))

    def _check_tokens(self, tokens: Sequence[int], limit: int) -> None:
        if not 1 <= len(tokens) <= limit:
            raise ValueError(
                f"this GPT reads 1 to {self.block_size} tokens at a time (block_size), got {len(tokens)}; "
                "shorten the sequence or build the model with a larger block_size"
            )
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
        logits = [v.data / temperature for v in model(tokens)[-1]]
        top = max(logits)
        weights = [math.exp(a - top) for a in logits]
        token = rng.choices(range(len(weights)), weights=weights)[0]
        if token == boundary:
            break
        tokens.append(token)
    return tokens[1:]
