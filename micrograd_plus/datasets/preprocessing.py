"""Preparing data for training: standardisation, a seeded train/test split, and mini-batches.

Gradient descent works best when every feature has a similar scale: a lot size in thousands of square feet
next to a 0/1 air-conditioning flag would make one weight's gradient thousands of times the other's.
So features (and the target) are standardised, (x - mean) / std, with the mean and std of the training
rows only; the same numbers transform the test rows and undo the scaling afterwards, so the learned
weights can be reported in real units (`linear_in_original_units`).
"""

import math
import random
from collections.abc import Sequence

from ..nn import check_count
from .dataset import MAX_MAGNITUDE, Dataset, check_number

__all__ = ["Standardizer", "standardise", "train_test_split", "batches", "linear_in_original_units"]

_MIN_SCALE = 1.0 / MAX_MAGNITUDE  # dividing by a smaller spread would blow values past MAX_MAGNITUDE


class Standardizer:
    """Rescale each column to mean 0 and standard deviation 1, and back; fit on training data only.

    Features (rows of columns): `fit(X)`, `transform(X)`, `inverse_transform(X)`.
    A target (a plain list of numbers): `fit_target(y)`, `transform_target(y)`, `inverse_transform_target(y)`;
    these treat the list as one column, so use a separate Standardizer for the target.
    A column with no spread (std 0, or below 1e-100) gets scale 1.0, so it is only shifted, never divided by
    (nearly) zero. Means and scales given or read from a file must be finite numbers within ±1e100.
    `to_dict()` / `from_dict()` turn the fitted numbers into plain JSON data and back.
    """

    def __init__(self, mean: Sequence[float] | None = None, scale: Sequence[float] | None = None):
        if (mean is None) != (scale is None):
            raise ValueError("Standardizer needs both mean and scale, or neither (then call fit())")
        self.mean = None if mean is None else [check_number(m, f"mean[{i}]") for i, m in enumerate(mean)]
        self.scale = None if scale is None else [check_number(s, f"scale[{i}]") for i, s in enumerate(scale)]
        if self.mean is not None:
            if len(self.mean) != len(self.scale):
                raise ValueError(f"mean has {len(self.mean)} columns but scale has {len(self.scale)}")
            for index, s in enumerate(self.scale):
                if not s >= _MIN_SCALE:
                    raise ValueError(f"scale[{index}] is {s}; every scale must be a positive number >= {_MIN_SCALE}")

    def __repr__(self) -> str:
        return f"Standardizer(mean={self.mean}, scale={self.scale})"

    def fit(self, X: Sequence[Sequence[float]]) -> "Standardizer":
        """Learn each column's mean and standard deviation (population std, as sklearn) from `X`."""
        if not X:
            raise ValueError("Standardizer.fit() needs at least one row, got none")
        means, scales = [], []
        for index, column in enumerate(zip(*X)):
            try:
                mean = sum(column) / len(column)
                std = math.sqrt(sum((x - mean) ** 2 for x in column) / len(column))
            except OverflowError:
                std = math.inf
            if not math.isfinite(std):
                raise ValueError(
                    f"column {index} (counting from 0) holds NaN, infinite, or values too large to standardise "
                    "(the sum of their squares overflows a float); rescale it, e.g. into thousands"
                )
            means.append(mean)
            scales.append(std if std >= _MIN_SCALE else 1.0)
        self.mean, self.scale = means, scales
        return self

    def transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """(x - mean) / scale for every cell."""
        self._check_fitted(X)
        return [[(x - m) / s for x, m, s in zip(row, self.mean, self.scale)] for row in X]

    def inverse_transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """x * scale + mean for every cell: undoes transform()."""
        self._check_fitted(X)
        return [[x * s + m for x, m, s in zip(row, self.mean, self.scale)] for row in X]

    def fit_transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)

    def fit_target(self, y: Sequence[float]) -> "Standardizer":
        """Learn the mean and standard deviation of a plain list of targets."""
        return self.fit([[value] for value in y])

    def transform_target(self, y: Sequence[float]) -> list[float]:
        """(y - mean) / scale for a plain list of targets."""
        return [row[0] for row in self.transform([[value] for value in y])]

    def inverse_transform_target(self, y: Sequence[float]) -> list[float]:
        """y * scale + mean for a plain list of (predicted) targets: back to real units."""
        return [row[0] for row in self.inverse_transform([[value] for value in y])]

    def to_dict(self) -> dict[str, list[float]]:
        """{"mean": [...], "scale": [...]}: plain data, ready for json.dump."""
        self._check_fitted()
        return {"mean": list(self.mean), "scale": list(self.scale)}

    @classmethod
    def from_dict(cls, data: dict) -> "Standardizer":
        """The Standardizer that `to_dict()` described."""
        if not isinstance(data, dict) or set(data) != {"mean", "scale"}:
            raise ValueError(f"a Standardizer is described by a dict with keys 'mean' and 'scale', got {data!r:.80}")
        for key in ("mean", "scale"):
            if not isinstance(data[key], list):
                raise ValueError(f"a Standardizer's {key!r} is a list of numbers, got {data[key]!r:.80}")
        return cls(data["mean"], data["scale"])

    def _check_fitted(self, X: Sequence[Sequence[float]] = ()) -> None:
        if self.mean is None:
            raise RuntimeError("this Standardizer is not fitted yet; call fit(X) (or fit_target(y)) first")
        for row in X:
            if len(row) != len(self.mean):
                raise ValueError(f"this Standardizer was fitted on {len(self.mean)} columns, got a row of {len(row)}")


