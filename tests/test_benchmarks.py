"""The benchmarks run (tiny sizes, no timing asserted) on the reference data and weights."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import main_job, w1, w2, w3, w4
from benchmarks.common import print_table
from micrograd_plus import MLP
from micrograd_plus.datasets import make_moons

REPO = Path(__file__).resolve().parents[1]
REFERENCE_SCRIPT = REPO.parent / "shared" / "bench" / "w1.py"  # the reference W1 beside the repository


# ---- the benchmarks themselves ----------------------------------------------------------------


def test_w1_engines_reach_the_same_losses_on_a_tiny_run():
    floats = w1.train("floats", steps=4, points=8)
    assert len(set(floats.losses)) == 4  # the loss moves: training really happens
    for engine in ("micrograd_plus", "micrograd_plus_no_gc"):
        run = w1.train(engine, steps=4, points=8)
        assert run.losses == pytest.approx(floats.losses, rel=0, abs=w1.LOSS_TOLERANCE)


def test_w1_initial_weights_fill_the_mlp_in_parameters_order():
    weights = w1.initial_weights()
    assert len(weights) == MLP(2, [16, 16, 1]).num_parameters() == 337
    assert weights == w1.initial_weights()  # seeded: the same every time


@pytest.mark.skipif(not REFERENCE_SCRIPT.exists(), reason="the shared reference script is not beside the repository")
def test_w1_data_and_weights_are_the_reference_scripts():
    spec = importlib.util.spec_from_file_location("reference_w1", REFERENCE_SCRIPT)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    assert make_moons() == reference.moons()
    assert w1.initial_weights() == reference.initial_weights()


def test_w2_chain_gradient_is_right():
    result = w2.measure("micrograd_plus", chain=500, pause_gc=True)
    assert result["relative_error"] <= w2.GRAD_TOLERANCE
    assert result["grad"] == pytest.approx(1.000001**500, rel=1e-12)


def test_w3_counts_the_nodes_and_their_memory():
    result = w3.measure("micrograd_plus", nodes=400, trace=True)
    assert (result["steps"], result["nodes"]) == (100, 201)  # 100 steps of 2 ops (constants folded in), and x0
    assert result["traced_peak_bytes"] > 201 * 56  # at least a Value's own slots per node


def test_python_dash_m_benchmarks_runs_w1_and_reports_agreement():
    command = [sys.executable, "-m", "benchmarks", "--only", "w1", "--steps", "2", "--micrograd-steps", "0"]
    done = subprocess.run(
        [*command, "--repeat", "1", "--points", "8"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "floats (hand-written backprop)" in done.stdout
    assert "at every shared step: OK" in done.stdout


def test_the_fused_gpt_comparison_is_one_of_the_workloads_with_its_summary_row():
    command = [sys.executable, "-m", "benchmarks", "--only", "gpt", "--fused-steps", "1"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(equal within 1e-09)" in done.stdout
    summary = done.stdout.split("Summary")[1]
    assert "tiny GPT" in summary and "fused nodes: times faster than plain ops" in summary


def test_unknown_workload_is_refused_with_the_valid_names():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "w9"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "w1,w2,w3,w4,gpt,main" in done.stderr and "w9" in done.stderr


def test_main_job_reports_a_failed_run_by_its_exit_status_not_as_not_available_yet(monkeypatch):
    # the house-prices subcommand exists now: any failure, even argparse's "invalid choice", is just a failure
    failing = (
        "import sys; print('micrograd-plus: error: argument SUBCOMMAND: invalid choice', file=sys.stderr); sys.exit(2)"
    )
    monkeypatch.setattr(main_job, "COMMAND", [sys.executable, "-c", failing])
    result = main_job.measure(timeout=60)
    assert result["status"] == "exit status 2"
    assert result["lines"] == ["micrograd-plus: error: argument SUBCOMMAND: invalid choice"]


def test_print_table_keeps_its_layout_through_the_shared_format_table(capsys):
    print_table(["engine", "seconds", "ratio"], [["micrograd_plus", "1.23", "1.0x"], ["micrograd", "123.4", "100.3x"]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "engine          seconds   ratio"
    assert {len(line) for line in lines} == {len(lines[0])}  # right-aligned columns end together
    assert lines[1].startswith("micrograd_plus ") and lines[2].startswith("micrograd ")


def test_w4_engines_reach_the_same_losses_on_a_tiny_run():
    minimal = w4.run("minimal", steps=2)
    for engine in ("micrograd_plus", "micrograd_plus_fused"):
        losses = w4.run(engine, steps=2)["losses"]
        assert losses == pytest.approx(minimal["losses"], rel=w4.LOSS_TOLERANCE)
    assert len(set(minimal["losses"])) == 2  # the loss moves: training really happens
