"""Every benchmark in one command: `python -m benchmarks` (or `make bench`).

    python -m benchmarks [--only w1,w2,w3,w4,gpt,main] [--steps 100] [--micrograd-steps 3] [--repeat 3]
                         [--chain 1000000] [--micrograd-chain N] [--nodes 1000000] [--points 100]
                         [--gpt-steps 20] [--fused-steps 40]

The workloads are described in ../shared/BENCHMARKS.md and in each module's docstring (W4, a GPT-style
script against its own minimal Value class, in benchmarks/w4.py; the tiny GPT's fused nodes against the same
model in plain ops, in benchmarks/gpt_fused.py). Times on a shared machine are noisy:
compare the engines within one run, by their ratios. A summary table of all workloads comes last.
"""

import argparse
import platform
import sys
import time

from . import gpt_fused, main_job, w1, w2, w3, w4
from .common import print_table

WORKLOADS = ("w1", "w2", "w3", "w4", "gpt", "main")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--steps", type=int, default=100, help="W1 steps for micrograd_plus and floats")
    parser.add_argument("--micrograd-steps", type=int, default=3, help="W1 steps for micrograd (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3, help="W1 runs per engine; the fastest counts")
    parser.add_argument("--points", type=int, default=100, help="W1 moons points")
    parser.add_argument("--chain", type=int, default=1_000_000, help="W2 chain steps (4 nodes each)")
    parser.add_argument("--micrograd-chain", type=int, help="W2 chain steps for micrograd (default --chain; 0: skip)")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="W3 graph size")
    parser.add_argument("--gpt-steps", type=int, default=20, help="W4 training steps (names)")
    parser.add_argument("--fused-steps", type=int, default=40, help="tiny GPT steps, fused and plain (4 names each)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in WORKLOADS]
    if unknown:
        parser.error(f"--only takes names from {','.join(WORKLOADS)}, got {','.join(unknown)}")

    print(f"Python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d %H:%M')}\n")
    runs = {  # each gives (its numbers are right, its rows of the summary)
        "w1": lambda: w1.compare(args.steps, args.micrograd_steps, args.repeat, args.points),
        "w2": lambda: w2.compare(args.chain, args.micrograd_chain),
        "w3": lambda: (True, w3.compare(args.nodes)),
        "w4": lambda: w4.compare(args.gpt_steps, args.repeat),
        "gpt": lambda: gpt_fused.compare(args.fused_steps),
        "main": lambda: (main_job.report(), []),
    }
    ok, summary = True, []
    for name in WORKLOADS:
        if name in chosen:
            right, rows = runs[name]()
            ok, summary = ok and right, summary + rows
            print()
    if summary:
        print("Summary (CPU-time ratios from this run)")
        print_table(["workload", "measure", "result", "target"], summary)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
