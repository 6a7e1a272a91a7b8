"""Fine-tuning: freezing, a new head, JSON save/load of the pre-trained model, and the demo's comparison."""

import json
import random

import pytest

from micrograd_plus import MLP, Adam, mse_loss
from micrograd_plus.__main__ import main
from micrograd_plus.datasets import Dataset, Standardizer
from micrograd_plus.demos.fine_tuning import load_pretrained, replace_head, run_fine_tuning_demo, save_pretrained
from micrograd_plus.train import Hyperparameters, fit


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fine_tuning")
    result = run_fine_tuning_demo(n_pretrain=400, pretrain_epochs=20, epochs=50, seed=0, out=out, quiet=True)
    return result, out


def test_fine_tuning_the_head_beats_training_from_scratch(short_run):
    result, _ = short_run
    assert result.row("fine-tune the head").rmse < result.row("from scratch").rmse
    assert result.row("fine-tune the head").r2 > result.row("from scratch").r2


def test_every_trained_approach_beats_the_city_a_model_on_city_b(short_run):
    result, _ = short_run
    untouched = result.row("no fine-tuning").rmse
    for approach in ("from scratch", "fine-tune the head", "fine-tune all"):
        assert result.row(approach).rmse < untouched


def test_the_table_counts_trainable_parameters(short_run):
    result, _ = short_run
    total = 7 * 16 + 16 + 16 + 1  # MLP(7, [16, 1])
    counts = {row.approach: (row.trainable, row.total) for row in result.rows}
    assert list(counts.values()) == [(0, total), (total, total), (16 + 1, total), (total, total)]
    assert result.row("fine-tune all").lr < result.row("from scratch").lr
    assert "fine-tune the head only" in result.table()


def test_the_demo_saves_the_model_and_the_four_learning_curves(short_run):
    result, out = short_run
    assert result.files == [out / "pretrained_city_a.json", out / "fine_tuning.png"]
    assert (out / "fine_tuning.png").read_bytes().startswith(b"\x89PNG")
    assert len(result.curves) == 4
    assert all(len(curve) == 50 for curve in result.curves.values())
    model, hyperparameters, _, _ = load_pretrained(out / "pretrained_city_a.json")
    assert hyperparameters.epochs == 20
    assert model.num_parameters() == result.rows[0].total


def test_the_demo_is_deterministic_for_a_seed():
    settings = dict(n_pretrain=40, n_small=6, n_test=10, hidden=3, pretrain_epochs=2, epochs=3, out=None, quiet=True)
    first = run_fine_tuning_demo(seed=3, **settings)
    assert first.table() == run_fine_tuning_demo(seed=3, **settings).table()
    assert first.table() != run_fine_tuning_demo(seed=4, **settings).table()


def fitted_standardizers(rng: random.Random) -> tuple[Standardizer, Standardizer]:
    X = [[rng.uniform(0, 10) for _ in range(3)] for _ in range(8)]
    y = [rng.uniform(1e5, 2e5) for _ in range(8)]
    return Standardizer().fit(X), Standardizer().fit_target(y)


def test_save_and_load_pretrained_round_trips_exactly(tmp_path):
    model = MLP(3, [4, 1], activation="tanh", seed=9)
    features, target = fitted_standardizers(random.Random(1))
    hyperparameters = Hyperparameters(lr=0.02, epochs=7, hidden=[4], seed=9)
    path = save_pretrained(tmp_path / "model.json", model, hyperparameters, features, target)

    loaded, loaded_hyperparameters, loaded_features, loaded_target = load_pretrained(path)
    assert loaded.state_dict() == model.state_dict()
    assert repr(loaded) == repr(model)
    assert loaded_hyperparameters == hyperparameters
    assert (loaded_features.mean, loaded_features.scale) == (features.mean, features.scale)
    assert (loaded_target.mean, loaded_target.scale) == (target.mean, target.scale)
    saved = json.loads(path.read_text())  # plain JSON in the one model format, no pickle
    assert (saved["format"], saved["networks"]["model"]["class"]) == ("micrograd_plus.model", "MLP")
    assert saved["networks"]["model"]["state_dict"] == model.state_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # the temporary file was renamed away


def test_load_pretrained_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*absent.json.*; expected a micrograd_plus model"):
        load_pretrained(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        load_pretrained(broken)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"layers.0.neurons.0.w.0": 1.0}))
    with pytest.raises(ValueError, match="foreign.json' is not a micrograd_plus model .*: it has no 'format' field"):
        load_pretrained(foreign)


