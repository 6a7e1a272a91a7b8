"""Loss functions: one number saying how wrong the predictions are, built from Value ops. Each takes predictions
and targets as a single Value/number or as equal-length lists, and returns their mean (PyTorch's reduction="mean")."""

import math
from collections.abc import Sequence
from numbers import Real

from .engine import Value, as_value, make_node
from .floats import Slope
from .functional import add_all

__all__ = ["mse_loss", "l1_loss", "hinge_loss", "binary_cross_entropy_with_logits", "cross_entropy"]

Numbers = Value | float | Sequence[Value | float]  # one prediction (or target), or a list of them


def _pairs(predictions: Numbers, targets: Numbers, name: str, rule: str = "", allowed=None) -> list[tuple]:
    """(prediction, target) pairs, after checking they match and each target is a number `allowed` (`rule`)."""
    if not isinstance(predictions, Sequence):
        predictions, targets = [predictions], [targets]
    elif not isinstance(targets, Sequence):
        raise TypeError(f"{name}: predictions is a list but targets is {type(targets).__name__}; pass a list of both")
    if len(predictions) != len(targets):
        raise ValueError(f"{name}: got {len(predictions)} predictions but {len(targets)} targets; they must match")
    if not predictions:
        raise ValueError(f"{name}: got no predictions; the mean of nothing is undefined")
    for index, (p, t) in enumerate(zip(predictions, targets)):
        if isinstance(t, bool) or not isinstance(t, (Value, Real)) or not isinstance(p, (Value, Real)):
            raise TypeError(f"{name}: sample {index} needs a number as prediction and target: {p!r:.40}, {t!r:.40}")
        if allowed and not allowed(t.data if isinstance(t, Value) else t):
            raise ValueError(f"{name}: {rule}, got {t!r}")
    return [(as_value(p), t if isinstance(t, Value) else float(t)) for p, t in zip(predictions, targets)]


def _mean(terms: list[Value]) -> Value:
    return add_all(terms) * (1.0 / len(terms))


def mse_loss(predictions: Numbers, targets: Numbers) -> Value:
    """Mean squared error: mean((prediction - target)**2)."""
    return _mean([(p - t) ** 2 for p, t in _pairs(predictions, targets, "mse_loss")])


def l1_loss(predictions: Numbers, targets: Numbers) -> Value:
    """Mean absolute error: mean(|prediction - target|)."""
    return _mean([(p - t).abs() for p, t in _pairs(predictions, targets, "l1_loss")])


def hinge_loss(scores: Numbers, labels: Numbers) -> Value:
    """Mean hinge loss for labels ±1: mean(relu(1 - label * score)), micrograd's SVM loss."""
    pairs = _pairs(scores, labels, "hinge_loss", "labels must be +1 or -1", lambda label: label in (1.0, -1.0))
    return _mean([(1.0 - label * s).relu() for s, label in pairs])


def binary_cross_entropy_with_logits(logits: Numbers, targets: Numbers) -> Value:
    """Mean of softplus(x) - x*y for logit x and target y in [0, 1] (stable for any x): this is
    -[y ln sigmoid(x) + (1-y) ln(1 - sigmoid(x))], and its gradient is sigmoid(x) - y."""
    name, rule = "binary_cross_entropy_with_logits", "targets must be in [0, 1]"
    pairs = _pairs(logits, targets, name, rule, lambda y: 0.0 <= y <= 1.0)
    return _mean([x.softplus() - x * y for x, y in pairs])


def cross_entropy(logits: Sequence, target: int | Sequence[int]) -> Value:
    """-ln softmax(logits)[target] for one sample (a list of Values, a class index), or the mean over a batch
    (a list of such lists, a list of indices). One node per sample, computed as PyTorch's log_softmax: with
    s_j = x_j - max(x), loss = ln(sum_j exp(s_j)) - s_target (exact for huge logits: [1e8, 1e8] gives ln 2);
    d loss/dx_j = softmax(x)_j - (1 if j is the target else 0).
    """
    if not logits:
        raise ValueError("cross_entropy: got no logits; pass one score per class")
    if isinstance(logits[0], Sequence):
        if not isinstance(target, Sequence) or len(target) != len(logits):
            raise ValueError("cross_entropy: a batch of logits needs a list of target indices of the same length")
        return _mean([cross_entropy(row, t) for row, t in zip(logits, target)])
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target must be a class index in 0..{len(logits) - 1}, got {target!r}")
    logits = [as_value(x) for x in logits]
    top = max(x.data for x in logits)
    shifted = [x.data - top for x in logits]
    lse = math.log(sum(math.exp(s) for s in shifted))  # sum >= 1 (the max term is exp(0)) unless a nan or inf is in
    p = [math.exp(s - lse) for s in shifted]  # softmax(x); at the target p - 1, times grad PyTorch's -grad + p * grad
    local_grads = (*p[:target], Slope(p[target] - 1.0, lambda grad: -grad + p[target] * grad), *p[target + 1 :])
    return make_node(lse - shifted[target], tuple(logits), local_grads, "cross_entropy")
