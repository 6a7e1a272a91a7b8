"""The attention demo: short runs show attention beating mean pooling, looking at the flagged token."""

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


@pytest.mark.parametrize("argument", [["--steps", "0"], ["--length", "1"], ["--steps", "many"]])
def test_attention_cli_rejects_bad_numbers_with_usage(argument, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["attention", *argument])
    assert exit_info.value.code == 2
    assert "expected a whole number" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, message",
    [({"steps": 0}, "steps must be a positive whole number"), ({"length": 1}, "length must be a whole number >= 2")],
)
def test_attention_demo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_attention_demo(out=None, quiet=True, **kwargs)