def saved_bundle(tmp_path) -> tuple[dict, object]:
    """A pre-trained model's file as JSON data, and a path to write a changed copy to."""
    features, target = fitted_standardizers(random.Random(2))
    path = save_pretrained(tmp_path / "model.json", MLP(3, [4, 1], seed=1), Hyperparameters(), features, target)
    return json.loads(path.read_text()), tmp_path / "changed.json"


@pytest.mark.parametrize(
    "entry, message",
    [
        ("networks", r"damaged model file \(field networks\): it has no 'networks'"),
        (
            "feature_scaling",
            "not a usable pre-trained model: it needs feature_scaling, target_scaling and hyperparameters",
        ),
        (
            "hyperparameters",
            "not a usable pre-trained model: it needs feature_scaling, target_scaling and hyperparameters",
        ),
    ],
)
def test_load_pretrained_without_an_entry_names_the_file_and_the_entry_not_a_key_error(tmp_path, entry, message):
    bundle, path = saved_bundle(tmp_path)
    del bundle[entry]
    path.write_text(json.dumps(bundle))
    with pytest.raises(ValueError, match=f"changed.json' .*{message}"):
        load_pretrained(path)


def test_load_pretrained_of_a_file_that_is_not_utf8_is_a_value_error_not_a_unicode_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"format": "café"}'.encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.json' is not UTF-8 text"):
        load_pretrained(path)


MODEL = ("networks", "model")


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda b: b["networks"]["model"].update(arguments=[3, [4, 1]]),
            r"\(field networks.model.arguments\): expected",
        ),
        (lambda b: b["networks"]["model"]["arguments"].update(nin=0), "nin must be a positive whole number, got 0"),
        (
            lambda b: b["networks"]["model"]["arguments"].update(nin=2),
            r"MLP\(\*\*arguments\) would have 17 parameters, but the state_dict holds 21",
        ),
        (lambda b: b["feature_scaling"].update(mean=[0.0, 0.0]), "mean has 2 columns but scale has 3"),
        (
            lambda b: b["networks"]["model"]["state_dict"].update({"layers.0.neurons.0.w.0": "1"}),
            r"the value of 'layers.0.neurons.0.w.0' must be a number, got str",
        ),
        (
            lambda b: (
                b["networks"]["model"]["state_dict"].update(
                    {"layers.0.neurons.0.w.9": 1.0, "layers.0.neurons.0.w.0": 0}
                )
                or b["networks"]["model"]["state_dict"].pop("layers.0.neurons.0.w.0")
            ),
            "Error.s. in loading state_dict for MLP: missing keys: .* unexpected keys",
        ),
        (lambda b: b["hyperparameters"].update(lr=-1), "lr must be >= 0 and finite, got -1"),
    ],
)
def test_load_pretrained_wraps_errors_rebuilding_the_model_as_a_damaged_file(tmp_path, damage, message):
    bundle, path = saved_bundle(tmp_path)
    damage(bundle)
    path.write_text(json.dumps(bundle))
    with pytest.raises(
        ValueError, match=f"changed.json' (is a damaged model file|is not a usable pre-trained).*{message}"
    ):
        load_pretrained(path)


def test_load_pretrained_rejects_standardisers_that_do_not_fit_the_model(tmp_path):
    bundle, path = saved_bundle(tmp_path)
    bundle["feature_scaling"] = {"mean": [0.0] * 2, "scale": [1.0] * 2}
    path.write_text(json.dumps(bundle))
    with pytest.raises(ValueError, match="standardisers are for 2 features .* the model takes 3 inputs"):
        load_pretrained(path)


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda b: b["feature_scaling"]["mean"].__setitem__(1, float("nan")),
            r"\(field feature_scaling\): mean\[1\] is not a finite number \(it is nan\)",
        ),
        (
            lambda b: b["target_scaling"].update(mean=[float("-inf")]),
            r"\(field target_scaling\): mean\[0\] is not a finite number \(it is -inf\)",
        ),
        (
            lambda b: b["networks"]["model"]["state_dict"].update({"layers.1.neurons.0.b": float("inf")}),
            r"\(field networks.model.state_dict\): the value of 'layers.1.neurons.0.b' is not a finite number",
        ),
    ],
)
def test_load_pretrained_rejects_non_finite_numbers_naming_the_entry(tmp_path, damage, message):
    bundle, path = saved_bundle(tmp_path)
    damage(bundle)
    path.write_text(json.dumps(bundle))  # json writes NaN and Infinity, and Python's json reads them back
    with pytest.raises(ValueError, match=f"changed.json' is a damaged model file {message}"):
        load_pretrained(path)


