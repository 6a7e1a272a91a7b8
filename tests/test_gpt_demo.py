"""The GPT demo: one short run on a few hundred names (the full run is the CLI's job), then --load."""

import json

import pytest

from micrograd_plus.__main__ import main
from micrograd_plus.datasets.names import load_names
from micrograd_plus.demos import gpt as demo
from micrograd_plus.demos.gpt import GPTConfig, load_gpt, run_gpt, train_gpt
from micrograd_plus.gpt import GPT
from micrograd_plus.nn import MLP
from micrograd_plus.saved_model import SavedModel, save_model

SMALL = dict(n_embd=8, n_head=2, steps=10, batch_size=2, samples=4)


def test_a_short_run_reports_writes_its_files_and_its_saved_model_samples_the_same(tmp_path, monkeypatch, capsys):
    few = load_names()[:500]
    monkeypatch.setattr(demo, "load_names", lambda: few)  # 450 training and 50 held-out names: seconds, not a minute
    result = run_gpt(GPTConfig(**SMALL), out=tmp_path)
    printed = capsys.readouterr().out
    assert "held-out loss" in printed and "step 10/10" in printed and "distinct names among the 4 samples" in printed
    gpt = f"tiny GPT ({result.model.num_parameters():,} parameters)"
    assert list(result.losses) == ["uniform guess (ln 27)", "bigram counts (closed form, add-0.1)", gpt]
    assert len(result.train_losses) == 10 and len(result.samples) == 4
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == [
        "attention_head0.png",
        "attention_head1.png",
        "attention_score.png",
        "loss_curves.png",
        "model.json",
    ]
    assert all(len(curve) == 10 for curve in result.curves.values())

    saved = json.loads((tmp_path / "model.json").read_text())
    assert saved["format"] == "micrograd_plus.model"  # the one saved-model format
    network = saved["networks"]["gpt"]
    assert network["class"] == "GPT" and network["arguments"] == result.model.constructor_arguments()
    assert saved["hyperparameters"] == GPTConfig(**SMALL).to_dict()
    loaded = run_gpt(GPTConfig(samples=4), out=None, load=tmp_path / "model.json")
    assert "no training" in capsys.readouterr().out
    assert loaded.samples == result.samples  # the same weights, the same seed: the same names
    assert loaded.losses == result.losses and loaded.train_losses == []


def test_a_name_sampled_twice_counts_once_among_the_new_names(monkeypatch, capsys):
    monkeypatch.setattr(demo, "load_names", lambda: ["ava", "bob", "cy", "dee"] * 10)  # 36 train, 4 held out
    drawn = ["zed", "zed", "ava", "", "zed", "quo"]  # 3 distinct names, 2 of them new; one empty sample
    monkeypatch.setattr(demo, "sample_names", lambda *args: drawn)
    result = run_gpt(GPTConfig(n_embd=4, n_head=1, steps=1, batch_size=1, samples=6), out=None)
    assert (result.distinct_samples, result.new_samples) == (3, 2)
    printed = capsys.readouterr().out
    assert "3 distinct names among the 6 samples (1 empty): 2 of them new (not among the 36 training names)" in printed


def test_training_lowers_the_loss_and_prints_progress(capsys):
    names = load_names()[:4]  # the same four names at every step: the loss must fall
    model = GPT(n_embd=8, n_head=2, seed=0)
    losses = train_gpt(model, names, steps=10, batch_size=4, lr=0.05)
    assert losses[-1] < losses[0] - 0.5
    assert "step 10/10" in capsys.readouterr().out


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(lr=0.0), "lr must be a number > 0"),
        (dict(temperature=-1.0), "temperature must be a number > 0"),
        (dict(steps=0), "steps must be a positive whole number"),
        (dict(n_embd=10, n_head=4), "multiple of n_head"),
    ],
)
def test_bad_hyperparameters_are_refused_before_any_work(settings, message):
    with pytest.raises(ValueError, match=message):
        GPTConfig(**settings)


