"""The GPT demo: one short run on a few hundred names (the full run is the CLI's job), then --load."""

import json

import pytest

from micrograd_plus.datasets.names import load_names
from micrograd_plus.demos import gpt as demo
from micrograd_plus.demos.gpt import GPTConfig, load_gpt, run_gpt, train_gpt
from micrograd_plus.gpt import GPT

SMALL = dict(n_embd=8, n_head=2, steps=10, batch_size=2, samples=4)


def test_a_short_run_reports_writes_its_files_and_its_saved_model_samples_the_same(tmp_path, monkeypatch, capsys):
    few = load_names()[:500]
    monkeypatch.setattr(demo, "load_names", lambda: few)  # 450 training and 50 held-out names: seconds, not a minute
    result = run_gpt(GPTConfig(**SMALL), out=tmp_path)
    printed = capsys.readouterr().out
    assert "held-out loss" in printed and "step 10/10" in printed and "of 4 are new" in printed
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
    assert saved["model"] == "GPT" and saved["arguments"] == result.model.config()
    loaded = run_gpt(GPTConfig(samples=4), out=None, load=tmp_path / "model.json")
    assert "no training" in capsys.readouterr().out
    assert loaded.samples == result.samples  # the same weights, the same seed: the same names
    assert loaded.losses == result.losses and loaded.train_losses == []


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


def test_load_refuses_a_file_that_is_not_a_saved_gpt(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="its format is 'something else'"):
        load_gpt(path)