def test_a_pretrained_file_of_the_previous_format_still_loads(tmp_path):
    model = MLP(3, [4, 1], activation="tanh", seed=9)
    features, target = fitted_standardizers(random.Random(1))
    old = {
        "format": "micrograd_plus pretrained MLP v1",
        "architecture": {"nin": 3, "nouts": [4, 1], "activation": "tanh"},
        "hyperparameters": Hyperparameters(hidden=[4]).to_dict(),
        "features": features.to_dict(),
        "target": target.to_dict(),
        "state_dict": model.state_dict(),
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    loaded, hyperparameters, loaded_features, _ = load_pretrained(path)
    assert loaded.state_dict() == model.state_dict() and hyperparameters.hidden == [4]
    assert loaded_features.mean == features.mean
    old["state_dict"]["layers.0.neurons.0.w.0"] = 1e308
    path.write_text(json.dumps(old))
    with pytest.raises(ValueError, match=r"old.json' is a damaged model file \(field networks.model.state_dict\)"):
        load_pretrained(path)


def test_replace_head_gives_a_fresh_trainable_output_layer_with_the_same_names():
    model = MLP(3, [4, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    old_head = [p.data for p in model.layers[-1].parameters()]
    model.freeze()
    head = replace_head(model, seed=5)
    assert head is model.layers[-1]
    assert [name for name, _ in model.named_parameters()] == names
    assert [p.data for p in head.parameters()] != old_head
    assert model.num_parameters(trainable_only=True) == 4 + 1
    assert [p.data for p in replace_head(MLP(3, [4, 1], seed=0), seed=5).parameters()] == [
        p.data for p in head.parameters()
    ]


def test_replace_head_rejects_a_model_that_is_not_an_mlp():
    with pytest.raises(TypeError, match="replace_head\\(\\) takes an MLP, got Standardizer"):
        replace_head(Standardizer())


def test_fine_tuning_the_head_leaves_the_frozen_body_untouched():
    rng = random.Random(0)
    rows = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(12)]
    data = Dataset(rows, [sum(row) for row in rows], ["a", "b", "c"], "y")
    model = MLP(3, [4, 1], activation="tanh", seed=2)
    model.freeze()
    replace_head(model, seed=3)
    body = [p.data for p in model.layers[0].parameters()]
    head = [p.data for p in model.layers[1].parameters()]
    fit(model, mse_loss, Adam(model.parameters(), lr=0.05), data, epochs=3, batch_size=4, progress=False)
    assert [p.data for p in model.layers[0].parameters()] == body
    assert all(p.grad == 0.0 for p in model.layers[0].parameters())
    assert [p.data for p in model.layers[1].parameters()] != head


def test_fine_tune_cli_prints_the_table(tmp_path, capsys):
    arguments = ["fine-tune", "--small", "5", "--pretrain-epochs", "1", "--epochs", "2", "--out", str(tmp_path)]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    for approach in ("no fine-tuning", "from scratch", "fine-tune the head only", "fine-tune all layers"):
        assert approach in output
    assert (tmp_path / "pretrained_city_a.json").exists()
    assert (tmp_path / "fine_tuning.png").exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_small": 1}, "n_small must be a whole number >= 2 .city B houses to learn from., got 1"),
        ({"n_pretrain": 5}, "n_pretrain must be a whole number >= 10"),
        ({"n_pretrain": 20.0}, "n_pretrain must be a positive whole number, got 20.0"),
        ({"epochs": 0}, "epochs must be a positive whole number, got 0"),
        ({"hidden": True}, "hidden must be a positive whole number, got True"),
        ({"head_lr": -1.0}, "lr must be >= 0 and finite, got -1.0"),
    ],
)
def test_fine_tuning_demo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_fine_tuning_demo(out=None, quiet=True, **kwargs)


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail the test: errors in the arguments must be found before minutes of work."""

    def fail(*args, **kwargs):
        raise AssertionError("the demo started training before checking its output folder")

    monkeypatch.setattr("micrograd_plus.demos.fine_tuning.fit", fail)


def test_fine_tune_out_is_a_file_gives_one_error_line_not_a_traceback(tmp_path, capsys, monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").touch()
    assert main(["fine-tune", "--out", "afile"]) == 2
    error = capsys.readouterr().err
    assert error.strip() == (
        "micrograd-plus fine-tune: error: --out 'afile' is a file, not a folder; "
        "give the name of a folder for the output files (it is created if missing)"
    )


def test_fine_tuning_demo_checks_its_out_folder_before_training(tmp_path, no_training):
    (tmp_path / "afile").touch()
    with pytest.raises(ValueError, match="out '.*afile' is a file, not a folder"):
        run_fine_tuning_demo(out=tmp_path / "afile", quiet=True)
    with pytest.raises(ValueError, match="out '.*afile/inner' cannot be made: '.*afile' is a file, not a folder"):
        run_fine_tuning_demo(out=tmp_path / "afile" / "inner", quiet=True)
