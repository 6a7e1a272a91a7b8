"""House prices: the bundled Windsor 1987 sales, a loader for your own CSV, and synthetic houses.

Everything is plain Python lists of floats (no numpy, no pandas), read with the standard `csv` module.
The Windsor data come from Anglin and Gençay (1996), Journal of Applied Econometrics 11(6), 633-648;
see README.md beside this file for the columns and the citation.
"""

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Dataset",
    "load_windsor",
    "load_csv",
    "load_features",
    "parse_value",
    "make_houses",
    "WINDSOR_PATH",
    "DEFAULT_WEIGHTS",
    "DEFAULT_BIAS",
]

WINDSOR_PATH = Path(__file__).with_name("windsor_housing_1987.csv")

# yes/no and true/false cells become 1/0, whatever their case
_WORDS = {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}

# Larger numbers are refused: sums of their squares (a standard deviation, a squared error) overflow a float.
MAX_MAGNITUDE = 1e100

# The synthetic houses' true prices: dollars per unit of each feature, and the base price.
DEFAULT_WEIGHTS = {
    "lotsize": 4.0,  # $ per square foot of lot
    "bedrooms": 2500.0,  # $ per bedroom
    "bathrms": 14000.0,  # $ per full bathroom
    "stories": 6500.0,  # $ per story
    "airco": 12500.0,  # $ for central air conditioning
    "prefarea": 9500.0,  # $ for a preferred neighbourhood
    "garagepl": 4500.0,  # $ per garage place
}
DEFAULT_BIAS = 5000.0


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


def load_windsor() -> Dataset:
    """The 546 house sales of Windsor, Ontario, 1987 (Anglin and Gençay 1996): 11 features, target "price"."""
    return load_csv(WINDSOR_PATH, target="price")


def load_csv(path: str | Path, target: str = "price", features: Sequence[str] | None = None) -> Dataset:
    """Read a CSV with a header line into a Dataset; `features` defaults to every column but `target`.

    Cells must be numbers, or yes/no or true/false (read as 1/0, in any case). Blank lines are skipped.
    Errors name the file, the row and the column, and say what was expected.
    """
    X, y, feature_names = _read_csv(path, target, features)
    return Dataset(X, y, feature_names, target)


def load_features(path: str | Path, features: Sequence[str]) -> list[list[float]]:
    """Only the `features` columns of a CSV (no target needed): rows of houses to predict prices for."""
    X, _, _ = _read_csv(path, None, features)
    return X


