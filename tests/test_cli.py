"""The command line: subcommands run and report, bad arguments exit with argparse's message."""

import argparse
import subprocess
import sys

import pytest

from micrograd_plus.__main__ import DEMOS, main
from micrograd_plus.demos import attention, fine_tuning, format_table, guarded, moons, output_folder
from micrograd_plus.demos.moons import train_moons


def test_moons_demo_trains_and_lowers_the_loss(capsys):
    assert main(["moons", "--steps", "12"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step")]
    first, last = (float(line.split("loss")[1].split()[0]) for line in (lines[0], lines[-1]))
    assert last < first


def test_unknown_subcommand_exits_with_usage():
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-demo"])
    assert exit_info.value.code == 2


def test_python_dash_m_runs_the_package():
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "--help"], capture_output=True, text=True, check=True
    )
    assert "moons" in result.stdout


def test_moons_negative_steps_is_a_usage_error_not_a_silent_success(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["moons", "--steps", "-3"])
    assert exit_info.value.code == 2
    assert "argument --steps: expected a whole number >= 1, got -3" in capsys.readouterr().err


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
def test_guarded_turns_a_user_error_into_exit_2_and_one_line(error, capsys):
    def run(args):
        raise error

    assert guarded(run)(argparse.Namespace(command="demo")) == 2
    assert capsys.readouterr().err == f"micrograd-plus demo: error: {str(error) or type(error).__name__}\n"


def test_guarded_adds_the_overflow_hint_to_arithmetic_errors_only(capsys):
    def run_raising(error):
        def run(args):
            raise error

        return guarded(run, overflow_hint="lower --lr")

    namespace = argparse.Namespace(command="demo")
    assert run_raising(OverflowError("math range error"))(namespace) == 2
    assert (
        capsys.readouterr().err
        == "micrograd-plus demo: error: a calculation overflowed (math range error); lower --lr\n"
    )
    assert run_raising(ZeroDivisionError("float division by zero"))(namespace) == 2
    assert "error: a calculation failed (float division by zero); lower --lr" in capsys.readouterr().err
    assert run_raising(ValueError("bad"))(namespace) == 2
    assert capsys.readouterr().err == "micrograd-plus demo: error: bad\n"


def test_guarded_passes_the_exit_code_through_and_lets_programming_errors_raise():
    assert guarded(lambda args: None)(argparse.Namespace()) == 0
    assert guarded(lambda args: 3)(argparse.Namespace()) == 3

    def broken(args):
        return args.no_such_option

    with pytest.raises(AttributeError):
        guarded(broken)(argparse.Namespace())


def test_every_subcommand_is_guarded_and_its_add_parser_documented():
    for demo in DEMOS:
        assert demo.add_parser.__doc__, f"{demo.__name__}.add_parser has no docstring"
    for name in ("moons", "fine-tune", "attention"):
        parser = argparse.ArgumentParser()
        module = {"moons": moons, "fine-tune": fine_tuning, "attention": attention}[name]
        module.add_parser(parser.add_subparsers())
        run = parser.parse_args([name]).run
        assert run.__wrapped__.__name__ == "_run"  # the guard wraps a named function, no lambda


def test_output_folder_is_created_and_a_file_in_its_path_is_named(tmp_path):
    assert output_folder(tmp_path / "new" / "inner") == tmp_path / "new" / "inner"
    assert (tmp_path / "new" / "inner").is_dir()
    (tmp_path / "afile").touch()
    with pytest.raises(ValueError, match=r"^--out '.*afile' is a file, not a folder"):
        output_folder(tmp_path / "afile", "--out")
    with pytest.raises(ValueError, match=r"^--out '.*afile/x/y' cannot be made: '.*afile' is a file, not a folder"):
        output_folder(tmp_path / "afile" / "x" / "y", "--out")


def test_format_table_aligns_columns_in_given_or_measured_widths():
    assert format_table(["a", "bb"], [["ccc", "1"]], "<>", [5, 4]) == "a      bb\nccc     1"
    assert format_table(["name", "n"], [["x", "100"]], "<>") == "name    n\nx     100"
    assert format_table(["wide", "n"], [["a-wider-cell", "7"]], "<>", [4, 3]) == "wide  n\na-wider-cell  7"
    with pytest.raises(ValueError, match="one alignment .'<' or '>'. and one width per column"):
        format_table(["a", "b"], [], "<")
