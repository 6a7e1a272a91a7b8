"""Every benchmark in one command: `python -m benchmarks` (or `make bench`).

    python -m benchmarks [--only w1,w2,w3,w4,main] [--steps 100] [--micrograd-steps 3] [--repeat 3]
                         [--chain 1000000] [--micrograd-chain N] [--nodes 1000000] [--points 100]
                         [--gpt-steps 20]

The workloads are described in ../shared/BENCHMARKS.md and in each module's docstring (W4, a GPT-style
script against its own minimal Value class, in benchmarks/w4.py). Times on a shared machine are noisy:
compare the engines within one run, by their ratios. A summary table of all workloads comes last.
"""

import argparse
import platform
import sys
import time

from . import main_job, w1, w2, w3, w4
from .common import print_table

WORKLOADS = ("w1", "w2", "w3", "w4", "main")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated subset of w1,w2,w3,w4,main")
    parser.add_argument("--steps", type=int, default=100, help="W1 steps for micrograd_plus and floats")
    parser.add_argument("--micrograd-steps", type=int, default=3, help="W1 steps for micrograd (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3, help="W1 runs per engine; the fastest counts")
    parser.add_argument("--points", type=int, default=100, help="W1 moons points")
    parser.add_argument("--chain", type=int, default=1_000_000, help="W2 chain steps (4 nodes each)")
    parser.add_argument("--micrograd-chain", type=int, help="W2 chain steps for micrograd (default --chain; 0: skip)")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="W3 graph size")
    parser.add_argument("--gpt-steps", type=int, default=20, help="W4 training steps (names)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in WORKLOADS]
    if unknown:
        parser.error(f"--only takes names from {','.join(WORKLOADS)}, got {','.join(unknown)}")

    print(f"Python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d %H:%M')}\n")
    ok, summary = True, []
    if "w1" in chosen:
        agree, rows = w1.compare(args.steps, args.micrograd_steps, args.repeat, args.points)
        ok, summary = ok and agree, summary + rows
        print()
    if "w2" in chosen:
        right, rows = w2.compare(args.chain, args.micrograd_chain)
        ok, summary = ok and right, summary + rows
        print()
    if "w3" in chosen:
        summary += w3.compare(args.nodes)
        print()
    if "w4" in chosen:
        agree, rows = w4.compare(args.gpt_steps, args.repeat)
        ok, summary = ok and agree, summary + rows
        print()
    if "main" in chosen:
        ok &= main_job.report()
        print()
    if summary:
        print("Summary (CPU-time ratios from this run)")
        print_table(["workload", "measure", "result", "target"], summary)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
