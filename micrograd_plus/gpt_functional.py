"""The tiny GPT's fused ops: each module of the transformer is one graph node, its maths written once on floats.

Written with plain ops, the GPT makes a node for every product and sum: one training step of 4 names is a
graph of about 250,000 nodes and 450,000 edges, and backward() pays Python's price at each edge. Here a
module is one node over all the positions of a batch (a step: about 9,000 nodes, 14,000 edges). Its rule
(below, on floats) is a few matrix products, with its backward beside it: the chain rule of those products
(for Y = X Wᵀ and G = d loss/d Y: d loss/d X = G W, d loss/d W = Gᵀ X). Each entry of a product is an inner
product, sum(map(mul, row, column)), whose loop runs in C.

Matrices are lists of rows. tests/test_gpt_functional.py checks every op against PyTorch float64 and finite
differences (gradcheck).
"""

import math
from collections.abc import Callable, Sequence
from itertools import chain
from operator import mul

from .engine import Value, make_node
from .floats import ZERO_SLOPE

__all__ = [
    "node_with_outputs",
    "rms_scale",
    "embedding_rule",
    "linear_rule",
    "feed_forward_rule",
    "attention_rule",
    "next_token_loss_rule",
    "cross_entropy_rule",
    "rms_norm",
    "embedding",
    "attention_scores",
    "softmax_cross_entropy",
    "linear_layer",
    "feed_forward",
    "causal_self_attention",
    "next_token_loss",
]

Matrix = Sequence[Sequence[Value]]
Floats = list[list[float]]


# ---- matrices of floats --------------------------------------------------------------------------------------------


