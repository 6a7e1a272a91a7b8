"""House sales from CSV files: the bundled Windsor 1987 sales, and a loader for your own CSV.

Everything is plain Python lists of floats (no numpy, no pandas), read with the standard `csv` module.
The Windsor data come from Anglin and Gençay (1996), Journal of Applied Econometrics 11(6), 633-648;
see README.md beside this file for the columns and the citation. Synthetic houses are in synthetic.py.
"""

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from ..files import read_input
from .dataset import MAX_MAGNITUDE, Dataset, check_names, check_number
from .synthetic import DEFAULT_BIAS, DEFAULT_WEIGHTS, make_houses  # importable from here too, as before

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
    "MAX_MAGNITUDE",
]

WINDSOR_PATH = Path(__file__).with_name("windsor_housing_1987.csv")
CSV_FILE = "a CSV file of house sales (a header line of column names, then one line per house)"
# The most read from a CSV: about 75,000 houses of Windsor's 12 columns, whose full-batch graph already takes
# a few hundred MB (a house's row costs about 2.8 KB in a linear neuron's step); Windsor itself is 21 KB.
CSV_LIMIT = 4 * 2**20

# yes/no and true/false cells become 1/0, whatever their case
_WORDS = {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}


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
    content = read_input(path, CSV_FILE, CSV_LIMIT)
    try:
        text = content.decode("utf-8-sig")  # utf-8-sig: drop a byte-order mark if present
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{str(path)!r} is not UTF-8 text (byte {error.start} is {error.object[error.start]:#04x}); "
            "open it in a spreadsheet or editor and save it as 'CSV UTF-8'"
        ) from None
    return _read_rows(Path(path), text, target, features)


def _read_rows(
    path: Path, text: str, target: str | None, features: Sequence[str] | None
) -> tuple[list[list[float]], list[float], list[str]]:
    with io.StringIO(text, newline="") as file:
        reader = csv.reader(file)
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise ValueError(
                f"{str(path)!r} is empty; expected a header line of column names (e.g. price,lotsize,bedrooms) "
                "followed by one line per house"
            )
        columns = check_names([name.strip() for name in header], f"the header line of {str(path)!r}")
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
        features = check_names(list(features), "features")
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

    Raises ValueError saying what was wrong (empty, not a number, not finite, beyond ±1e100: see
    dataset.check_number); the CSV loader and `predict --house` both read values with it, so they accept
    the same things.
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
    return check_number(number, repr(cell))


def _parse_cell(text: str, where: str, column: str) -> float:
    try:
        return parse_value(text)
    except ValueError as error:
        raise ValueError(f"{where}, column {column!r}: {error}") from None