def standardise(dataset: Dataset, features: Standardizer, target: Standardizer) -> Dataset:
    """`dataset` with its features and target put on the scales of fitted standardisers (fit them on train only)."""
    return Dataset(
        features.transform(dataset.X),
        target.transform_target(dataset.y),
        dataset.feature_names,
        f"{dataset.target_name} (standardised)",
    )


def train_test_split(dataset: Dataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Shuffle the rows with random.Random(seed) and hold out round(n * test_fraction) of them for testing.

    The same seed always gives the same split; both parts keep at least one row.
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number between 0 and 1 (e.g. 0.2), got {test_fraction!r}")
    n = len(dataset)
    n_test = round(n * test_fraction)
    if n_test < 1 or n_test > n - 1:
        raise ValueError(
            f"cannot split {n} rows with test_fraction={test_fraction}: it leaves {n_test} test rows and "
            f"{n - n_test} training rows; each part needs at least one"
        )
    indices = list(range(n))
    random.Random(seed).shuffle(indices)
    return dataset.subset(sorted(indices[n_test:])), dataset.subset(sorted(indices[:n_test]))


def batches(n: int, batch_size: int, rng: random.Random | None = None) -> list[list[int]]:
    """Split row indices 0..n-1 into mini-batches of `batch_size` (the last may be smaller).

    With `rng` the indices are shuffled first (a new order each epoch); without it they stay in order.
    """
    check_count("batch_size", batch_size)
    indices = list(range(n))
    if rng is not None:
        rng.shuffle(indices)
    return [indices[start : start + batch_size] for start in range(0, n, batch_size)]


def linear_in_original_units(
    weights: Sequence[float], bias: float, features: Standardizer, target: Standardizer
) -> tuple[list[float], float]:
    """Turn a linear model fitted on standardised data into weights and a bias in the data's own units.

    If y_std = sum(w_j * (x_j - m_j) / s_j) + b and y = y_std * s_y + m_y, then
    y = sum((w_j * s_y / s_j) * x_j) + (m_y + s_y * (b - sum(w_j * m_j / s_j))):
    each real weight is "target units per unit of feature j", e.g. dollars per square foot.
    """
    features._check_fitted([weights])
    target._check_fitted([[bias]])
    (target_mean,), (target_scale,) = target.mean, target.scale
    real_weights = [w * target_scale / s for w, s in zip(weights, features.scale)]
    shift = sum(w * m / s for w, m, s in zip(weights, features.mean, features.scale))
    return real_weights, target_mean + target_scale * (bias - shift)
