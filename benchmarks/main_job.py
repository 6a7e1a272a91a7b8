"""The main job: wall time of README's first command, `python -m micrograd_plus house-prices`, as it is.

    python -m benchmarks.main_job

Runs the command with its default settings in a fresh temporary folder (so its output files land
there, not in the work tree) and reports its wall-clock and CPU seconds, its exit status and the
lines it printed about training time and quality (those with "trained in" or "R²"), or its last lines.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time

COMMAND = [sys.executable, "-m", "micrograd_plus", "house-prices"]


def measure(timeout: float = 1800.0) -> dict:
    """Run the main job once; its wall and CPU seconds, exit status and the lines worth quoting."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="main_job_") as folder:
        start = time.perf_counter()
        try:
            done = subprocess.run(COMMAND, cwd=folder, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": f"timed out after {timeout:g} s", "wall_seconds": time.perf_counter() - start}
        wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    output = (done.stdout + done.stderr).strip().splitlines()
    status = "ok" if done.returncode == 0 else f"exit status {done.returncode}"
    quality = [line for line in output if "trained in" in line or "R²" in line]
    return {"status": status, "wall_seconds": wall, "cpu_seconds": cpu, "lines": quality or output[-8:]}


def report(timeout: float = 1800.0) -> bool:
    """Run the main job and print what it took; return whether it succeeded."""
    result = measure(timeout)
    print(f"Main job: {' '.join(['python', *COMMAND[1:]])} (default settings)")
    if result["status"] != "ok":
        print(f"  {result['status']}")
        return False
    print(f"  wall {result['wall_seconds']:.1f} s, CPU {result['cpu_seconds']:.1f} s; it says:")
    for line in result["lines"]:
        print(f"  | {line}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.main_job", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    return 0 if report(args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
