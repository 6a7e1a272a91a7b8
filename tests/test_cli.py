"""The command line: every subcommand parses here, and every user's mistake is one line and exit status 2."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_plus.__main__ import SUBCOMMANDS, build_parser, guard, main
from micrograd_plus.demos import format_table
from micrograd_plus.demos.moons import train_moons


def leaf_commands(subcommands=SUBCOMMANDS, prefix=()):
    """Every runnable command, as its words: ("house-prices",), ..., ("exercises", "list"), ..."""
    for subcommand in subcommands:
        words = (*prefix, subcommand.name)
        if subcommand.actions:
            yield from leaf_commands(subcommand.actions, words)
        else:
            yield words


LEAVES = list(leaf_commands())
REQUIRED = {
    ("predict",): ["--model", "m", "--csv", "c"],
    ("exercises", "student-copies"): ["out"],
    ("exercises", "grade"): ["submissions"],
}


def test_moons_demo_trains_and_lowers_the_loss(capsys):
    assert main(["moons", "--steps", "12"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step")]
    first, last = (float(line.split("loss")[1].split()[0]) for line in (lines[0], lines[-1]))
    assert last < first


def test_python_dash_m_runs_the_package():
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "--help"], capture_output=True, text=True, check=True
    )
    assert "moons" in result.stdout and "house-prices" in result.stdout


def test_every_subcommand_is_registered_with_help_and_a_run_function(capsys):
    assert LEAVES == [
        ("house-prices",), ("predict",), ("moons",), ("fine-tune",), ("attention",), ("gpt",), ("exercises", "list"),
        ("exercises", "student-copies"), ("exercises", "grade"),
    ]  # fmt: skip
    for words in LEAVES:
        assert main([*words, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: micrograd-plus {' '.join(words)}")


@pytest.mark.parametrize("words", LEAVES, ids=["-".join(words) for words in LEAVES])
def test_a_usage_error_in_any_subcommand_is_one_line_and_exit_2(words, capsys):
    assert main([*words, *REQUIRED.get(words, []), "--no-such-option"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert error.startswith(f"micrograd-plus {' '.join(words)}: error: ") and "--no-such-option" in error


@pytest.mark.parametrize(
    "argv, message",
    [
        (["no-such-demo"], "micrograd-plus: error: argument SUBCOMMAND: invalid choice: 'no-such-demo'"),
        ([], "micrograd-plus: error: the following arguments are required: SUBCOMMAND"),
        (["exercises"], "micrograd-plus exercises: error: the following arguments are required: ACTION"),
        (["moons", "--steps", "x"], "micrograd-plus moons: error: argument --steps: invalid int value: 'x'"),
        (["moons", "--steps", "-3"], "micrograd-plus moons: error: steps must be a positive whole number, got -3"),
        (["house-prices", "--hidden", "0"], "each hidden layer size must be a positive whole number, got 0"),
        (["house-prices", "--lr", "-1"], "micrograd-plus house-prices: error: lr must be >= 0 and finite, got -1.0"),
        (["attention", "--steps", "0"], "micrograd-plus attention: error: steps must be a positive whole number"),
        (["attention", "--length", "1"], "micrograd-plus attention: error: length must be a whole number >= 2"),
        (["attention", "--steps", "many"], "micrograd-plus attention: error: argument --steps: invalid int value"),
        (["fine-tune", "--small", "1"], "micrograd-plus fine-tune: error: n_small must be a whole number >= 2"),
        (["fine-tune", "--epochs", "0"], "micrograd-plus fine-tune: error: epochs must be a positive whole number"),
        (["fine-tune", "--pretrain-epochs", "x"], "error: argument --pretrain-epochs: invalid int value: 'x'"),
    ],
)
def test_bad_arguments_and_settings_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_a_setting_is_checked_by_the_class_that_owns_it_with_the_optimizers_rule(capsys):
    """lr follows optim.py (>= 0, as torch.optim): the command line and Hyperparameters add no rule of their own."""
    from micrograd_plus import Adam, Value
    from micrograd_plus.train import Hyperparameters

    with pytest.raises(ValueError) as from_optimizer:
        Adam([Value(0.0)], lr=-1.0)
    with pytest.raises(ValueError) as from_hyperparameters:
        Hyperparameters(lr=-1.0)
    assert str(from_optimizer.value) == str(from_hyperparameters.value)
    assert Hyperparameters(lr=0.0).lr == 0.0  # as Adam(lr=0.0)


@pytest.mark.parametrize("steps", [0, -3, 2.0, True])
def test_train_moons_rejects_steps_that_are_not_a_positive_whole_number(steps):
    with pytest.raises(ValueError, match=f"steps must be a positive whole number, got {steps!r}"):
        train_moons(steps, quiet=True)


def test_moons_errors_and_ctrl_c_end_in_one_line_not_a_traceback(monkeypatch, capsys):
    def overflow(*args, **kwargs):
        raise OverflowError("math range error")

    monkeypatch.setattr("micrograd_plus.demos.moons.train_moons", overflow)
    assert main(["moons"]) == 2
    assert capsys.readouterr().err == "micrograd-plus moons: error: math range error\n"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("micrograd_plus.demos.moons.train_moons", interrupted)
    assert main(["moons"]) == 130
    assert capsys.readouterr().err.strip() == "micrograd-plus moons: interrupted"


@pytest.mark.parametrize(
    "error", [OSError("disk full"), ValueError("bad"), TypeError("bad type"), ZeroDivisionError(), RuntimeError("x")]
)
def test_guard_turns_a_user_error_into_exit_2_and_one_line(error, capsys):
    def run(args):
        raise error

    assert guard(run, argparse.Namespace(), "micrograd-plus demo") == 2
    assert capsys.readouterr().err == f"micrograd-plus demo: error: {str(error) or type(error).__name__}\n"


def test_guard_adds_the_overflow_hint_to_arithmetic_errors_only(capsys):
    def raising(error):
        def run(args):
            raise error

        return run

    namespace = argparse.Namespace()
    assert guard(raising(OverflowError("math range error")), namespace, "micrograd-plus demo", "lower --lr") == 2
    assert (
        capsys.readouterr().err
        == "micrograd-plus demo: error: a calculation overflowed (math range error); lower --lr\n"
    )
    assert guard(raising(ZeroDivisionError("float division by zero")), namespace, "x", "lower --lr") == 2
    assert "error: a calculation failed (float division by zero); lower --lr" in capsys.readouterr().err
    assert guard(raising(ValueError("bad")), namespace, "micrograd-plus demo", "lower --lr") == 2
    assert capsys.readouterr().err == "micrograd-plus demo: error: bad\n"


def test_guard_passes_the_exit_code_through_and_lets_programming_errors_raise():
    assert guard(lambda args: None, argparse.Namespace(), "x") == 0
    assert guard(lambda args: 3, argparse.Namespace(), "x") == 3

    def broken(args):
        return args.no_such_option

    with pytest.raises(AttributeError):
        guard(broken, argparse.Namespace(), "x")


def test_every_command_runs_through_the_one_guard():
    parser = build_parser()
    for words in LEAVES:
        args = parser.parse_args([*words, *REQUIRED.get(words, [])])
        assert args.prog == f"micrograd-plus {' '.join(words)}" and callable(args.run)


def test_format_table_aligns_columns_two_spaces_apart_in_given_or_measured_widths():
    assert format_table(["a", "bb"], [["ccc", "1"]], "<>", [5, 2]) == "a      bb\nccc     1"
    assert format_table(["name", "n"], [["x", "100"]], "<>") == "name    n\nx     100"
    assert format_table(["wide", "n"], [["a-wider-cell", "7"]], "<>", [4, 1]) == "wide  n\na-wider-cell  7"
    assert format_table(["k", "v"], [["a", "1"]], "<>", rule=True, indent="  ") == "  k  v\n  -  -\n  a  1"
    with pytest.raises(ValueError, match="one alignment .'<' or '>'. and one width per column"):
        format_table(["a", "b"], [], "<")


# ---- every output folder is checked before any work, and a failed command writes nothing ----------------------

COMMANDS = {  # the command's words before its output folder, and the name of one file it writes there
    "house-prices": (["house-prices", "--hidden", "8", "--out"], "model.json"),
    "fine-tune": (["fine-tune", "--out"], "pretrained_city_a.json"),
    "attention": (["attention", "--out"], "attention.png"),
    "student-copies": (["exercises", "student-copies"], "01_derivatives.ipynb"),
}


@pytest.fixture
def no_work(monkeypatch):
    """Make the work of every command fail the test: a bad output folder must be found before it."""

    def fail(*args, **kwargs):
        raise AssertionError("the command started its work before checking its output folder")

    for target in (
        "micrograd_plus.demos.house_prices.fit", "micrograd_plus.demos.fine_tuning.fit",
        "micrograd_plus.demos.attention._train", "micrograd_plus.exercises.student_copies.student_notebook",
    ):  # fmt: skip
        monkeypatch.setattr(target, fail)


def read_only(monkeypatch, folder):
    """Make `folder` refuse new files, as a read-only folder does for a user who is not root (tests run as root)."""
    import tempfile

    real = tempfile.mkdtemp

    def mkdtemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to(folder):
            raise PermissionError(13, "Permission denied", str(dir) + "/.write-check-xyz")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "bad, message",
    [
        ("file", "'{out}' is a file, not a folder"),
        ("file_in_path", "cannot be made: '{parent}' is a file, not a folder"),
        ("folder_named_like_an_output", "holds a folder named '{name}' where this command writes its file"),
        ("read_only", "cannot write into '{out}' (Permission denied); choose a folder you can write to"),
    ],
)
def test_every_command_refuses_a_bad_output_folder_before_work_and_writes_nothing(
    command, bad, message, tmp_path, monkeypatch, capsys, no_work
):
    words, name = COMMANDS[command]
    monkeypatch.chdir(tmp_path)
    out = parent = "target"
    if bad == "file":
        (tmp_path / out).write_text("keep me")
    elif bad == "file_in_path":
        (tmp_path / parent).write_text("keep me")
        out = "target/inner"
    elif bad == "folder_named_like_an_output":
        (tmp_path / out / name).mkdir(parents=True)
    else:
        (tmp_path / out).mkdir()
        read_only(monkeypatch, tmp_path / out)
    before = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert main([*words, out]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message.format(out=out, parent=parent, name=name) in error, error
    assert ".tmp" not in error and "staging" not in error and "write-check" not in error
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")) == before


# ---- every file a user names is read with a size limit (review of the command line, item 2) --------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "argv, limit",
    [
        (["predict", "--model", "/dev/zero", "--house", "lotsize=5000"], "32 MB"),
        (["house-prices", "--data", "/dev/zero"], "4 MB"),
        (["house-prices", "--load", "/dev/zero"], "32 MB"),
    ],
)
def test_a_device_or_a_huge_file_is_refused_at_the_size_limit_not_read_whole(argv, limit, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "out")] if argv[0] != "predict" else argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"'/dev/zero' holds more than {limit} (" in error, error


# ---- an empty --out is refused: it would write every output into the current folder unasked ---------------------

OUT_OPTIONS = [  # every command that writes files, and its words before the output path
    ["house-prices", "--out"], ["fine-tune", "--out"], ["attention", "--out"], ["gpt", "--out"],
    ["exercises", "grade", "submissions", "--out"], ["exercises", "student-copies"],
]  # fmt: skip


@pytest.mark.parametrize("out", ["", "  "], ids=["empty", "blank"])
@pytest.mark.parametrize(
    "words", OUT_OPTIONS, ids=[words[0] if words[0] != "exercises" else words[1] for words in OUT_OPTIONS]
)
def test_an_empty_or_blank_output_path_is_refused_before_work(words, out, tmp_path, monkeypatch, capsys, no_work):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("micrograd_plus.demos.gpt.load_names", lambda: pytest.fail("the gpt demo started its work"))
    assert main([*words, out]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"{out!r} names no" in error and "(. " in error, error
    assert list(tmp_path.iterdir()) == []


# ---- sizes whose graphs would exhaust memory are refused before any work, naming the limit ----------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["attention", "--length", "200"],
            "16 sequences of 200 tokens .* about 5,493 MB .* give a length of at most 71",
        ),
        (["attention", "--length", "72"], "over the limit of 300 MB .* give a length of at most 71 "),
        (["house-prices", "--hidden", "1000"], "437 rows through an MLP 11-1000-1 .* about 381 MB .* --batch-size"),
        (["house-prices", "--hidden", "1000", "1000"], "MLP 11-1000-1000-1 would have 1,014,001 parameters, over the "),
        (["gpt", "--n-embd", "1024"], "this GPT would have 12,654,592 parameters, over the limit of 500,000"),
        (["gpt", "--n-layer", "100"], "a training step: n_embd 16 x n_layer 100 over 64 positions .* about 305 MB"),
        (["gpt", "--batch-size", "1000"], "a training step: n_embd 16 x n_layer 1 over 16,000 positions"),
        (
            ["gpt", "--block-size", "20000"],
            "a sample as long as block_size: n_embd 16 x n_layer 1 over 20,000 positions",
        ),
        (["fine-tune", "--small", "99801"], "city B would have 100,001 houses, over the limit of 100,000"),
    ],
)
def test_a_size_that_would_exhaust_memory_is_refused_before_any_work(
    argv, message, tmp_path, monkeypatch, capsys, no_work
):
    import re

    from micrograd_plus.demos.gpt import GPTConfig
    from micrograd_plus.gpt import GPT

    default, build = GPTConfig().model_arguments(), GPT.__init__

    def only_the_default(self, **arguments):  # GPTConfig() is the default settings, checked by building them
        assert {name: arguments[name] for name in default} == default, "a GPT of the sizes asked for was built"
        build(self, **arguments)

    monkeypatch.setattr(GPT, "__init__", only_the_default)
    monkeypatch.setattr("micrograd_plus.demos.fine_tuning.make_houses", lambda *a, **k: pytest.fail("houses made"))
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and re.search(message, error), error
    assert not (tmp_path / "out").exists()


def test_the_largest_sizes_allowed_pass_the_checks(tmp_path):
    from micrograd_plus.demos import attention, house_prices
    from micrograd_plus.demos.gpt import GPTConfig
    from micrograd_plus.train import Hyperparameters

    assert attention._step_megabytes(16, 71) <= 300 < attention._step_megabytes(16, 72)
    house_prices._check_sizes(11, 437, 109, Hyperparameters(hidden=[1000], batch_size=32))  # a batch makes it fit
    GPTConfig(n_embd=64, batch_size=64)  # 1,024 positions of width 64: about 226 MB, measured 227 MB


def test_a_csv_with_more_feature_columns_than_least_squares_can_take_is_refused(tmp_path, capsys):
    rows = [[float(i), *(float((i * j) % 7) for j in range(101))] for i in range(12)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(map(str, row)) for row in [["price", *(f"x{j}" for j in range(101))], *rows]))
    assert main(["house-prices", "--data", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "has 101 feature columns; this job takes at most 100" in capsys.readouterr().err
