"""Data sets: the bundled Windsor house sales, synthetic houses with known weights, toy sets."""

from .houses import Dataset, load_csv, load_features, load_windsor, make_houses, parse_value
from .preprocessing import Standardizer, batches, linear_in_original_units, standardise, train_test_split
from .toy import make_moons

__all__ = [
    "Dataset",
    "load_windsor",
    "load_csv",
    "load_features",
    "make_houses",
    "parse_value",
    "Standardizer",
    "standardise",
    "train_test_split",
    "batches",
    "linear_in_original_units",
    "make_moons",
]
