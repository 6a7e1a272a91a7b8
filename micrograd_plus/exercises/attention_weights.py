"""Exercise for lesson 8: the attention weights of one query, by hand.

weights_j = softmax_j(q·k_j / sqrt(d)): a dot product per key, scaled by the square root of the vector
length d, then a softmax. The student writes it with plain floats and math.exp; the judge computes it
the same way (with the largest score subtracted first) and, when the numbers differ, tries the usual
slips (no scaling, dividing by d, no softmax, no exp) to name the one that was made.
"""

import math

from .checking import Exercise, Wrong, as_numbers, floats, require_callable

__all__ = ["attention_weights", "ATTENTION_CASES"]

# name, query, keys
ATTENTION_CASES: list[tuple[str, list[float], list[list[float]]]] = [
    ("lesson 8's first query", [1.0, 0.0], [[0.0, 0.0], [2.0, 2.0], [-1.0, 0.0]]),
    (
        "a query of length 4",
        [1.0, -0.5, 2.0, 0.0],
        [[0.5, 1.0, 1.0, -1.0], [2.0, 0.0, 0.5, 1.0], [-1.0, 1.0, 0.0, 0.0]],
    ),
    ("a sharp query", [3.0, 1.0, -2.0, 0.5], [[1.0, 1.0, -1.0, 0.0], [0.0, 2.0, 1.0, 1.0]]),
    ("a huge query (scores up to 1273)", [30.0, 30.0], [[30.0, 29.0], [29.0, 30.0], [30.0, 30.0], [0.0, 0.0]]),
]


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)  # exp(s - top) <= 1: never overflows, and softmax is unchanged by the shift
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _scores(query: list[float], keys: list[list[float]], scale: float) -> list[float]:
    return [sum(q * k for q, k in zip(query, key)) * scale for key in keys]


def reference_attention_weights(query: list[float], keys: list[list[float]]) -> list[float]:
    """softmax(q·k_j / sqrt(d)) over the keys, with plain floats."""
    d = len(query)
    scores = [sum(q * k for q, k in zip(query, key)) / math.sqrt(d) for key in keys]
    top = max(scores)  # subtract the largest score so that exp() never overflows
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def collect_attention(answer: object) -> dict:
    """The student's weights for each case (a list of floats, one per key)."""
    weights = require_callable(answer, "your function attention_weights(query, keys)")
    results = []
    for name, query, keys in ATTENTION_CASES:
        try:
            given = weights(list(query), [list(key) for key in keys])
        except OverflowError:
            raise Wrong(
                f"for {name}, exp() overflowed: the scores are near {max(_scores(query, keys, 1 / math.sqrt(2))):.0f}"
                " and exp(710) is already too big for a float. Subtract the largest score from every score before "
                "exp(): the softmax is unchanged, and exp() never sees more than 0"
            ) from None
        results.append(as_numbers(given, len(keys), f"the weights for {name}"))
    return {"weights": results}


_SLIPS = [  # what the student may have computed instead, and what to say
    (
        lambda q, ks: _softmax(_scores(q, ks, 1.0)),
        "you did not divide the scores by sqrt(d), the square root of the vector length",
    ),
    (lambda q, ks: _softmax(_scores(q, ks, 1.0 / len(q))), "you divided the scores by d; divide by sqrt(d)"),
    (
        lambda q, ks: _scores(q, ks, 1.0 / math.sqrt(len(q))),
        "these are the scaled scores; a softmax turns them into weights: exp(score) / the sum of exp over all keys",
    ),
    (
        lambda q, ks: [s / sum(_scores(q, ks, 1.0)) for s in _scores(q, ks, 1.0)],
        "you divided the scores by their "
        "sum; the softmax takes exp() of each scaled score first (so every weight is positive)",
    ),
]


def judge_attention(evidence: dict) -> str:
    """Each case's weights are softmax(q·k / sqrt(d)) to 1e-9."""
    results = evidence["weights"]
    if type(results) is not list or len(results) != len(ATTENTION_CASES):
        raise ValueError("expected one list of weights per case")
    for (name, query, keys), given in zip(ATTENTION_CASES, results, strict=True):
        given = floats(given, len(keys))
        expected = reference_attention_weights(query, keys)
        if all(abs(g - e) <= 1e-9 + 1e-7 * abs(e) for g, e in zip(given, expected)):
            continue
        shown = ", ".join(f"{w:.4g}" for w in given)
        right = ", ".join(f"{w:.4g}" for w in expected)
        where = f"for {name} your weights are [{shown}] but they are [{right}]"
        for slip, advice in _SLIPS:
            try:
                matches = all(abs(g - s) <= 1e-9 + 1e-7 * abs(s) for g, s in zip(given, slip(query, keys)))
            except (OverflowError, ZeroDivisionError):
                matches = False
            if matches:
                raise Wrong(f"{where}: {advice}")
        if abs(sum(given) - 1.0) > 1e-9:
            raise Wrong(f"{where}: weights sum to {sum(given):.4g}, not 1; divide each exp by the sum of them all")
        raise Wrong(f"{where}: score each key by the dot product q·k, scale by 1/sqrt(d), then take the softmax")
    return f"the weights agree with softmax(q·k / sqrt(d)) for all {len(ATTENTION_CASES)} queries, the huge one too."


attention_weights = Exercise(
    name="attention_weights",
    title="The attention weights of one query, by hand",
    lesson="08",
    collect=collect_attention,
    judge=judge_attention,
    hints=(
        "Three steps: one score per key (the dot product of the query with that key), scaled by 1/sqrt(d), then a "
        "softmax over the scores.",
        "softmax(s)_j = exp(s_j) / sum of exp(s_i) over all keys. For big scores exp() overflows: subtract the "
        "largest score from each first (the weights do not change).",
        "scores = [sum(q * k for q, k in zip(query, key)) / math.sqrt(len(query)) for key in keys]; top = "
        "max(scores); exps = [math.exp(s - top) for s in scores]; return [e / sum(exps) for e in exps]",
    ),
    reference=reference_attention_weights,
)