def test_evaluating_on_no_names_is_refused_not_a_division_by_zero():
    with pytest.raises(ValueError, match="there are no names to evaluate on"):
        demo.evaluate_gpt(GPT(n_embd=4, n_head=1), [])


def test_train_gpt_refuses_one_name_given_as_a_string():
    with pytest.raises(TypeError, match=r"got the string 'emma'; pass \['emma'\]"):
        train_gpt(GPT(n_embd=4, n_head=1), "emma", steps=1)


def test_load_refuses_a_file_that_is_not_a_saved_gpt(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="its format is 'something else'"):
        load_gpt(path)
    save_model(path, SavedModel({"model": MLP(2, [1])}))  # a model file, of a house-price MLP
    with pytest.raises(ValueError, match="not of a tiny GPT"):
        load_gpt(path)


def test_load_refuses_a_file_whose_sizes_ask_for_a_far_larger_gpt_before_building_it(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save_model(path, SavedModel({"gpt": GPT(n_embd=4, n_head=1)}))
    data = json.loads(path.read_text())
    data["networks"]["gpt"]["arguments"]["n_embd"] = 10**6  # 12 * 10**12 parameters, were it built
    path.write_text(json.dumps(data))
    monkeypatch.setattr(GPT, "__init__", lambda *args, **kwargs: pytest.fail("the GPT was built"))
    with pytest.raises(
        ValueError, match=r"arguments\): GPT\(\*\*arguments\) would have 12000070000000 parameters, but the state"
    ):
        load_gpt(path)


def test_load_refuses_unknown_hyperparameters(tmp_path):
    path = tmp_path / "model.json"
    save_model(path, SavedModel({"gpt": GPT(n_embd=4, n_head=1)}, hyperparameters={"steps": 5, "depth": 3}))
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['depth'\]"):
        load_gpt(path)


@pytest.mark.parametrize(
    "hyperparameters, message",
    [
        ({}, r"\(field hyperparameters\): missing hyperparameters \['batch_size', "),
        (
            GPTConfig(n_embd=4, n_head=2).to_dict(),
            r"\(field hyperparameters\): they describe GPT\(\*\*\{.*'n_head': 2.*\}\), but the network is GPT",
        ),
    ],
    ids=["missing", "other_sizes"],
)
def test_load_refuses_hyperparameters_that_are_missing_or_describe_another_gpt(tmp_path, hyperparameters, message):
    path = tmp_path / "model.json"
    save_model(path, SavedModel({"gpt": GPT(n_embd=4, n_head=1)}, hyperparameters=hyperparameters))
    with pytest.raises(ValueError, match=r"model.json' is a damaged model file " + message):
        load_gpt(path)


def test_the_command_line_passes_its_options_to_run_gpt(monkeypatch):
    calls = []
    monkeypatch.setattr(demo, "run_gpt", lambda config, **kwargs: calls.append((config, kwargs)))
    argv = ["gpt", "--steps", "7", "--n-embd", "8", "--n-head", "2", "--temperature", "1.5", "--out", "somewhere"]
    assert main(argv) == 0
    config, kwargs = calls[0]
    assert config == GPTConfig(steps=7, n_embd=8, n_head=2, temperature=1.5)
    assert kwargs == {"out": "somewhere", "load": None, "quiet": False}
    assert main(["gpt", "--load", "model.json", "--samples", "5", "--seed", "3"]) == 0
    assert calls[1][0] == GPTConfig(samples=5, seed=3) and calls[1][1]["load"] == "model.json"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gpt", "--load", "model.json", "--steps", "3", "--n-head", "2"], "so --n-head, --steps would be ignored"),
        (["gpt", "--n-embd", "10"], "n_embd must be a multiple of n_head"),
        (["gpt", "--temperature", "0"], "temperature must be a number > 0"),
        (["gpt", "--load", "no-such-model.json"], "no file at 'no-such-model.json'"),
    ],
)
def test_the_command_line_refuses_mistakes_in_one_line(argv, message, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("micrograd-plus gpt: error:") and message in error and error.count("\n") == 1
