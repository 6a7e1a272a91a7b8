"""What every benchmark shares: running one measurement in a fresh child process, and printing tables.

Each measurement runs in its own `python -m benchmarks.wN --engine ...` process, which prints one JSON
line: engines never share a heap or a garbage collector's history, and one that crashes (micrograd's
recursion on deep graphs) is reported instead of taking the whole benchmark down.
"""

import json
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass

from micrograd_plus.demos import format_table


@dataclass
class ChildResult:
    """What a child process measured (`data`), or why it has no result (`status`)."""

    status: str  # "ok", or what went wrong: "RecursionError", "killed by SIGSEGV", "timed out after 600 s", ...
    data: dict | None


def run_child(
    module: str, args: list[str], timeout: float = 600.0, memory_limit_gb: float | None = None
) -> ChildResult:
    """Run `python -m benchmarks.<module> ARGS` and parse the JSON line it prints last."""
    command = [sys.executable, "-m", f"benchmarks.{module}", *args]
    preexec = None
    if memory_limit_gb is not None:  # a runaway engine gets a MemoryError instead of swapping the machine out
        limit = int(memory_limit_gb * 2**30)
        preexec = lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        return ChildResult(f"timed out after {timeout:g} s", None)
    if done.returncode < 0:
        return ChildResult(f"killed by {signal.Signals(-done.returncode).name}", None)
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return ChildResult(last_line[:100], None)
    return ChildResult("ok", json.loads(done.stdout.strip().splitlines()[-1]))


def print_json(data: dict) -> None:
    """The child's side of run_child: its one result line."""
    print(json.dumps(data), flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print rows under headers, each column as wide as its widest cell; the first column left-aligned."""
    print(format_table(headers, rows, "<" + ">" * (len(headers) - 1)))


def ratio(slow: float, fast: float) -> str:
    """'12.3x': how many times `fast` fits in `slow`."""
    return f"{slow / fast:.1f}x"
