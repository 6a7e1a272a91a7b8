"""One file format for a trained model: its networks, its feature and target scaling, and its hyperparameters.

A saved model is JSON, plain data and never pickle, so anyone can read and check it:

    {
      "format": "micrograd_plus.model",
      "version": 1,
      "networks": {                                          one or more networks, by name
        "linear": {
          "class": "MLP",                                    the Module class: a name, never code
          "arguments": {"nin": 11, "nouts": [1], "activation": "tanh"},      so the network is MLP(**arguments)
          "state_dict": {"layers.0.neurons.0.w.0": 0.21, ...},                 Module.state_dict()
          "history": {"train_loss": [...], "test_loss": [...], "seconds": 1.2}   optional: the loss per epoch
        }
      },
      "feature_names": ["lotsize", "bedrooms", ...],         optional: the inputs, in order
      "target_name": "price",                                optional: what the networks predict
      "feature_scaling": {"mean": [...], "scale": [...]},    optional: Standardizer.to_dict() of the inputs
      "target_scaling": {"mean": [...], "scale": [...]},     optional: of the target
      "hyperparameters": {"lr": 0.05, "epochs": 100, ...},   optional: how it was trained (plain data)
      "data": {"source": "windsor", "rows": 546, ...}        optional: what it was trained on
    }

Reading never trusts the file: it reads at most files.INPUT_LIMIT bytes (32 MB), and checks every field
before the model is built: types, numbers (finite, within ±1e100, see datasets.dataset.check_number), names
(distinct strings), sizes that agree with each other, and only the classes the reader is given are built (MLP
by default). Each error names the file and the field. A prediction that is not a finite number is refused.

Other Module classes (a GPT, say) are saved the same way when they define `constructor_arguments()`, the
JSON data `cls(**arguments)` needs; pass them to the reader: load_model(path, classes={"GPT": GPT}). A class
with a `count_parameters(arguments)` static method is sized before it is built, as MLP is.
Files of the two earlier formats, "micrograd_plus.house_price_model" version 1 (house-prices) and
"micrograd_plus pretrained MLP v1" (fine-tune), are read as well.
"""

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .datasets.dataset import check_names, check_number
from .datasets.preprocessing import Standardizer
from .files import read_json, save_json
from .nn import MLP, Module
from .train import History, predict

__all__ = [
    "SavedModel",
    "save_model",
    "load_model",
    "model_to_json",
    "constructor_arguments",
    "DamagedModelError",
    "ForeignModelError",
    "MODEL_FORMAT",
    "MAX_PARAMETERS",
    "count_mlp_parameters",
]

MODEL_FORMAT = "micrograd_plus.model"
MODEL_VERSION = 1
MODEL_FILE = "a micrograd_plus model (a model.json written by `micrograd-plus house-prices` or save_model())"
_OLD_HOUSE_FORMAT = "micrograd_plus.house_price_model"  # version 1, written by house-prices until this format
_OLD_PRETRAINED_FORMAT = "micrograd_plus pretrained MLP v1"  # written by the fine-tuning demo until this format
_FIELDS = {"format", "version", "networks", "feature_names", "target_name", "feature_scaling", "target_scaling"}
_FIELDS |= {"hyperparameters", "data"}
# The most parameters a demo trains: each is a Value in memory (about 150 bytes with its optimizer state), and
# the model file (about 51 bytes of JSON a parameter, 25 MB here) stays within what load_model reads (32 MB).
MAX_PARAMETERS = 500_000


@dataclass
class SavedModel:
    """Trained networks and all it takes to use them on raw data: input names, scaling, how they were trained.

    Each network reads the standardised features and predicts the standardised target; `predict` does the
    scaling both ways. Everything but `networks` is optional.
    """

    networks: dict[str, Module]
    feature_names: list[str] | None = None
    target_name: str | None = None
    features: Standardizer | None = None
    target: Standardizer | None = None
    hyperparameters: object = None  # plain data, or an object with to_dict() (such as train.Hyperparameters)
    histories: dict[str, History] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # where the training data came from, to reproduce the split

    def network(self, name: str | None = None) -> Module:
        """The network called `name` (None: the only one, or the last one saved)."""
        name = list(self.networks)[-1] if name is None else name
        if name not in self.networks:
            raise ValueError(f"this model has no network {name!r}; it has {list(self.networks)}")
        return self.networks[name]

    def predict(self, X: Sequence[Sequence[float]], network: str | None = None) -> list[float]:
        """Predictions in the target's own units for rows of raw features; a ValueError if one is not finite."""
        rows = self.features.transform(X) if self.features else X
        outputs = predict(self.network(network), rows)
        values = self.target.inverse_transform_target(outputs) if self.target else outputs
        for row, value in enumerate(values, start=1):
            if not math.isfinite(value):
                raise ValueError(f"the prediction for row {row} is {value}, not a finite number")
        return values


