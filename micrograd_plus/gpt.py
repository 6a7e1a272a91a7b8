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
from itertools import chain
from operator import mul

from .engine import Value, make_node
from .floats import ZERO_SLOPE
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


def _products(a: list[Sequence[float]], b: list[Sequence[float]]) -> list[list[float]]:
    """A Bᵀ for matrices of floats as lists of rows: entry [r][c] is the inner product of row r of a and row c of b."""
    return [[sum(map(mul, row, other)) for other in b] for row in a]


def _columns(a: list[Sequence[float]]) -> list[tuple[float, ...]]:
    """The columns of a (its transpose)."""
    return list(zip(*a))


def _accumulate(values: Sequence[Sequence[Value]], grads: list[list[float]]) -> None:
    """values[r][c].grad += grads[r][c]: the last step of the chain rule, into the children of a node."""
    for row, grad_row in zip(values, grads):
        for v, g in zip(row, grad_row):
            v.grad += g


def _data(rows: Sequence[Sequence[Value]]) -> list[list[float]]:
    return [[v.data for v in row] for row in rows]


def node_with_outputs(op: str, children: tuple, data: list[list[float]], backward) -> list[list[Value]]:
    """One node `op` over `children` whose outputs are Values holding `data` (rows of floats).

    `backward(grads)`, given grads[t][i] = d loss/d output[t][i], adds d loss/d child to every child's grad:
    the op's chain rule, in a few matrix products. The engine keeps one gradient per Value and a node must not
    hold its outputs (a reference cycle), so each output passes its gradient to a cell: a leaf child with
    d output/d cell = 1. The node itself is the other child of every output, so backward() reaches it after
    all of them; it reads the cells, applies `backward`, and empties the cells for the next pass.
    """
    node = make_node(0.0, children, (), op)
    cells = [[make_node(0.0, (), (), "") for _ in row] for row in data]

    def chain_rule() -> None:
        grads = [[cell.grad for cell in row] for row in cells]
        for row in cells:
            for cell in row:
                cell.grad = 0.0
        backward(grads)

    node._backward = chain_rule  # the engine calls it once all the outputs have their gradients
    return [
        [make_node(y, (cell, node), (1.0, ZERO_SLOPE), op) for y, cell in zip(row, cell_row)]
        for row, cell_row in zip(data, cells)
    ]


def linear_layer(xs: Sequence[Sequence[Value]], weight: Matrix) -> list[list[Value]]:
    """Y = X Wᵀ: each row of `weight` times each vector of `xs` (one per position), as one node.

    y[t][i] = sum_j W[i][j] x[t][j]. The local derivatives are those of a matrix product: with
    G[t][i] = d loss/d y[t][i], d loss/d W = Gᵀ X and d loss/d X = G W, each entry one inner product.
    """
    x_data, w_data = _data(xs), _data(weight)

    def backward(g):
        _accumulate(weight, _products(_columns(g), _columns(x_data)))  # d loss/d W = Gᵀ X
        _accumulate(xs, _products(g, _columns(w_data)))  # d loss/d X = G W

    children = tuple(chain(*weight, *xs))
    return node_with_outputs("X·Wᵀ", children, _products(x_data, w_data), backward)


def feed_forward(xs: Sequence[Sequence[Value]], fc1: Matrix, fc2: Matrix) -> list[list[Value]]:
    """Y = relu(X fc1ᵀ) fc2ᵀ, a block's MLP at every position, as one node.

    With A = X fc1ᵀ, H = relu(A) and G = d loss/d Y: d loss/d fc2 = Gᵀ H; d loss/d H = G fc2, which passes
    relu where A > 0 (relu's derivative is 1 there, else 0) to give D = d loss/d A; d loss/d fc1 = Dᵀ X and
    d loss/d X = D fc1.
    """
    x_data, fc1_data, fc2_data = _data(xs), _data(fc1), _data(fc2)
    a = _products(x_data, fc1_data)
    h = [[v if v > 0.0 else 0.0 for v in row] for row in a]

    def backward(g):
        _accumulate(fc2, _products(_columns(g), _columns(h)))  # d loss/d fc2 = Gᵀ H
        dh = _products(g, _columns(fc2_data))  # d loss/d H = G fc2
        d = [[gv if av > 0.0 else 0.0 for gv, av in zip(g_row, a_row)] for g_row, a_row in zip(dh, a)]
        _accumulate(fc1, _products(_columns(d), _columns(x_data)))  # d loss/d fc1 = Dᵀ X
        _accumulate(xs, _products(d, _columns(fc1_data)))  # d loss/d X = D fc1

    children = tuple(chain(*fc1, *fc2, *xs))
    return node_with_outputs("mlp", children, _products(h, fc2_data), backward)


