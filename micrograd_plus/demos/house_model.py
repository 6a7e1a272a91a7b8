"""A trained house-price model: a saved model (see saved_model.py) with the house-price job's own views of it.

`house-prices` (demos/house_prices.py) trains a HousePriceModel and saves it in the one model format;
`load_model` reads it back and checks that it is a house-price model (names, scaling, a "linear" network,
hyperparameters that describe its networks), naming the file and the field when it is not.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..datasets.preprocessing import linear_in_original_units
from ..engine import Value
from ..nn import MLP
from ..saved_model import (
    MODEL_FORMAT,
    MODEL_VERSION,
    DamagedModelError,
    ForeignModelError,
    SavedModel,
    constructor_arguments,
    save_model,
)
from ..saved_model import load_model as load_saved_model
from ..train import Hyperparameters

__all__ = ["HousePriceModel", "load_model", "describe_network", "MODEL_FORMAT", "MODEL_VERSION"]

DATA_FIELDS = {  # what a house-price model records of its data, each optional: enough to split it again alike
    "source": (lambda v: isinstance(v, str) and v.strip() != "", "the data's name or CSV path (a string)"),
    "rows": (lambda v: type(v) is int and v >= 1, "a whole number of rows >= 1"),
    "test_fraction": (lambda v: type(v) in (int, float) and 0 < v < 1, "a fraction between 0 and 1 (e.g. 0.2)"),
}


@dataclass
class HousePriceModel(SavedModel):
    """Trained networks plus all it takes to use them on raw houses: feature names, scaling, hyperparameters.

    networks maps a name ("linear", and "mlp" when hidden layers were asked for) to an MLP that reads
    standardised features and predicts the standardised target; `predict` and `price` do the scaling.
    """

    hyperparameters: Hyperparameters | None = None

    @property
    def main(self) -> str:
        """The network that the plots and the graph show: the MLP when there is one, else the linear neuron."""
        return "mlp" if "mlp" in self.networks else "linear"

    def network(self, name: str | None = None) -> MLP:
        """The network called `name` (None: the main one)."""
        return super().network(self.main if name is None else name)

    def price(self, house: Sequence[float], network: str | None = None) -> Value:
        """One prediction as a computation graph, from the raw features (labelled inputs) to the price.

        Every step is a Value op, so backward() gives d price / d input: for the linear neuron, the
        gradient on the lot-size input is exactly the learned dollars per square foot.
        """
        net = self.network(network)
        if len(house) != len(self.feature_names):
            raise ValueError(f"a house needs {len(self.feature_names)} features, got {len(house)}")
        standardised = []
        for name, x, mean, scale in zip(self.feature_names, house, self.features.mean, self.features.scale):
            raw = Value(x, label=name)
            # (x - mean) / std, written as x + (-mean) so the drawing has one op per step
            centred = raw + _constant(-mean, f"-mean {name}")
            centred.label = f"{name} - mean"
            z = centred / _constant(scale, f"std {name}")
            z.label = f"{name} standardised"
            standardised.append(z)
        out = net(standardised)
        out.label = f"{self.target_name} standardised"
        (mean,), (scale,) = self.target.mean, self.target.scale
        spread = out * _constant(scale, f"std {self.target_name}")
        spread.label = f"{self.target_name} - mean"
        return spread + _constant(mean, f"mean {self.target_name}")

    def linear_weights(self) -> tuple[list[float], float]:
        """The linear neuron's weights and bias in real units (e.g. dollars per square foot)."""
        neuron = self.networks["linear"].layers[0].neurons[0]
        weights = [w.data for w in neuron.w]
        return linear_in_original_units(weights, neuron.b.data, self.features, self.target)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model as JSON (saved_model's format), atomically: a temporary file, then a rename."""
        return save_model(path, self)

    def display_name(self, name: str) -> str:
        """How the report names the network `name`: "linear neuron", or e.g. "MLP 11-8-1 (tanh)"."""
        return describe_network(name, self.network(name))


def _constant(number: float, label: str) -> Value:
    """A fixed number of the scaling (a mean, a std): not learned, so backward() leaves it no gradient to show."""
    constant = Value(number, label=label)
    constant.requires_grad = False
    return constant


def describe_network(name: str, net: MLP) -> str:
    """ "linear neuron" for the network named "linear", else the MLP's layer sizes and activation."""
    if name == "linear":
        return "linear neuron"
    sizes = "-".join(str(size) for size in [net.nin, *(layer.nout for layer in net.layers)])
    return f"MLP {sizes} ({net.activation})"


def load_model(path: str | os.PathLike) -> HousePriceModel:
    """Read a model saved by `house-prices`; a damaged or foreign file raises a ValueError naming the field."""
    try:
        saved = load_saved_model(path)
    except ForeignModelError as error:
        if error.class_name != "GPT":
            raise
        raise ValueError(
            f"{str(path)!r} is a GPT model (written by `micrograd-plus gpt`), not a house-price model; sample "
            f"names from it with `micrograd-plus gpt --load {path}`"
        ) from None
    try:
        return _house_price_model(saved)
    except (TypeError, ValueError) as error:
        raise DamagedModelError(f"{str(path)!r} is not a usable house-price model: {error}") from None


def _house_price_model(saved: SavedModel) -> HousePriceModel:
    """`saved` as a HousePriceModel, if it has everything the house-price job uses, consistently."""
    for key in ("feature_names", "target_name", "features", "target", "hyperparameters"):
        if getattr(saved, key) is None:
            field = {"features": "feature_scaling", "target": "target_scaling"}.get(key, key)
            raise ValueError(f"it has no field {field!r}")
    if len(saved.target.mean) != 1:
        raise ValueError(f"its target_scaling must describe one column, got {len(saved.target.mean)}")
    try:
        hyperparameters = Hyperparameters.from_dict(saved.hyperparameters)
    except (TypeError, ValueError) as error:
        raise ValueError(f"(field hyperparameters) {error}") from None
    if "linear" not in saved.networks:
        raise ValueError(f"it has no 'linear' network, only {list(saved.networks)}")
    for name, net in saved.networks.items():
        hidden = [] if name == "linear" else hyperparameters.hidden
        expected = hyperparameters.make_model(len(saved.feature_names), hidden=hidden)
        if not isinstance(net, MLP) or constructor_arguments(net) != constructor_arguments(expected):
            raise ValueError(
                f"network {name!r} is {net!r}, but its hyperparameters describe {expected!r} (field networks.{name})"
            )
    unknown = sorted(set(saved.data) - set(DATA_FIELDS))
    if unknown:
        raise ValueError(f"(field data) unknown fields {unknown}; it records only {', '.join(DATA_FIELDS)}")
    for key, (valid, expected) in DATA_FIELDS.items():
        if key in saved.data and not valid(saved.data[key]):
            raise ValueError(f"(field data.{key}) expected {expected}, got {saved.data[key]!r:.80}")
    return HousePriceModel(**{**vars(saved), "hyperparameters": hyperparameters})
