"""The command line: subcommands run and report, bad arguments exit with argparse's message."""

import subprocess
import sys

import pytest

from micrograd_plus.__main__ import main


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