def constructor_arguments(module: Module) -> dict:
    """The JSON data that rebuilds `module`'s architecture as type(module)(**arguments)."""
    if hasattr(module, "constructor_arguments"):
        return module.constructor_arguments()
    if isinstance(module, MLP):
        return {"nin": module.nin, "nouts": [layer.nout for layer in module.layers], "activation": module.activation}
    raise TypeError(
        f"cannot save a {type(module).__name__}: give it a constructor_arguments() method returning the JSON "
        f"data that {type(module).__name__}(**arguments) needs"
    )


def model_to_json(model: SavedModel) -> dict:
    """The model as plain JSON data, in the format of this module's docstring (optional fields left out)."""
    hyperparameters = model.hyperparameters
    data = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "networks": {name: _network_json(net, model.histories.get(name)) for name, net in model.networks.items()},
        "feature_names": None if model.feature_names is None else list(model.feature_names),
        "target_name": model.target_name,
        "feature_scaling": model.features.to_dict() if model.features else None,
        "target_scaling": model.target.to_dict() if model.target else None,
        "hyperparameters": hyperparameters.to_dict() if hasattr(hyperparameters, "to_dict") else hyperparameters,
        "data": dict(model.data) or None,
    }
    return {key: value for key, value in data.items() if value is not None}


def _network_json(net: Module, history: History | None) -> dict:
    entry = {"class": type(net).__name__, "arguments": constructor_arguments(net), "state_dict": net.state_dict()}
    if history is not None:
        entry["history"] = {
            "train_loss": history.train_loss,
            "test_loss": history.test_loss,
            "seconds": history.seconds,
        }
    return entry


def save_model(path: str | os.PathLike, model: SavedModel) -> Path:
    """Write the model as JSON, atomically (a temporary file in the same folder, then a rename)."""
    return save_json(path, model_to_json(model))


def load_model(path: str | os.PathLike, classes: Mapping[str, type] | None = None) -> SavedModel:
    """Read a saved model, checking every field first; the networks may be of the `classes` given (default: MLP).

    A missing file raises FileNotFoundError; anything wrong in it a ValueError naming the file and the field.
    """
    data = read_json(path, (MODEL_FORMAT, _OLD_HOUSE_FORMAT, _OLD_PRETRAINED_FORMAT), MODEL_FILE)
    reader = _Reader(path, {"MLP": MLP} if classes is None else dict(classes))
    with reader.field("format"):
        data = _upgrade(data)
    return reader.model(data)


class DamagedModelError(ValueError):
    """A model file that cannot be used, with the file and the field that is wrong."""


class ForeignModelError(DamagedModelError):
    """A model file with a network of a class the reader was not given (`class_name`): maybe another command's model."""

    def __init__(self, message: str, class_name: str):
        super().__init__(message)
        self.class_name = class_name