def _products(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> Floats:
    """A Bᵀ: entry [r][c] is the inner product of row r of `a` and row c of `b`."""
    return [[sum(map(mul, row, other)) for other in b] for row in a]


def _columns(a: Sequence[Sequence[float]]) -> list[tuple[float, ...]]:
    """The columns of `a`: its transpose, so that _products(a, _columns(b)) is A B."""
    return list(zip(*a))


def _data(matrix: Matrix) -> Floats:
    return [[v.data for v in row] for row in matrix]


# ---- one node, many outputs ----------------------------------------------------------------------------------------


def node_with_outputs(op: str, inputs: Sequence[Matrix], data: Floats, backward: Callable) -> list[list[Value]]:
    """One node `op` over the Values of the matrices `inputs`, whose outputs are Values holding `data`.

    `backward(grads)`, given grads[t][i] = d loss/d output[t][i], returns d loss/d input for each matrix of
    `inputs` (floats, the same shapes): the op's chain rule. The engine keeps one gradient per Value and a node
    must not hold its outputs (that would be a reference cycle), so each output passes its gradient to a cell:
    a leaf child with d output/d cell = 1. The node is the other child of every output, so backward() reaches
    it after all of them; it reads the cells, empties them for the next pass, and adds the gradients it
    returns to its children's.
    """
    node = make_node(0.0, tuple(chain.from_iterable(chain(*matrix) for matrix in inputs)), (), op)
    cells = [[make_node(0.0, (), (), "") for _ in row] for row in data]

    def chain_rule() -> None:
        grads = [[cell.grad for cell in row] for row in cells]
        for row in cells:
            for cell in row:
                cell.grad = 0.0
        for matrix, matrix_grads in zip(inputs, backward(grads), strict=True):
            for row, row_grads in zip(matrix, matrix_grads):
                for v, g in zip(row, row_grads):
                    v.grad += g

    node._backward = chain_rule  # the engine calls it once every output has its gradient
    return [
        [make_node(y, (cell, node), (1.0, ZERO_SLOPE), op) for y, cell in zip(row, cell_row)]
        for row, cell_row in zip(data, cells)
    ]


# ---- the maths on floats: each rule gives its outputs and its backward (output gradients -> input gradients) -------


def rms_scale(x: Sequence[float], eps: float = 1e-5) -> float:
    """s = (mean(x**2) + eps) ** -0.5, so that x * s has a root mean square of about 1."""
    return (sum(map(mul, x, x)) / len(x) + eps) ** -0.5


def linear_rule(x: Floats, w: Floats) -> tuple[Floats, Callable]:
    """Y = X Wᵀ: y[t][i] = sum_j W[i][j] x[t][j]; with G = d loss/d Y, d loss/d X = G W and d loss/d W = Gᵀ X."""

    def backward(g: Floats) -> tuple[Floats, Floats]:
        return _products(g, _columns(w)), _products(_columns(g), _columns(x))

    return _products(x, w), backward


def feed_forward_rule(x: Floats, w1: Floats, w2: Floats) -> tuple[Floats, Callable]:
    """Y = relu(X w1ᵀ) w2ᵀ, a transformer block's MLP at every position.

    With A = X w1ᵀ, H = relu(A) and G = d loss/d Y: d loss/d w2 = Gᵀ H; d loss/d H = G w2, which relu passes
    where A > 0 (its derivative is 1 there, else 0) to give D = d loss/d A; then d loss/d X = D w1 and
    d loss/d w1 = Dᵀ X.
    """
    a = _products(x, w1)
    h = [[z if z > 0.0 else 0.0 for z in row] for row in a]

    def backward(g: Floats) -> tuple[Floats, Floats, Floats]:
        dh = _products(g, _columns(w2))
        d = [[dz if z > 0.0 else 0.0 for dz, z in zip(dh_row, a_row)] for dh_row, a_row in zip(dh, a)]
        return _products(d, _columns(w1)), _products(_columns(d), _columns(x)), _products(_columns(g), _columns(h))

    return _products(h, w2), backward


def _attend(q: Floats, k: Floats, v: Floats, n_head: int, lengths: Sequence[int]):
    """The heads of causal attention on floats: (O, the weights A[sequence][head], backward: dO -> dQ, dK, dV).

    In head h (columns h*d .. (h+1)*d), position i of a sequence reads positions j <= i: S = Q Kᵀ / sqrt(d),
    A = softmax of each row of S over j <= i (0 after i), O = A V. With G = d loss/d O: d loss/d A = G Vᵀ and
    d loss/d V = Aᵀ G; softmax's rule gives d loss/d S_ij = A_ij (dA_ij - sum_k A_ik dA_ik); then
    d loss/d Q = dS K / sqrt(d) and d loss/d K = dSᵀ Q / sqrt(d).
    """
    d = len(q[0]) // n_head
    scale = 1.0 / math.sqrt(d)
    out, weights, blocks = [[] for _ in q], [], []
    start = 0
    for length in lengths:
        rows = range(start, start + length)
        weights.append([])
        for h in range(n_head):
            columns = slice(h * d, (h + 1) * d)
            q_h, k_h, v_h = ([m[t][columns] for t in rows] for m in (q, k, v))
            a = []
            for i, scores in enumerate(_products(q_h, k_h)):
                top = max(scores[: i + 1])
                exps = [math.exp((s - top) * scale) for s in scores[: i + 1]]
                total = sum(exps)
                a.append([e / total for e in exps] + [0.0] * (length - i - 1))
            for t, o in zip(rows, _products(a, _columns(v_h))):
                out[t].extend(o)
            weights[-1].append(a)
            blocks.append((rows, columns, q_h, k_h, v_h, a))
        start += length

    def backward(g: Floats) -> tuple[Floats, Floats, Floats]:
        dq, dk, dv = ([[] for _ in q] for _ in range(3))
        for rows, columns, q_h, k_h, v_h, a in blocks:
            g_h = [g[t][columns] for t in rows]
            da = _products(g_h, v_h)
            ds = [
                [p * (x - sum(map(mul, a_row, da_row))) * scale for p, x in zip(a_row, da_row)]
                for a_row, da_row in zip(a, da)
            ]
            for grads, rows_of_block in (
                (dq, _products(ds, _columns(k_h))),
                (dk, _products(_columns(ds), _columns(q_h))),
                (dv, _products(_columns(a), _columns(g_h))),
            ):
                for t, row in zip(rows, rows_of_block):
                    grads[t].extend(row)
        return dq, dk, dv

    return out, weights, backward


def attention_rule(
    x: Floats, wq: Floats, wk: Floats, wv: Floats, wo: Floats, n_head: int, lengths: Sequence[int]
) -> tuple[Floats, Callable, list]:
    """Multi-head causal self-attention over sequences of `lengths`, one after another in X.

    Q = X wqᵀ, K = X wkᵀ, V = X wvᵀ; the heads of _attend give O; Y = O woᵀ. Backward runs the same steps in
    reverse, each a linear layer's rule or _attend's: d loss/d wo = Gᵀ O, d loss/d O = G wo, then dQ, dK, dV,
    and d loss/d X = dQ wq + dK wk + dV wv. Also returns the attention weights A[sequence][head].
    """
    o, weights, attend_backward = _attend(_products(x, wq), _products(x, wk), _products(x, wv), n_head, lengths)

    def backward(g: Floats) -> tuple[Floats, ...]:
        dq, dk, dv = attend_backward(_products(g, _columns(wo)))
        dqkv = [a + b + c for a, b, c in zip(dq, dk, dv)]  # d loss/d X = dQ wq + dK wk + dV wv, as one product
        dx = _products(dqkv, _columns(wq + wk + wv))
        dw = [_products(_columns(dm), _columns(x)) for dm in (dq, dk, dv)]
        return dx, *dw, _products(_columns(g), _columns(o))

    return _products(o, wo), backward, weights


def embedding_rule(te: Floats, pe: Floats, sequences: Sequence[Sequence[int]]) -> tuple[Floats, Callable]:
    """x = te[token] + pe[position] at every position of every sequence (torch's two nn.Embedding lookups).

    Its backward is dense, as torch's is: d loss/d te and d loss/d pe are whole matrices, each row the sum of G
    over the places that read it, and 0 for a token or position the batch never read. (Adam then moves those rows
    too, on the momentum of earlier steps, exactly as torch.optim.Adam moves an embedding's rows.)
    """
    places = [(token, position) for tokens in sequences for position, token in enumerate(tokens)]
    x = [[a + b for a, b in zip(te[token], pe[position])] for token, position in places]

    def backward(grads: Floats) -> tuple[Floats, Floats]:
        d_te, d_pe = [[0.0] * len(row) for row in te], [[0.0] * len(row) for row in pe]
        for (token, position), g in zip(places, grads):
            d_te[token] = [a + b for a, b in zip(d_te[token], g)]
            d_pe[position] = [a + b for a, b in zip(d_pe[position], g)]
        return d_te, d_pe

    return x, backward


def cross_entropy_rule(logits: Sequence[float], target: int) -> tuple[float, list[float]]:
    """-ln softmax(logits)[target] = logsumexp(logits) - logits[target], and its derivatives.

    d loss/d logit_j = softmax(logits)_j - [j == target]: the predicted probability minus the true one.
    """
    top = max(logits)  # subtracted before exp(), which then never overflows
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    slopes = [e / total for e in exps]
    slopes[target] -= 1.0
    return top + math.log(total) - logits[target], slopes


def next_token_loss_rule(x: Floats, w: Floats, targets: Sequence[int]) -> tuple[float, Callable]:
    """mean_t -ln softmax(W x_t)[targets[t]]: the mean cross-entropy of the logits W x_t.

    With N positions, d loss/d logits_t = D_t = cross_entropy_rule's derivatives / N; then d loss/d X = D W
    and d loss/d W = Dᵀ X.
    """
    n = len(x)
    losses, d = zip(*(cross_entropy_rule(logits, target) for logits, target in zip(_products(x, w), targets)))

    def backward(g: Floats) -> tuple[Floats, Floats]:
        dl = [[g[0][0] / n * slope for slope in row] for row in d]  # times the loss's own gradient
        return _products(dl, _columns(w)), _products(_columns(dl), _columns(x))

    return sum(losses) / n, backward


# ---- the ops on Values: each a node (or a few), the rules above give the numbers -----------------------------------


def rms_norm(x: Sequence[Value], eps: float = 1e-5) -> list[Value]:
    """x_i / sqrt(mean(x**2) + eps): torch.nn.functional.rms_norm without a weight.

    One node computes the scale s = (mean(x**2) + eps) ** -0.5, with d s/d x_j = -x_j * s**3 / n; then each
    output is x_i * s, an ordinary product. (A node per output with all n inputs as children would need n*n
    local derivatives instead of 3n.)
    """
    children = tuple(x)
    data = [a.data for a in children]
    s = rms_scale(data, eps)
    slope = -(s**3) / len(data)
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
    """-ln softmax(logits)[target] (cross_entropy_rule) for one vector of logits that are Values, one node."""
    children = tuple(logits)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(children):
        raise ValueError(f"target must be a class index in 0..{len(children) - 1}, got {target!r}")
    loss, slopes = cross_entropy_rule([v.data for v in children], target)
    return Value(loss, children, tuple(slopes), "cross-entropy")


def embedding(wte: Matrix, wpe: Matrix, sequences: Sequence[Sequence[int]]) -> list[list[Value]]:
    """wte[token] + wpe[position] at every position of `sequences` (embedding_rule), as one node: every row of both
    tables is a child, so every one gets a gradient, as in torch (0 where the batch has no such token)."""
    return node_with_outputs("embedding", (wte, wpe), *embedding_rule(_data(wte), _data(wpe), sequences))


def linear_layer(xs: Matrix, weight: Matrix) -> list[list[Value]]:
    """Y = X Wᵀ (linear_rule): every row of `weight` times every vector of `xs` (one per position), as one node."""
    return node_with_outputs("X·Wᵀ", (xs, weight), *linear_rule(_data(xs), _data(weight)))


def feed_forward(xs: Matrix, fc1: Matrix, fc2: Matrix) -> list[list[Value]]:
    """Y = relu(X fc1ᵀ) fc2ᵀ (feed_forward_rule), a transformer block's MLP at every position, as one node."""
    return node_with_outputs("mlp", (xs, fc1, fc2), *feed_forward_rule(_data(xs), _data(fc1), _data(fc2)))


def causal_self_attention(
    xs: Matrix, wq: Matrix, wk: Matrix, wv: Matrix, wo: Matrix, n_head: int, lengths: Sequence[int] | None = None
) -> tuple[list[list[Value]], list[list[list[list[float]]]]]:
    """Multi-head causal self-attention (attention_rule) over sequences of `lengths` in xs, as one node.

    Returns the outputs and the attention weights (floats): weights[s][h][i][j] is how much position i of
    sequence s read from position j in head h.
    """
    lengths = [len(xs)] if lengths is None else list(lengths)
    if sum(lengths) != len(xs):
        raise ValueError(f"the lengths of the sequences must add up to the {len(xs)} vectors, got {lengths}")
    out, backward, weights = attention_rule(_data(xs), *(_data(w) for w in (wq, wk, wv, wo)), n_head, lengths)
    return node_with_outputs("attention", (xs, wq, wk, wv, wo), out, backward), weights


def next_token_loss(xs: Matrix, weight: Matrix, targets: Sequence[int]) -> Value:
    """The mean cross-entropy of the logits W x_t for targets[t] (next_token_loss_rule), as one node.

    The logits never become Values: the node's children are the weights and the vectors.
    """
    _check_targets(targets, len(xs), len(weight))
    loss, backward = next_token_loss_rule(_data(xs), _data(weight), targets)
    return node_with_outputs("next-token loss", (xs, weight), [[loss]], backward)[0][0]


def _check_targets(targets: Sequence[int], count: int, vocab: int) -> None:
    """Raise ValueError unless `targets` are `count` class indices in 0..vocab-1."""
    if len(targets) != count:
        raise ValueError(f"next_token_loss() needs one target per vector: {count} vectors, got {len(targets)}")
    for target in targets:
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < vocab:
            raise ValueError(f"targets must be class indices in 0..{vocab - 1}, got {target!r}")
