"""Attention, built from scalars: scaled dot-product attention and a single-head SelfAttention.

Attention lets each position of a sequence decide how much to read from every other position:
query i scores key j by q_i·k_j / sqrt(d), softmax turns a row of scores into weights that sum
to 1, and output i is the weighted average of the value vectors. Every number is a Value, so
backward() reaches the weights, the projections and the inputs through the same chain rule.
"""

import math
import random
from collections.abc import Sequence
from numbers import Real

from .engine import Value, as_value
from .functional import dot, softmax
from .nn import Layer, Module, as_rng, check_count

__all__ = ["scaled_dot_product_attention", "SelfAttention"]

Vectors = Sequence[Sequence[Value | float]]


def _as_vectors(vectors: object, name: str) -> list[list[Value]]:
    """`vectors` as a list of equal-length lists of Values, or a clear error naming `name`."""
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, Sequence):
        raise TypeError(
            f"{name} must be a list of vectors (a list of lists of Values or numbers), got {type(vectors).__name__}"
        )
    if not vectors:
        raise ValueError(f"{name} is empty; attention needs at least one vector")
    rows = []
    for index, vector in enumerate(vectors):
        if isinstance(vector, (str, bytes)) or not isinstance(vector, Sequence):
            raise TypeError(
                f"{name}[{index}] must be a vector (a list of Values or numbers), got {type(vector).__name__}: "
                f"{vector!r}; a sequence of numbers x1, x2, ... is written [[x1], [x2], ...]"
            )
        if not vector:
            raise ValueError(f"{name}[{index}] is an empty vector; every vector needs at least one number")
        for position, x in enumerate(vector):
            if not isinstance(x, (Value, Real)):
                raise TypeError(
                    f"{name}[{index}][{position}] must be a Value or a number, got {type(x).__name__}: {x!r}"
                )
        rows.append([as_value(x) for x in vector])
    width = len(rows[0])
    for index, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(
                f"all vectors in {name} must have the same length: {name}[0] has {width} numbers "
                f"but {name}[{index}] has {len(row)}"
            )
    return rows


def scaled_dot_product_attention(
    queries: Vectors, keys: Vectors, values: Vectors, is_causal: bool = False, *, causal: bool | None = None
) -> tuple[list[list[Value]], list[list[Value]]]:
    """softmax(Q K^T / sqrt(d)) V for sequences of vectors; returns (outputs, weights).

    `queries` holds n_q vectors and `keys` n_k vectors, all of the same length d; `values` holds
    n_k vectors (one per key) of any common length. outputs[i] is the average of the value
    vectors weighted by weights[i], a row of n_k Values that sums to 1. With is_causal=True query i
    sees only keys 0..i (PyTorch's name; `causal=` is the older spelling): the masked weights are
    constant 0.0 leaves.
    """
    is_causal = _is_causal(is_causal, causal)
    queries = _as_vectors(queries, "queries")
    keys = _as_vectors(keys, "keys")
    values = _as_vectors(values, "values")
    if len(queries[0]) != len(keys[0]):
        raise ValueError(
            f"queries and keys must have the same vector length to be multiplied: queries have {len(queries[0])} "
            f"numbers each, keys have {len(keys[0])}"
        )
    if len(keys) != len(values):
        raise ValueError(
            f"there must be one value vector per key: got {len(keys)} keys and {len(values)} values; "
            "keys and values usually come from the same sequence"
        )
    scale = 1.0 / math.sqrt(len(queries[0]))  # keeps scores near unit size whatever d is
    columns = [list(column) for column in zip(*values)]  # columns[c][j] = values[j][c]
    outputs, weights = [], []
    for i, query in enumerate(queries):
        visible = keys[: i + 1] if is_causal else keys
        scores = [dot(query, key) * scale for key in visible]
        row = softmax(scores)
        outputs.append([dot(row, column[: len(row)]) for column in columns])
        weights.append(row + [Value(0.0) for _ in range(len(keys) - len(row))])
    return outputs, weights


class SelfAttention(Module):
    """One attention head over a sequence: each position's query, key and value are Layers of it.

    A sequence is a list of vectors of length `dim`; the output is one vector of length `head_dim`
    per position. The query, key and value projections are linear Layers (with biases, as in
    torch.nn.MultiheadAttention), drawn from `seed`. After each call, `last_weights` holds the
    attention weights as plain floats (rows: queries, columns: keys), ready for plot_attention.
    """

    def __init__(
        self,
        dim: int,
        head_dim: int | None = None,
        is_causal: bool = False,
        seed: int | random.Random = 0,
        *,
        causal: bool | None = None,
    ):
        self.dim = check_count("dim", dim)
        self.head_dim = check_count("head_dim", dim if head_dim is None else head_dim)
        self.is_causal = _is_causal(is_causal, causal)
        rng = as_rng(seed)
        self.query = Layer(self.dim, self.head_dim, activation="linear", seed=rng)
        self.key = Layer(self.dim, self.head_dim, activation="linear", seed=rng)
        self.value = Layer(self.dim, self.head_dim, activation="linear", seed=rng)
        self.last_weights: list[list[float]] = []  # floats, never Values: they are not parameters

    def forward(self, sequence: Vectors) -> list[list[Value]]:
        sequence = _as_vectors(sequence, "the sequence")
        if len(sequence[0]) != self.dim:
            raise ValueError(
                f"this SelfAttention expects vectors of length {self.dim} (dim={self.dim}), got vectors of length "
                f"{len(sequence[0])}; a sequence of numbers x1, x2, ... is written [[x1], [x2], ...]"
            )
        queries = [self.query.outputs(x) for x in sequence]
        keys = [self.key.outputs(x) for x in sequence]
        values = [self.value.outputs(x) for x in sequence]
        outputs, weights = scaled_dot_product_attention(queries, keys, values, is_causal=self.is_causal)
        self.last_weights = [[w.data for w in row] for row in weights]
        return outputs

    def __repr__(self) -> str:
        causal = ", is_causal=True" if self.is_causal else ""
        return f"SelfAttention({self.dim}, head_dim={self.head_dim}{causal})"


def _is_causal(is_causal: bool, causal: bool | None) -> bool:
    """PyTorch's `is_causal`, or the older name `causal` that lessons may still pass."""
    if causal is not None:
        if is_causal:
            raise ValueError("pass is_causal= or the older causal=, not both")
        return bool(causal)
    return bool(is_causal)
