"""The attention demo: short runs show attention beating mean pooling, looking at the flagged token."""

import random

import pytest

from micrograd_plus.__main__ import main
from micrograd_plus.demos.attention import (
    AttentionRegressor,
    MeanPoolRegressor,
    make_flagged_sequences,
    run_attention_demo,
)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("attention")
    return run_attention_demo(steps=60, n_train=256, n_test=100, seed=0, out=out, quiet=True), out


def test_attention_beats_mean_pooling_on_the_flagged_number(short_run):
    result, _ = short_run
    assert result.attention_mse < 0.2 * result.baseline_mse
    assert result.attention_mae < result.baseline_mae


def test_attention_learns_to_look_at_the_flagged_token(short_run):
    result, _ = short_run
    assert result.flagged_attention > 2.5 / result.length  # chance is 1 / length
    for row in result.example_weights:
        assert sum(row) == pytest.approx(1.0, rel=1e-12)
    flagged = [flag for _, flag in result.example_sequence].index(1.0)
    assert all(max(row) == row[flagged] for row in result.example_weights)  # every query looks at the flag


def test_attention_demo_saves_the_heatmap(short_run):
    result, out = short_run
    assert result.figures == [out / "attention.png", out / "training_loss.png"]
    for figure in result.figures:
        assert figure.read_bytes().startswith(b"\x89PNG")


def test_attention_demo_is_deterministic_for_a_seed():
    first = run_attention_demo(steps=3, n_train=20, n_test=10, seed=5, out=None, quiet=True)
    second = run_attention_demo(steps=3, n_train=20, n_test=10, seed=5, out=None, quiet=True)
    other = run_attention_demo(steps=3, n_train=20, n_test=10, seed=6, out=None, quiet=True)
    assert first.train_losses == second.train_losses
    assert first.attention_model.state_dict() == second.attention_model.state_dict()
    assert first.train_losses != other.train_losses


def test_flagged_sequences_have_one_flag_and_its_number_as_target():
    data = make_flagged_sequences(50, length=4, seed=2)
    assert len(data) == 50
    for sequence, target, position in zip(data.sequences, data.targets, data.flagged):
        assert [flag for _, flag in sequence] == [1.0 if i == position else 0.0 for i in range(4)]
        assert sequence[position][0] == target
    assert len(set(data.flagged)) == 4  # the flag moves around


def test_mean_pooling_cannot_tell_where_the_flag_is():
    # the same numbers with the flag moved: attention's answer changes, the mean-pooling baseline's cannot
    flagged_first = [[0.9, 1.0], [-0.5, 0.0], [0.1, 0.0]]
    flagged_last = [[0.9, 0.0], [-0.5, 0.0], [0.1, 1.0]]
    baseline = MeanPoolRegressor(seed=1)
    attention = AttentionRegressor(seed=1)
    assert baseline(flagged_first).data == baseline(flagged_last).data
    assert attention(flagged_first).data != attention(flagged_last).data


def test_attention_cli_prints_the_comparison_table(tmp_path, capsys):
    assert main(["attention", "--steps", "2", "--length", "3", "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "self-attention, then mean" in output
    assert "mean pooling, no attention" in output
    assert (tmp_path / "attention.png").exists()


def test_attention_cli_quiet_prints_nothing(tmp_path, capsys):
    assert main(["attention", "--steps", "1", "--length", "2", "--quiet", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "kwargs, message",
    [({"steps": 0}, "steps must be a positive whole number"), ({"length": 1}, "length must be a whole number >= 2")],
)
def test_attention_demo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_attention_demo(out=None, quiet=True, **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_test": 0}, "n_test must be a positive whole number, got 0"),
        ({"batch_size": 0}, "batch_size must be a positive whole number, got 0"),
        ({"n_train": 2.5}, "n_train must be a positive whole number, got 2.5"),
    ],
)
def test_attention_demo_checks_every_count_with_one_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_attention_demo(out=None, quiet=True, **kwargs)


def test_make_flagged_sequences_names_the_bad_count():
    with pytest.raises(ValueError, match=r"n \(the number of sequences\) must be a positive whole number, got 0"):
        make_flagged_sequences(0)
    with pytest.raises(ValueError, match="length must be a whole number >= 2 .one flagged token among others., got 1"):
        make_flagged_sequences(5, length=1)


@pytest.mark.parametrize("seed", ["0", 1.5, None, True])
def test_attention_regressor_rejects_a_seed_that_is_not_an_int_or_a_random(seed):
    with pytest.raises(TypeError, match="seed must be an int or a random.Random"):
        AttentionRegressor(seed=seed)


def test_attention_regressor_draws_from_a_shared_random_like_an_int_seed():
    assert AttentionRegressor(seed=random.Random(4)).state_dict() == AttentionRegressor(seed=4).state_dict()
    assert AttentionRegressor(seed=4).state_dict() != AttentionRegressor(seed=5).state_dict()


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail the test: errors in the arguments must be found before minutes of work."""

    def fail(*args, **kwargs):
        raise AssertionError("the demo started training before checking its output folder")

    monkeypatch.setattr("micrograd_plus.demos.attention._train", fail)


def test_attention_out_is_a_file_gives_one_error_line_not_a_traceback(tmp_path, capsys, monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").touch()
    assert main(["attention", "--out", "afile"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("micrograd-plus attention: error: --out 'afile' is a file, not a folder; ")
    assert len(error.strip().splitlines()) == 1


def test_attention_demo_checks_its_out_folder_before_training(tmp_path, no_training):
    (tmp_path / "afile").touch()
    with pytest.raises(ValueError, match="out '.*afile' is a file, not a folder"):
        run_attention_demo(out=tmp_path / "afile", quiet=True)
