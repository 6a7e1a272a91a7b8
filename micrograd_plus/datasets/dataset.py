"""A Dataset (rows of features, targets, names) and the checks every number and name read from a file passes.

The CSV loader, the Standardizer and the saved-model reader all take numbers and names from files a user may
have edited by hand; they check them here, with one rule each, so the same value is accepted everywhere.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Dataset", "MAX_MAGNITUDE", "check_number", "check_names"]

# Larger numbers are refused: sums of their squares (a standard deviation, a squared error) overflow a float.
MAX_MAGNITUDE = 1e100


def check_number(value: object, name: str) -> float:
    """`value` as a float if it is a finite number within ±MAX_MAGNITUDE; else a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}: {value!r:.60}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range, such as 10**400 written out in a JSON file
        number = math.inf
    if math.isnan(number) or (math.isinf(number) and isinstance(value, float)):
        raise ValueError(f"{name} is not a finite number (it is {number})")
    if not abs(number) <= MAX_MAGNITUDE:
        shown = f"{number:.3g}" if math.isfinite(number) else f"a whole number of {len(str(abs(value)))} digits"
        raise ValueError(
            f"{name} is too large ({shown}): values beyond ±{MAX_MAGNITUDE:.0e} overflow when squared; rescale it"
        )
    return number


def check_names(names: object, what: str) -> list[str]:
    """`names` if it is a list of distinct, non-empty strings (column names); else a ValueError about `what`."""
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{what} must be a list of names (strings), got {names!r:.80}")
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise ValueError(f"{what} has an empty name at position {position}; name every column")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{what} has these names more than once: {duplicates}")
    return names


@dataclass
class Dataset:
    """Rows of features `X` (one list of floats per house), targets `y`, and the names of both.

    `true_weights` and `true_bias` are set only for synthetic data made from known weights.
    """

    X: list[list[float]]
    y: list[float]
    feature_names: list[str]
    target_name: str
    true_weights: dict[str, float] | None = None
    true_bias: float | None = None

    def __post_init__(self):
        if len(self.X) != len(self.y):
            raise ValueError(f"a Dataset needs one target per row: got {len(self.X)} rows and {len(self.y)} targets")
        width = len(self.feature_names)
        for index, row in enumerate(self.X):
            if len(row) != width:
                raise ValueError(
                    f"row {index} of the Dataset has {len(row)} values, but there are {width} feature names"
                )

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, indices: Sequence[int]) -> "Dataset":
        """A new Dataset holding the rows at `indices`, in that order (same names and truth)."""
        return Dataset(
            [list(self.X[i]) for i in indices],
            [self.y[i] for i in indices],
            list(self.feature_names),
            self.target_name,
            None if self.true_weights is None else dict(self.true_weights),
            self.true_bias,
        )

    def column(self, name: str) -> list[float]:
        """Every row's value of the feature `name`."""
        if name not in self.feature_names:
            raise ValueError(f"no feature {name!r}; the features are {self.feature_names}")
        index = self.feature_names.index(name)
        return [row[index] for row in self.X]
