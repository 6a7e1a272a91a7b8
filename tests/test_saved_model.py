"""The one saved-model format: round trips, other Module classes, earlier formats, and files never trusted."""

import json
import random

import pytest

from micrograd_plus import MLP, Module, Value
from micrograd_plus.__main__ import main
from micrograd_plus.datasets import Standardizer
from micrograd_plus.saved_model import (
    MODEL_FORMAT,
    DamagedModelError,
    SavedModel,
    constructor_arguments,
    load_model,
    model_to_json,
    save_model,
)
from micrograd_plus.train import History, Hyperparameters


def house_model(seed: int = 0) -> SavedModel:
    """A small house-price-like model: a linear network and an MLP over 3 named features, with scaling."""
    rng = random.Random(seed)
    rows = [[rng.uniform(0, 9), rng.uniform(1e3, 9e3), float(rng.random() < 0.5)] for _ in range(20)]
    prices = [rng.uniform(5e4, 2e5) for _ in rows]
    hyperparameters = Hyperparameters(lr=0.05, epochs=3, batch_size=None, hidden=[4], seed=seed)
    return SavedModel(
        {"linear": hyperparameters.make_model(3, hidden=[]), "mlp": hyperparameters.make_model(3)},
        feature_names=["rooms", "lotsize", "airco"],
        target_name="price",
        features=Standardizer().fit(rows),
        target=Standardizer().fit_target(prices),
        hyperparameters=hyperparameters,
        histories={"mlp": History([0.9, 0.5], [1.0, 0.6], 0.25)},
        data={"source": "synthetic", "rows": 20, "test_fraction": 0.2},
    )


def test_a_saved_model_round_trips_exactly_as_plain_json(tmp_path):
    model = house_model()
    path = save_model(tmp_path / "model.json", model)
    text = path.read_text()
    assert json.loads(text) == model_to_json(model)  # plain data: no pickle, no code
    again = load_model(path)
    assert list(again.networks) == ["linear", "mlp"]
    for name, net in model.networks.items():
        assert again.networks[name].state_dict() == net.state_dict()
        assert constructor_arguments(again.networks[name]) == constructor_arguments(net)
    assert (again.feature_names, again.target_name) == (model.feature_names, model.target_name)
    assert (again.features.mean, again.target.scale) == (model.features.mean, model.target.scale)
    assert again.hyperparameters == model.hyperparameters.to_dict() and again.data == model.data
    assert again.histories["mlp"] == model.histories["mlp"] and "linear" not in again.histories
    houses = [[3.0, 5000.0, 1.0], [5.0, 2500.0, 0.0]]
    assert again.predict(houses, "mlp") == model.predict(houses, "mlp")  # bit for bit
    assert json.loads(text)["networks"]["mlp"]["arguments"] == {"nin": 3, "nouts": [4, 1], "activation": "tanh"}


def test_only_the_networks_are_required(tmp_path):
    path = save_model(tmp_path / "bare.json", SavedModel({"net": MLP(2, [3, 1], seed=1)}))
    assert set(json.loads(path.read_text())) == {"format", "version", "networks"}
    assert json.loads(path.read_text())["format"] == MODEL_FORMAT == "micrograd_plus.model"
    again = load_model(path)
    assert again.feature_names is None and again.features is None and again.hyperparameters is None
    assert again.predict([[1.0, 2.0]]) == [MLP(2, [3, 1], seed=1)([1.0, 2.0]).data]


class TinyLM(Module):
    """A stand-in for another helper's GPT: any Module with constructor_arguments() can be saved."""

    def __init__(self, vocab_size: int, width: int, seed: int = 0):
        rng = random.Random(seed)
        self.vocab_size, self.width = vocab_size, width
        self.embedding = [[Value(rng.gauss(0, 1)) for _ in range(width)] for _ in range(vocab_size)]

    def constructor_arguments(self) -> dict:
        return {"vocab_size": self.vocab_size, "width": self.width}


def test_another_module_class_is_saved_by_name_and_built_only_when_the_reader_allows_it(tmp_path):
    model = TinyLM(5, 3, seed=2)
    path = save_model(tmp_path / "lm.json", SavedModel({"lm": model}, hyperparameters={"block_size": 8}))
    entry = json.loads(path.read_text())["networks"]["lm"]
    assert (entry["class"], entry["arguments"]) == ("TinyLM", {"vocab_size": 5, "width": 3})
    again = load_model(path, classes={"TinyLM": TinyLM})
    assert again.networks["lm"].state_dict() == model.state_dict() and again.hyperparameters == {"block_size": 8}
    with pytest.raises(DamagedModelError, match=r"\(field networks.lm.class\): 'TinyLM' is not a class this reader"):
        load_model(path)  # by default only MLP is built: a file never names the code that runs
    with pytest.raises(TypeError, match="cannot save a Standardizer: give it a constructor_arguments"):
        save_model(tmp_path / "x.json", SavedModel({"x": Standardizer()}))


def old_house_price_file(model: SavedModel) -> dict:
    """The file house-prices wrote before this format ("micrograd_plus.house_price_model", version 1)."""
    return {
        "format": "micrograd_plus.house_price_model",
        "version": 1,
        "feature_names": model.feature_names,
        "target_name": model.target_name,
        "feature_scaling": model.features.to_dict(),
        "target_scaling": model.target.to_dict(),
        "hyperparameters": model.hyperparameters.to_dict(),
        "data": model.data,
        "networks": {
            name: {
                "hidden": [layer.nout for layer in net.layers[:-1]],
                "activation": net.activation,
                "state_dict": net.state_dict(),
                "history": {"train_loss": [0.5], "test_loss": [0.6], "seconds": 0.1},
            }
            for name, net in model.networks.items()
        },
    }


