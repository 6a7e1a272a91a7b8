"""`predict`: a saved house-price model on new houses, one given by its features or every row of a CSV.

The model file is checked field by field when it is read (saved_model.py); a prediction that is not a
finite number is refused with the file's name, never printed.
"""

import os
from collections.abc import Mapping, Sequence

from ..datasets.houses import load_features
from ..viz.plots import format_amount
from . import format_table
from .house_model import HousePriceModel, load_model
from .house_report import unit_of

__all__ = ["predict_report", "predict_houses", "complete_house"]


def predict_houses(model: HousePriceModel, houses: Sequence[Sequence[float]]) -> dict[str, list[float]]:
    """Each network's predictions for rows of raw features: network name -> prices."""
    return {name: model.predict(houses, name) for name in model.networks}


def complete_house(model: HousePriceModel, given: Mapping[str, float]) -> tuple[list[float], list[str], list[str]]:
    """A house from the features `given` by name, the others at their training average; and both described.

    Returns (the house's features in the model's order, "name=value" of those given, of those defaulted).
    """
    unknown = [name for name in given if name not in model.feature_names]
    if unknown:
        raise ValueError(f"the model has no feature {unknown[0]!r}; its features are: {', '.join(model.feature_names)}")
    house, described, defaulted = [], [], []
    for name, mean in zip(model.feature_names, model.features.mean):
        value = given.get(name, mean)
        house.append(value)
        (described if name in given else defaulted).append(f"{name}={value:.4g}")
    return house, described, defaulted


def predict_report(
    model_path: str | os.PathLike, house: Mapping[str, float] | None = None, csv: str | os.PathLike | None = None
) -> str:
    """The predictions of the model saved at `model_path`, as text: for one `house` (features by name), or for
    every row of the CSV file `csv` (which has the model's feature columns)."""
    if (house is None) == (csv is None):
        raise ValueError("predict_report needs either a house or a CSV file of houses, not both or neither")
    model = load_model(model_path)
    unit = unit_of(model.target_name)
    names = {name: model.display_name(name) for name in model.networks}
    if csv is not None:
        houses = load_features(csv, model.feature_names)
        predictions = _predictions(model, houses, model_path)
        headers = ["row", *(f"predicted {model.target_name} ({label})" for label in names.values())]
        rows = [
            [str(i + 1), *(format_amount(predictions[name][i], unit) for name in names)] for i in range(len(houses))
        ]
        return format_table(headers, rows, ">" * len(headers), rule=True, indent="  ")
    features, described, defaulted = complete_house(model, house)
    lines = ["House: " + " ".join(described)]
    if defaulted:
        lines.append("  not given, so set to the training average: " + " ".join(defaulted))
    for name, prediction in _predictions(model, [features], model_path).items():
        lines.append(f"Predicted {model.target_name} ({names[name]}): {format_amount(prediction[0], unit)}")
    return "\n".join(lines)


def _predictions(model: HousePriceModel, houses: list[list[float]], path: str | os.PathLike) -> dict[str, list[float]]:
    try:
        return predict_houses(model, houses)
    except (ValueError, ArithmeticError) as error:
        raise ValueError(
            f"the model in {str(path)!r} gives no usable prediction ({error}): its weights or scaling are too "
            "large for these houses; retrain it, or check the file"
        ) from None