class _Reader:
    """Checks a model file's data field by field; each error names the file and the field."""

    def __init__(self, path: str | os.PathLike, classes: dict[str, type]):
        self.where = repr(str(path))
        self.classes = classes

    @contextlib.contextmanager
    def field(self, name: str) -> Iterator[None]:
        try:
            yield
        except DamagedModelError:
            raise
        except KeyError as error:
            raise DamagedModelError(f"{self.where} is a damaged model file (field {name}): it has no {error}") from None
        except (TypeError, ValueError, RuntimeError, ArithmeticError) as error:
            raise DamagedModelError(f"{self.where} is a damaged model file (field {name}): {error}") from None

    def model(self, data: dict) -> SavedModel:
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise DamagedModelError(
                f"{self.where} is a damaged model file: it has unknown fields {unknown}; a model file has only "
                f"{sorted(_FIELDS)}"
            )
        with self.field("version"):
            if type(data.get("version")) is not int or data["version"] != MODEL_VERSION:
                raise ValueError(f"it is {data.get('version')!r:.40}; this program reads version {MODEL_VERSION}")
        with self.field("networks"):
            networks = _dict(data["networks"], "the networks by name")
            if not networks:
                raise ValueError("it holds no networks")
        nets, histories = {}, {}
        for name, entry in networks.items():
            nets[name], history = self.network(entry, f"networks.{name}")
            if history is not None:
                histories[name] = history
        model = SavedModel(nets, histories=histories)
        if "feature_names" in data:
            with self.field("feature_names"):
                model.feature_names = check_names(data["feature_names"], "it")
                for name, net in nets.items():
                    if getattr(net, "nin", len(model.feature_names)) != len(model.feature_names):
                        raise ValueError(
                            f"{len(model.feature_names)} names, but network {name!r} takes {net.nin} inputs"
                        )
        if "target_name" in data:
            with self.field("target_name"):
                if not isinstance(data["target_name"], str) or not data["target_name"].strip():
                    raise ValueError(f"expected the name of the target (a string), got {data['target_name']!r:.80}")
                model.target_name = data["target_name"]
        for key, attribute in (("feature_scaling", "features"), ("target_scaling", "target")):
            if key in data:
                with self.field(key):
                    setattr(model, attribute, Standardizer.from_dict(data[key]))
        with self.field("feature_scaling"):
            names, scaling = model.feature_names, model.features
            if names is not None and scaling is not None and len(scaling.mean) != len(names):
                raise ValueError(f"it scales {len(scaling.mean)} features, but the file names {len(names)}")
        for key in ("hyperparameters", "data"):
            if key in data:
                with self.field(key):
                    setattr(model, key, _dict(data[key], f"the {key} as an object"))
        return model

    def network(self, entry: object, name: str) -> tuple[Module, History | None]:
        with self.field(name):
            entry = _dict(entry, "an object with class, arguments, state_dict (and history)")
            unknown = sorted(set(entry) - {"class", "arguments", "state_dict", "history"})
            if unknown:
                raise ValueError(f"unknown fields {unknown}")
        with self.field(f"{name}.class"):
            if not isinstance(entry["class"], str):
                raise TypeError(f"expected the name of a class (a string), got {entry['class']!r:.40}")
        if entry["class"] not in self.classes:
            raise ForeignModelError(
                f"{self.where} is a damaged model file (field {name}.class): {entry['class']!r:.40} is not a class "
                f"this reader builds ({', '.join(self.classes)})",
                entry["class"],
            )
        cls = self.classes[entry["class"]]
        with self.field(f"{name}.state_dict"):
            state = {
                key: check_number(v, f"the value of {key!r}")
                for key, v in _dict(entry["state_dict"], "names and numbers").items()
            }
        with self.field(f"{name}.arguments"):
            arguments = _dict(entry["arguments"], "the constructor's arguments as an object")
            count = count_mlp_parameters if cls is MLP else getattr(cls, "count_parameters", None)
            expected = count(arguments) if count else None
            if expected is not None and expected != len(state):
                made = f"{cls.__name__}(**arguments) would have {expected} parameters"
                raise ValueError(f"{made}, but the state_dict holds {len(state)}")
            net = cls(**arguments)
        with self.field(f"{name}.state_dict"):
            net.load_state_dict(state)  # strict: exactly the network's parameter names
        history = None
        if "history" in entry:
            with self.field(f"{name}.history"):
                history = _history(entry["history"])
        return net, history


def _dict(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"expected {what or 'an object'}, got {type(value).__name__}: {value!r:.80}")
    return value


def count_mlp_parameters(arguments: dict) -> int | None:
    """How many parameters MLP(**arguments) would make, counted before making them (None: MLP will say what is wrong).

    A file must not make us build a network far larger than the numbers it holds.
    """
    sizes = [arguments.get("nin"), *(arguments.get("nouts") if isinstance(arguments.get("nouts"), list) else [None])]
    if not all(type(size) is int and size > 0 for size in sizes):
        return None
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))


def _history(entry: object) -> History:
    entry = _dict(entry, "an object with train_loss, test_loss and seconds")
    unknown = sorted(set(entry) - {"train_loss", "test_loss", "seconds"})
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    curves = {}
    for curve in ("train_loss", "test_loss"):
        values = entry.get(curve, [])
        if not isinstance(values, list):
            raise TypeError(f"its {curve!r} must be a list of numbers, got {type(values).__name__}")
        curves[curve] = [check_number(value, f"{curve}[{index}]") for index, value in enumerate(values)]
    seconds = check_number(entry.get("seconds", 0.0), "seconds")
    if seconds < 0.0:
        raise ValueError(f"seconds is {seconds}; a training time is >= 0")
    return History(curves["train_loss"], curves["test_loss"], seconds)


def _upgrade(data: dict) -> dict:
    """A file of an earlier format, rewritten in this one (then checked like any other)."""
    if data["format"] == _OLD_HOUSE_FORMAT:
        if data.get("version") != 1:
            raise ValueError(f"{_OLD_HOUSE_FORMAT!r} version {data.get('version')!r:.40} is not one this program reads")
        nin = len(data["feature_names"])
        networks = {
            name: {
                "class": "MLP",
                "arguments": {"nin": nin, "nouts": [*entry["hidden"], 1], "activation": entry["activation"]},
                "state_dict": entry["state_dict"],
                **({"history": entry["history"]} if entry.get("history") else {}),
            }
            for name, entry in _dict(data["networks"], "the networks by name").items()
        }
        return {**data, "format": MODEL_FORMAT, "networks": networks}
    if data["format"] == _OLD_PRETRAINED_FORMAT:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "networks": {
                "model": {"class": "MLP", "arguments": data["architecture"], "state_dict": data["state_dict"]}
            },
            "feature_scaling": data["features"],
            "target_scaling": data["target"],
            "hyperparameters": data["hyperparameters"],
        }
    return data