def _read_csv(
    path: str | Path, target: str | None, features: Sequence[str] | None
) -> tuple[list[list[float]], list[float], list[str]]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no CSV file at {str(path)!r} (looked from {str(Path.cwd())!r}); check the path")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a CSV file; pass the path of the .csv file itself")
    try:
        return _read_rows(path, target, features)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{str(path)!r} is not UTF-8 text (byte {error.start} is {error.object[error.start]:#04x}); "
            "open it in a spreadsheet or editor and save it as 'CSV UTF-8'"
        ) from None


def _read_rows(
    path: Path, target: str | None, features: Sequence[str] | None
) -> tuple[list[list[float]], list[float], list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as file:  # utf-8-sig: drop a byte-order mark if present
        reader = csv.reader(file)
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise ValueError(
                f"{str(path)!r} is empty; expected a header line of column names (e.g. price,lotsize,bedrooms) "
                "followed by one line per house"
            )
        columns = _check_header([name.strip() for name in header], path)
        target_index, feature_indices, feature_names = _select_columns(columns, target, features, path)
        X, y = [], []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            row_number = len(X) + 1
            where = f"{str(path)!r}, row {row_number} (line {reader.line_num})"
            if len(row) != len(columns):
                raise ValueError(f"{where} has {len(row)} cells, but the header has {len(columns)} columns")
            if target_index is not None:
                y.append(_parse_cell(row[target_index], where, columns[target_index]))
            X.append([_parse_cell(row[i], where, columns[i]) for i in feature_indices])
    if not X:
        raise ValueError(f"{str(path)!r} has a header line but no data rows; add one line per house")
    return X, y, feature_names


def _check_header(columns: list[str], path: Path) -> list[str]:
    for position, name in enumerate(columns, start=1):
        if not name:
            raise ValueError(f"{str(path)!r}: column {position} of the header line has no name; name every column")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise ValueError(f"{str(path)!r}: the header names these columns more than once: {duplicates}")
    return columns


def _select_columns(
    columns: list[str], target: str | None, features: Sequence[str] | None, path: Path
) -> tuple[int | None, list[int], list[str]]:
    available = ", ".join(columns)
    if target is not None and target not in columns:
        raise ValueError(
            f"{str(path)!r} has no column {target!r} to predict; its columns are: {available}. "
            "Pass one of them as the target (--target on the command line)."
        )
    if features is None:
        features = [name for name in columns if name != target]
    elif isinstance(features, str):
        raise TypeError(f"features must be a list of column names, got the string {features!r}; use [{features!r}]")
    else:
        features = list(features)
        missing = [name for name in features if name not in columns]
        if missing:
            raise ValueError(f"{str(path)!r} has no column(s) {missing}; its columns are: {available}")
        if target in features:
            raise ValueError(f"the target {target!r} cannot also be a feature; remove it from features")
    if not features:
        raise ValueError(f"{str(path)!r} has no column besides the target {target!r}; a model needs features")
    target_index = None if target is None else columns.index(target)
    return target_index, [columns.index(name) for name in features], features


def parse_value(text: str) -> float:
    """A feature's value from text: a number, or yes/no or true/false (1/0, in any case).

    Raises ValueError saying what was wrong (empty, not a number, not finite, beyond ±1e100); the CSV
    loader and `predict --house` both read values with it, so they accept the same things.
    """
    cell = text.strip()
    word = _WORDS.get(cell.lower())
    if word is not None:
        return word
    if not cell:
        raise ValueError("the value is empty; expected a number, or yes/no or true/false")
    try:
        number = float(cell)
    except ValueError:
        raise ValueError(f"{cell!r} is not a number; expected a number, or yes/no or true/false") from None
    if not math.isfinite(number):
        raise ValueError(f"{cell!r} is not a finite number")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(
            f"{cell!r} is too large: values beyond ±{MAX_MAGNITUDE:.0e} overflow when squared; rescale the column"
        )
    return number


def _parse_cell(text: str, where: str, column: str) -> float:
    try:
        return parse_value(text)
    except ValueError as error:
        raise ValueError(f"{where}, column {column!r}: {error}") from None


def make_houses(
    n: int = 500,
    seed: int = 0,
    noise: float = 5000.0,
    weights: dict[str, float] | None = None,
    bias: float | None = None,
    nonlinear: bool = False,
) -> Dataset:
    """`n` synthetic houses like Windsor's, priced by known weights plus Gaussian noise (std `noise` dollars).

    Linear (the default): price = bias + sum(weight * feature) + noise, with the weights of DEFAULT_WEIGHTS
    (dollars per unit; `weights` overrides any of them by name) and bias DEFAULT_BIAS; the result carries
    them as `true_weights` and `true_bias`, so a trained linear neuron can be checked against the truth.

    nonlinear=True prices the same houses with effects no single neuron can represent: a lot's value
    levels off (weight * 5000 * tanh(lotsize / 5000)), bedrooms past the third add nothing, air
    conditioning is worth more on bigger lots, and a preferred neighbourhood multiplies the whole price
    by 1.5. There is then no single true weight per feature, so `true_weights` is None.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"make_houses needs a positive whole number of houses n, got {n!r}")
    if not noise >= 0.0:
        raise ValueError(f"noise is a standard deviation in dollars and must be >= 0, got {noise!r}")
    true_weights = dict(DEFAULT_WEIGHTS)
    for name, weight in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f"make_houses has no feature {name!r}; its features are {list(DEFAULT_WEIGHTS)}")
        true_weights[name] = float(weight)
    true_bias = DEFAULT_BIAS if bias is None else float(bias)
    rng = random.Random(seed)
    names = list(DEFAULT_WEIGHTS)
    X, y = [], []
    for _ in range(n):
        house = _draw_house(rng)
        price_of = _nonlinear_price if nonlinear else _linear_price
        X.append([house[name] for name in names])
        y.append(price_of(house, true_weights, true_bias) + rng.gauss(0.0, noise))
    if nonlinear:
        return Dataset(X, y, names, "price")
    return Dataset(X, y, names, "price", true_weights, true_bias)


def _draw_house(rng: random.Random) -> dict[str, float]:
    # independent draws with roughly Windsor's spread of each feature
    lotsize = min(max(math.exp(rng.gauss(math.log(4800.0), 0.4)), 1500.0), 16000.0)
    return {
        "lotsize": float(round(lotsize, -1)),
        "bedrooms": float(rng.choices([1, 2, 3, 4, 5], [2, 25, 55, 16, 2])[0]),
        "bathrms": float(rng.choices([1, 2, 3], [77, 21, 2])[0]),
        "stories": float(rng.choices([1, 2, 3, 4], [42, 44, 7, 7])[0]),
        "airco": float(rng.random() < 0.32),
        "prefarea": float(rng.random() < 0.23),
        "garagepl": float(rng.choices([0, 1, 2, 3], [55, 23, 20, 2])[0]),
    }


def _linear_price(house: dict[str, float], weights: dict[str, float], bias: float) -> float:
    return bias + sum(weights[name] * value for name, value in house.items())


def _nonlinear_price(house: dict[str, float], weights: dict[str, float], bias: float) -> float:
    price = (
        bias
        + weights["lotsize"] * 5000.0 * math.tanh(house["lotsize"] / 5000.0)  # diminishing returns
        + weights["bedrooms"] * min(house["bedrooms"], 3.0)  # a fourth bedroom adds nothing
        + weights["bathrms"] * house["bathrms"]
        + weights["stories"] * house["stories"]
        + weights["airco"] * house["airco"] * house["lotsize"] / 5000.0  # worth more in a bigger house
        + weights["garagepl"] * house["garagepl"]
    )
    return price * (1.5 if house["prefarea"] else 1.0)  # the neighbourhood scales everything
