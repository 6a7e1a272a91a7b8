"""W3 "bytes per node": what one graph node costs in memory.

    python -m benchmarks.w3 [--nodes 1000000]

Builds the W2 chain of `nodes` // 4 steps (micrograd makes four Values per step, two of them for the
constants; micrograd_plus folds the constants into its two op nodes) and reports tracemalloc's peak
divided by the node count and by the chain steps, the process's peak RSS, and the growth of RSS per
node in a second run without tracemalloc (whose own bookkeeping inflates RSS). The collector is
paused while building: that changes the time taken, not the memory held.
"""

import argparse
import gc
import os
import sys
import tracemalloc

from .common import peak_rss_mb, print_json, print_table, ratio, run_child
from .w2 import build_chain

ENGINES = {"micrograd_plus": "micrograd_plus", "micrograd": "micrograd 0.1.0"}


def measure(engine: str, nodes: int, trace: bool) -> dict:
    """Build a graph of about `nodes` Values with `engine`; its memory, by tracemalloc or by RSS."""
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        from micrograd_plus import Value
        from micrograd_plus.engine import topological_order
    chain = max(1, nodes // 4)  # micrograd's four Values per step: two constants and two ops
    gc.disable()
    if trace:
        tracemalloc.start()
    rss_before = peak_rss_mb()
    graph = build_chain(Value, chain)
    result = {"steps": chain, "peak_rss_mb": peak_rss_mb()}
    if trace:
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        result["rss_growth_bytes"] = (result["peak_rss_mb"] - rss_before) * 2**20
    # counted after measuring: the walk needs memory of its own
    result["nodes"] = 4 * chain + 1 if engine == "micrograd" else len(topological_order(graph[1]))
    del graph
    gc.enable()
    return result


def compare(nodes: int = 1_000_000) -> list[list[str]]:
    """Measure each engine in fresh processes (with and without tracemalloc), print the table; the summary rows."""
    rows, per_node, per_step = [], {}, {}
    for engine, name in ENGINES.items():
        traced = run_child("w3", ["--engine", engine, "--nodes", str(nodes), "--trace"], memory_limit_gb=16)
        plain = run_child("w3", ["--engine", engine, "--nodes", str(nodes)], memory_limit_gb=16)
        if traced.status != "ok" or plain.status != "ok":
            rows.append([name, "-", "-", "-", "-", "-", traced.status if traced.status != "ok" else plain.status])
            continue
        count = traced.data["nodes"]
        per_node[engine] = traced.data["traced_peak_bytes"] / count
        per_step[engine] = traced.data["traced_peak_bytes"] / traced.data["steps"]
        rows.append(
            [
                name,
                f"{count:,}",
                f"{per_node[engine]:.0f}",
                f"{per_step[engine]:.0f}",
                f"{plain.data['rss_growth_bytes'] / count:.0f}",
                f"{plain.data['peak_rss_mb']:.0f}",
                "ok",
            ]
        )
    print(f"W3 bytes per node: the W2 chain, {nodes // 4:,} steps")
    headers = [
        "engine",
        "nodes",
        "bytes/node (tracemalloc)",
        "bytes/step",
        "bytes/node (RSS)",
        "peak RSS MiB",
        "status",
    ]
    print_table(headers, rows)
    summary = []
    if "micrograd_plus" in per_node:
        summary.append(
            [
                "W3 memory",
                "bytes per node (per chain step)",
                f"{per_node['micrograd_plus']:.0f} ({per_step['micrograd_plus']:.0f})",
                "",
            ]
        )
    if len(per_node) == 2:
        share = per_node["micrograd_plus"] / per_node["micrograd"]
        less = ratio(per_step["micrograd"], per_step["micrograd_plus"])
        print(f"a micrograd_plus node takes {share:.0%} of a micrograd node; a chain step {less} less memory")
        summary.append(["W3 memory", "a chain step: less memory than micrograd", less, ""])
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w3", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=list(ENGINES), help="run one engine, print JSON")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="Values in the graph (default 1,000,000)")
    parser.add_argument("--trace", action="store_true", help="with --engine: measure with tracemalloc")
    args = parser.parse_args(argv)
    if args.engine:
        print_json(measure(args.engine, args.nodes, args.trace))
        os._exit(0)  # skip freeing every node at exit: nothing is measured after this
    compare(args.nodes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
