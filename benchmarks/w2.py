"""W2 "chain": a graph one million ops deep, built and differentiated.

    python -m benchmarks.w2 [--chain 1000000]

`x = Value(1.0)`, then `chain` times `x = x*1.000001 + 0.000001`, then `x.backward()`. Each step adds
four Values in micrograd (two constants and two ops) and two in micrograd_plus (whose op nodes hold
their constants), so the graph has 4*chain + 1 or 2*chain + 1 nodes. The gradient dx/dx0 must
equal 1.000001**chain to 1e-9 (relative). Reported: build and backward seconds, and the process's peak
memory. micrograd sorts its graph recursively: it runs with sys.setrecursionlimit raised to the depth,
in its own process, and whatever happens to it (an error, a crash, the memory limit) is reported.
"""

import argparse
import gc
import os
import sys
import time

from .common import peak_rss_mb, print_json, print_table, ratio, run_child

GRAD_TOLERANCE = 1e-9

# (row name, engine, whether the collector is paused while building)
RUNS = [
    ("micrograd_plus (plain loop)", "micrograd_plus", False),
    ("micrograd_plus (build in no_gc)", "micrograd_plus", True),
    ("micrograd 0.1.0 (plain loop)", "micrograd", False),
]


def build_chain(value_class, chain: int):
    """The W2 graph: returns (x0, x) where x is `chain` steps of x*1.000001 + 0.000001 from x0."""
    x0 = x = value_class(1.0)
    for _ in range(chain):
        x = x * 1.000001 + 0.000001
    return x0, x


def measure(engine: str, chain: int, pause_gc: bool) -> dict:
    """Build and differentiate the chain with `engine`; seconds, peak memory and the gradient's error."""
    if engine == "micrograd":
        from micrograd.engine import Value

        sys.setrecursionlimit(4 * chain + 1000)  # its topological sort recurses once per node along the chain
    else:
        from micrograd_plus import Value
    if pause_gc:
        gc.disable()
    start, cpu_start = time.perf_counter(), time.process_time()
    x0, x = build_chain(Value, chain)
    cpu_built = time.process_time()
    gc.enable()
    x.backward()
    done, cpu_done = time.perf_counter(), time.process_time()
    expected = 1.000001**chain
    return {
        "build_seconds": cpu_built - cpu_start,
        "backward_seconds": cpu_done - cpu_built,
        "wall_seconds": done - start,
        "peak_rss_mb": peak_rss_mb(),
        "grad": x0.grad,
        "relative_error": abs(x0.grad - expected) / expected,
    }


def compare(chain: int = 1_000_000, micrograd_chain: int | None = None) -> tuple[bool, list[list[str]]]:
    """Measure every run of RUNS in its own process and print the table; return whether all gradients are
    right, and the summary rows."""
    micrograd_chain = chain if micrograd_chain is None else micrograd_chain
    rows, results, all_right = [], {}, True
    for name, engine, pause_gc in RUNS:
        length = micrograd_chain if engine == "micrograd" else chain
        if length < 1:
            continue
        args = ["--engine", engine, "--chain", str(length)] + (["--pause-gc"] if pause_gc else [])
        result = run_child("w2", args, timeout=900, memory_limit_gb=16)
        if result.status != "ok":
            rows.append(
                [
                    name,
                    f"{(4 if engine == 'micrograd' else 2) * length + 1:,}",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    result.status,
                ]
            )
            all_right = False
            continue
        data = result.data
        results[name] = data
        right = data["relative_error"] <= GRAD_TOLERANCE
        all_right = all_right and right
        rows.append(
            [
                name,
                f"{(4 if engine == 'micrograd' else 2) * length + 1:,}",
                f"{data['build_seconds']:.2f}",
                f"{data['backward_seconds']:.2f}",
                f"{data['build_seconds'] + data['backward_seconds']:.2f}",
                f"{data['wall_seconds']:.2f}",
                f"{data['peak_rss_mb']:.0f}",
                f"{data['relative_error']:.1e}",
                "ok" if right else "WRONG GRADIENT",
            ]
        )
    print(f"W2 chain: {chain:,} steps of x = x*1.000001 + 0.000001, then backward(); CPU seconds")
    headers = ["run", "nodes", "build s", "backward s", "total s", "wall s", "peak RSS MiB", "grad rel. err", "status"]
    print_table(headers, rows)
    ours, theirs = results.get(RUNS[0][0]), results.get(RUNS[2][0])
    summary = []
    if ours:
        seconds = ours["build_seconds"] + ours["backward_seconds"]
        summary.append(
            [
                "W2 chain",
                f"{chain:,} steps, plain loop: CPU s (peak MiB)",
                f"{seconds:.2f} ({ours['peak_rss_mb']:.0f})",
                "",
            ]
        )
    if ours and theirs and micrograd_chain == chain:
        seconds = {name: data["build_seconds"] + data["backward_seconds"] for name, data in results.items()}
        faster = ratio(seconds[RUNS[2][0]], seconds[RUNS[0][0]])
        smaller = ratio(theirs["peak_rss_mb"], ours["peak_rss_mb"])
        print(f"plain loops: micrograd_plus is {faster} faster than micrograd, with {smaller} less peak memory")
    print(f"gradient = 1.000001**{chain} to {GRAD_TOLERANCE:g} relative: {'OK' if all_right else 'NO'}")
    return all_right, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w2", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["micrograd_plus", "micrograd"], help="run one engine, print JSON")
    parser.add_argument("--chain", type=int, default=1_000_000, help="steps in the chain (4 nodes each)")
    parser.add_argument("--micrograd-chain", type=int, help="steps for micrograd (default: --chain; 0: skip)")
    parser.add_argument("--pause-gc", action="store_true", help="with --engine: build with the collector paused")
    args = parser.parse_args(argv)
    if args.engine:
        print_json(measure(args.engine, args.chain, args.pause_gc))
        os._exit(0)  # skip freeing millions of nodes one by one at exit: nothing is measured after this
    return 0 if compare(args.chain, args.micrograd_chain)[0] else 1


if __name__ == "__main__":
    sys.exit(main())
