"""A trained house-price model: its networks, its scaling, and saving, loading and predicting with it.

`house-prices` (demos/house_prices.py) trains a HousePriceModel and saves it as JSON; `load_model` reads it
back, refusing a corrupt, foreign or non-finite file with the reason; `predict_houses` prices raw houses.
"""

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets.houses import parse_value
from ..datasets.preprocessing import Standardizer, linear_in_original_units
from ..engine import Value
from ..files import read_json, save_json
from ..nn import MLP
from ..train import History, Hyperparameters, predict

__all__ = [
    "HousePriceModel",
    "load_model",
    "predict_houses",
    "parse_house",
    "describe_network",
    "MODEL_FORMAT",
    "MODEL_VERSION",
]

MODEL_FORMAT = "micrograd_plus.house_price_model"
MODEL_VERSION = 1
MODEL_WHAT = "a micrograd_plus house-price model (a model.json written by `micrograd-plus house-prices`)"


@dataclass
class HousePriceModel:
    """Trained networks plus all it takes to use them on raw houses: feature names, scaling, hyperparameters.

    networks maps a name ("linear", and "mlp" when hidden layers were asked for) to an MLP that reads
    standardised features and predicts the standardised target; `predict` and `price` do the scaling.
    """

    feature_names: list[str]
    target_name: str
    features: Standardizer
    target: Standardizer
    hyperparameters: Hyperparameters
    networks: dict[str, MLP]
    histories: dict[str, History] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # where the training data came from, to reproduce the split

    @property
    def main(self) -> str:
        """The network that the plots and the graph show: the MLP when there is one, else the linear neuron."""
        return "mlp" if "mlp" in self.networks else "linear"

    def predict(self, X: Sequence[Sequence[float]], network: str | None = None) -> list[float]:
        """Prices (in the target's own units) for rows of raw features."""
        net = self._network(network)
        return self.target.inverse_transform_target(predict(net, self.features.transform(X)))

    def price(self, house: Sequence[float], network: str | None = None) -> Value:
        """One prediction as a computation graph, from the raw features (labelled inputs) to the price.

        Every step is a Value op, so backward() gives d price / d input: for the linear neuron, the
        gradient on the lot-size input is exactly the learned dollars per square foot.
        """
        net = self._network(network)
        if len(house) != len(self.feature_names):
            raise ValueError(f"a house needs {len(self.feature_names)} features, got {len(house)}")
        standardised = []
        for name, x, mean, scale in zip(self.feature_names, house, self.features.mean, self.features.scale):
            raw = Value(x, label=name)
            # (x - mean) / std, written as x + (-mean) so the drawing has one op per step
            standardised.append((raw + Value(-mean, label=f"-mean {name}")) / Value(scale, label=f"std {name}"))
        out = net(standardised)
        (mean,), (scale,) = self.target.mean, self.target.scale
        return out * Value(scale, label=f"std {self.target_name}") + Value(mean, label=f"mean {self.target_name}")

    def linear_weights(self) -> tuple[list[float], float]:
        """The linear neuron's weights and bias in real units (e.g. dollars per square foot)."""
        neuron = self.networks["linear"].layers[0].neurons[0]
        weights = [w.data for w in neuron.w]
        return linear_in_original_units(weights, neuron.b.data, self.features, self.target)

    def to_json(self) -> dict:
        """Plain JSON data: the format and version, names, scaling, hyperparameters, and each state_dict."""
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "feature_names": list(self.feature_names),
            "target_name": self.target_name,
            "feature_scaling": self.features.to_dict(),
            "target_scaling": self.target.to_dict(),
            "hyperparameters": self.hyperparameters.to_dict(),
            "data": dict(self.data),
            "networks": {
                name: {
                    "hidden": [layer.nout for layer in net.layers[:-1]],
                    "activation": net.activation,
                    "state_dict": net.state_dict(),
                    "history": _history_json(self.histories.get(name)),
                }
                for name, net in self.networks.items()
            },
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model as JSON, atomically: a temporary file in the same folder, then a rename."""
        return save_json(path, self.to_json())

    def display_name(self, name: str) -> str:
        """How the report names the network `name`: "linear neuron", or e.g. "MLP 11-8-1 (tanh)"."""
        return describe_network(name, self._network(name))

    def _network(self, name: str | None) -> MLP:
        name = self.main if name is None else name
        if name not in self.networks:
            raise ValueError(f"this model has no network {name!r}; it has {list(self.networks)}")
        return self.networks[name]


def describe_network(name: str, net: MLP) -> str:
    """ "linear neuron" for the network named "linear", else the MLP's layer sizes and activation."""
    if name == "linear":
        return "linear neuron"
    sizes = "-".join(str(size) for size in [net.nin, *(layer.nout for layer in net.layers)])
    return f"MLP {sizes} ({net.activation})"