def scaled_dot_product_attention(
    queries: Sequence[Sequence[Value]],
    keys: Sequence[Sequence[Value]],
    values: Sequence[Sequence[Value]],
    n_head: int,
    lengths: Sequence[int] | None = None,
) -> tuple[list[list[Value]], list[list[list[list[float]]]]]:
    """Causal attention of every head over sequences of `lengths` (one after another), as one node.

    In head h (columns h*d .. (h+1)*d of each vector), position i of a sequence reads positions j <= i:
    S = Q Kᵀ / sqrt(d), A = softmax of each row of S over j <= i, O = A V. With G = d loss/d O:
    d loss/d A = G Vᵀ, d loss/d V = Aᵀ G; d loss/d S_ij = A_ij (dA_ij - sum_k A_ik dA_ik) (softmax's rule);
    d loss/d Q = dS K / sqrt(d) and d loss/d K = dSᵀ Q / sqrt(d). Returns the outputs (the heads side by
    side, as torch.nn.functional.scaled_dot_product_attention with is_causal=True) and the weights A[s][h].
    """
    q_data, k_data, v_data = _data(queries), _data(keys), _data(values)
    d = len(q_data[0]) // n_head
    scale = 1.0 / math.sqrt(d)
    blocks, out, weights = [], [[] for _ in q_data], []  # blocks: (rows, columns, A, V) for the backward
    start = 0
    for length in [len(q_data)] if lengths is None else lengths:
        rows = slice(start, start + length)
        weights.append([])
        for h in range(n_head):
            columns = slice(h * d, (h + 1) * d)
            q, k, v = ([r[columns] for r in m[rows]] for m in (q_data, k_data, v_data))
            a = []
            for i, scores in enumerate(_products(q, k)):
                top = max(scores[: i + 1])
                exps = [math.exp((s - top) * scale) for s in scores[: i + 1]]
                total = sum(exps)
                a.append([e / total for e in exps] + [0.0] * (length - i - 1))
            for i, o in enumerate(_products(a, _columns(v))):
                out[start + i].extend(o)
            blocks.append((rows, columns, a, v, q, k))
            weights[-1].append(a)
        start += length

    def backward(g):
        for rows, columns, a, v, q, k in blocks:
            g_h = [r[columns] for r in g[rows]]
            da = _products(g_h, v)  # d loss/d A = G Vᵀ
            ds = [
                [p * (x - sum(map(mul, a_row, da_row))) * scale for p, x in zip(a_row, da_row)]
                for a_row, da_row in zip(a, da)
            ]  # softmax's rule, times the 1/sqrt(d) of S
            _accumulate([r[columns] for r in values[rows]], _products(_columns(a), _columns(g_h)))  # Aᵀ G
            _accumulate([r[columns] for r in queries[rows]], _products(ds, _columns(k)))  # dS K
            _accumulate([r[columns] for r in keys[rows]], _products(_columns(ds), _columns(q)))  # dSᵀ Q

    children = tuple(chain(*queries, *keys, *values))
    return node_with_outputs("attention", children, out, backward), weights


def next_token_loss(xs: Sequence[Sequence[Value]], weight: Matrix, targets: Sequence[int]) -> Value:
    """mean_t -ln softmax(W x_t)[targets[t]]: the logits W x_t and their cross-entropy, one node.

    The logits never become Values. With N positions and P_t = softmax(W x_t), d loss/d logits_t =
    D_t = (P_t - onehot(targets[t])) / N: the predicted probabilities minus the true ones. Then
    d loss/d W = Dᵀ X and d loss/d X = D W, the local derivatives of the node, computed here.
    """
    vocab = len(weight)
    if len(targets) != len(xs):
        raise ValueError(f"next_token_loss() needs one target per vector: {len(xs)} vectors, got {len(targets)}")
    x_data, w_data = _data(xs), _data(weight)
    n = len(xs)
    total, d = 0.0, []
    for logits, target in zip(_products(x_data, w_data), targets):
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < vocab:
            raise ValueError(f"targets must be class indices in 0..{vocab - 1}, got {target!r}")
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        s = sum(exps)
        total += top + math.log(s) - logits[target]
        d_t = [e / s / n for e in exps]
        d_t[target] -= 1.0 / n
        d.append(d_t)
    local = chain(*_products(_columns(d), _columns(x_data)), *_products(d, _columns(w_data)))
    return make_node(total / n, tuple(chain(*weight, *xs)), tuple(local), "cross-entropy")


# ---- the model ---------------------------------------------------------------------------------------------------


def _matrix(rng: random.Random, rows: int, columns: int) -> Matrix:
    return [[Value(rng.gauss(0.0, INIT_STD)) for _ in range(columns)] for _ in range(rows)]


def _add(a: list[Value], b: list[Value]) -> list[Value]:
    return [x + y for x, y in zip(a, b, strict=True)]


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
        queries, keys, values = (linear_layer(xs, w) for w in (self.wq, self.wk, self.wv))
        heads, weights = scaled_dot_product_attention(queries, keys, values, self.n_head, lengths)
        self.last_weights = weights[-1]
        return linear_layer(heads, self.wo)

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

    def forward(self, tokens: Sequence[int]) -> list[list[Value]]:
        self._check_tokens(tokens, self.block_size)
        return linear_layer(self._hidden([tokens]), self.lm_head)

    def loss(self, tokens: Sequence[int]) -> Value:
        """Mean cross-entropy of each next token given the ones before it (natural log, per token)."""
        return self.batch_loss([tokens])

    def batch_loss(self, batch: Sequence[Sequence[int]]) -> Value:
        """loss() over every predicted token of every sequence in `batch` (longer ones weigh more, as in PyTorch).

        All the positions go through each linear map together: one node per layer for the whole batch.
        """
        for tokens in batch:
            self._check_tokens(tokens, self.block_size + 1)
            if len(tokens) < 2:
                raise ValueError(f"the loss needs at least 2 tokens (one to read, one to predict), got {len(tokens)}")
        targets = [token for tokens in batch for token in tokens[1:]]
        return next_token_loss(self._hidden([tokens[:-1] for tokens in batch]), self.lm_head, targets)

    def _hidden(self, sequences: Sequence[Sequence[int]]) -> list[list[Value]]:
        """The last block's vector at every position of `sequences`, one after another."""
        xs = [
            rms_norm(_add(self.wte[token], self.wpe[position]))
            for tokens in sequences
            for position, token in enumerate(tokens)
        ]
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
