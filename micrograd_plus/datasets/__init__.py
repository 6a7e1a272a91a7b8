"""Data sets: the bundled Windsor house sales, your own CSV, synthetic houses with known weights, toy sets."""

from .dataset import Dataset
from .houses import load_csv, load_features, load_windsor, parse_value
from .preprocessing import Standardizer, batches, linear_in_original_units, standardise, train_test_split
from .synthetic import make_houses
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