def _history_json(history: History | None) -> dict | None:
    if history is None:
        return None
    return {"train_loss": history.train_loss, "test_loss": history.test_loss, "seconds": history.seconds}


def load_model(path: str | os.PathLike) -> HousePriceModel:
    """Read a model saved by `house-prices` (JSON); a corrupt or foreign file raises a ValueError saying why."""
    where = f"{str(path)!r}"
    data = read_json(path, MODEL_FORMAT, MODEL_WHAT)
    if data.get("version") != MODEL_VERSION:
        raise ValueError(
            f"{where} has format version {data.get('version')!r}; this program reads version {MODEL_VERSION}"
        )
    try:
        return _model_from_json(data)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        detail = f"missing the entry {error}" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{where} is a damaged house-price model: {detail}") from None


def _model_from_json(data: dict) -> HousePriceModel:
    feature_names = [str(name) for name in data["feature_names"]]
    features = _standardizer(data, "feature_scaling")
    target = _standardizer(data, "target_scaling")
    if len(features.mean) != len(feature_names):
        raise ValueError(f"{len(feature_names)} feature names but scaling for {len(features.mean)} features")
    if len(target.mean) != 1:
        raise ValueError(f"its 'target_scaling' must describe one column, got {len(target.mean)}")
    hyperparameters = Hyperparameters.from_dict(data["hyperparameters"])
    networks, histories = {}, {}
    if not isinstance(data["networks"], dict) or not data["networks"]:
        raise ValueError("it holds no networks")
    for name, entry in data["networks"].items():
        net = MLP(len(feature_names), [*entry["hidden"], 1], activation=entry["activation"])
        _check_finite(entry["state_dict"], f"network {name!r}")
        net.load_state_dict(entry["state_dict"])  # strict: every key must match
        networks[name] = net
        if entry.get("history"):
            histories[name] = _history(entry["history"], name)
    if "linear" not in networks:
        raise ValueError("it has no 'linear' network")
    if not isinstance(data["data"], dict):
        raise ValueError(f"its 'data' entry must describe the data source, got {data['data']!r}")
    return HousePriceModel(
        feature_names, str(data["target_name"]), features, target, hyperparameters, networks, histories, data["data"]
    )


def _standardizer(data: dict, key: str) -> Standardizer:
    try:
        return Standardizer.from_dict(data[key])
    except ValueError as error:
        raise ValueError(f"its {key!r}: {error}") from None


def _check_finite(state_dict: object, where: str) -> None:
    """Refuse NaN or infinity (JSON readers accept NaN and Infinity): a model holding them predicts NaN."""
    if not isinstance(state_dict, dict):
        return  # load_state_dict says what it needs
    for key, number in state_dict.items():
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"in {where}, the value of {key!r} is {number}; a saved model holds finite numbers only")


def _history(entry: dict, name: str) -> History:
    history = History(**entry)
    for curve in ("train_loss", "test_loss"):
        values = getattr(history, curve)
        if not isinstance(values, list) or not all(_is_finite_number(value) for value in values):
            raise ValueError(f"the history of network {name!r} has a {curve!r} that is not a list of finite numbers")
    return history


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def predict_houses(model: HousePriceModel, houses: Sequence[Sequence[float]]) -> dict[str, list[float]]:
    """Each network's predictions for rows of raw features: network name -> prices."""
    return {name: model.predict(houses, name) for name in model.networks}


def parse_house(model: HousePriceModel, pairs: Sequence[str]) -> tuple[list[float], list[str], list[str]]:
    """A house from NAME=VALUE pairs (`predict --house`), with the given and the defaulted features described.

    Values are read as the CSV loader reads cells (datasets.houses.parse_value: numbers, yes/no, true/false).
    Features not given take their training average, and are listed as such; a feature given twice is an error.
    """
    given = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        name = name.strip()
        if not separator:
            raise ValueError(f"--house takes NAME=VALUE pairs such as lotsize=5000, got {pair!r}")
        if name not in model.feature_names:
            raise ValueError(f"the model has no feature {name!r}; its features are: {', '.join(model.feature_names)}")
        if name in given:
            raise ValueError(f"--house gives {name} twice ({name}={given[name][1]} and {pair}); give each feature once")
        try:
            given[name] = (parse_value(text), text)
        except ValueError as error:
            raise ValueError(f"--house {pair}: {error}") from None
    house, described, defaulted = [], [], []
    for name, mean in zip(model.feature_names, model.features.mean):
        value = given[name][0] if name in given else mean
        house.append(value)
        (described if name in given else defaulted).append(f"{name}={value:.4g}")
    return house, described, defaulted