def test_a_house_price_model_of_the_previous_format_loads_with_the_same_predictions(tmp_path):
    from micrograd_plus.demos.house_model import load_model as load_house_model

    model = house_model()
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old_house_price_file(model)))
    again = load_house_model(path)
    houses = [[3.0, 5000.0, 1.0]]
    for name in ("linear", "mlp"):
        assert again.predict(houses, name) == model.predict(houses, name)
    assert again.hyperparameters == model.hyperparameters
    damaged = old_house_price_file(model)
    damaged["networks"]["linear"]["hidden"] = 7
    path.write_text(json.dumps(damaged))
    with pytest.raises(DamagedModelError, match=r"old.json' is a damaged model file \(field format\): "):
        load_model(path)


# ---- files are never trusted: each error names the file and the field (issue 12, item 4) ---------------------


def damaged(tmp_path, change=None, text=None) -> str:
    data = model_to_json(house_model())
    if change:
        change(data)
    path = tmp_path / "model.json"
    path.write_text(text(json.dumps(data)) if text else json.dumps(data))
    return str(path)


WEIGHT = "layers.0.neurons.0.w.0"
DEEP = "[" * 100000 + "]" * 100000  # JSON nested past Python's recursion limit


@pytest.mark.parametrize(
    "change, text, message",
    [
        (
            lambda m: m["networks"]["linear"]["state_dict"].update({WEIGHT: 1e308}),
            None,
            rf"\(field networks.linear.state_dict\): the value of '{WEIGHT}' is too large \(1e\+308\)",
        ),
        (
            None,
            lambda t: t.replace(f'"{WEIGHT}": ', f'"{WEIGHT}": 1{"0" * 400}, "_": ', 1),
            r"\(field networks.linear.state_dict\): the value of .* too large \(a whole number of 401 digits\)",
        ),
        (
            lambda m: m["feature_scaling"]["mean"].__setitem__(1, 1e308),
            None,
            r"\(field feature_scaling\): mean\[1\] is too large \(1e\+308\)",
        ),
        (
            lambda m: m["target_scaling"]["scale"].__setitem__(0, 1e-300),
            None,
            r"\(field target_scaling\): scale\[0\] is 1e-300; every scale must be a positive number >= 1e-100",
        ),
        (lambda m: m.update(target_name={"a": 1}), None, r"\(field target_name\): expected the name of the target"),
        (
            lambda m: m["feature_names"].__setitem__(2, "rooms"),
            None,
            r"\(field feature_names\): it has these names more than once: \['rooms'\]",
        ),
        (
            lambda m: m["feature_names"].pop(),
            None,
            r"\(field feature_names\): 2 names, but network 'linear' takes 3 inputs",
        ),
        (
            lambda m: m["networks"]["mlp"]["arguments"].update(nouts=[10**6, 1]),
            None,
            r"\(field networks.mlp.arguments\): MLP\(\*\*arguments\) would have 5000001 parameters, but the state_dict",
        ),
        (lambda m: m["networks"]["mlp"]["history"].update(seconds=-1), None, r"history\): seconds is -1.0"),
        (lambda m: m.update(version=True), None, r"\(field version\): it is True; this program reads version 1"),
        (lambda m: m.update(surprise=1), None, r"it has unknown fields \['surprise'\]"),
        (None, lambda t: t.replace('"networks": {', f'"networks": {DEEP}, "_": {{'), "nested too deeply"),
        (None, lambda t: t.replace(f'"{WEIGHT}": ', f'"{WEIGHT}": 1{"0" * 5000}, "_": ', 1), "is not valid JSON"),
    ],
    ids=[
        "weight_1e308", "weight_10_400", "mean_1e308", "tiny_scale", "target_name_dict", "duplicate_names",
        "names_and_inputs", "huge_network", "negative_seconds", "version_bool", "unknown_field", "deep", "int_5000",
    ],
)  # fmt: skip
def test_a_damaged_model_file_is_refused_naming_the_file_and_the_field(tmp_path, change, text, message):
    path = damaged(tmp_path, change, text)
    with pytest.raises(ValueError, match=message) as caught:
        load_model(path)
    assert str(caught.value).startswith(f"{path!r} is ")


def test_predict_never_prints_an_infinite_or_nan_price(tmp_path, capsys):
    """A file within every plausible range can still price a house at infinity: that is refused, never printed."""
    hyperparameters = Hyperparameters(hidden=[], batch_size=None)
    net = hyperparameters.make_model(1)
    net.load_state_dict({name: 1e100 for name in net.state_dict()})
    model = SavedModel(
        {"linear": net}, ["lotsize"], "price", Standardizer([0.0], [1e-100]), Standardizer([0.0], [1e100]),
        hyperparameters,
    )  # fmt: skip
    path = save_model(tmp_path / "model.json", model)
    assert main(["predict", "--model", str(path), "--house", "lotsize=1e100"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "inf" not in captured.out
    assert f"the model in '{path}' gives no usable prediction (the prediction for row 1 is inf" in captured.err
    assert main(["predict", "--model", str(path), "--house", "lotsize=1"]) == 0  # the same file, a usual house
    assert "Predicted price (linear neuron): $" in capsys.readouterr().out
