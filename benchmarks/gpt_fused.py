"""The tiny GPT with fused nodes vs the same GPT written with plain Value ops, trained side by side.

    python -m benchmarks.gpt_fused [--steps 100] [--batch-size 1]

Both start from the same weights and train on the same names with Adam, in this one process. The plain
version spells every op out in +, *, exp, log and ** as micrograd (and microgpt) would: a dot product of 16
numbers is 32 nodes, a softmax over 27 logits about 85. The fused version (gpt_functional.py) makes each
module one node for the whole batch: the attention of a block, its MLP, the logits with their loss. The
losses must agree at every step (to rounding: the fused ops add the same numbers in another order), the
times must not.
"""

import argparse
import math
import sys
import time
from dataclasses import dataclass

from micrograd_plus.datasets.names import encode, load_names, split_names
from micrograd_plus.engine import Value, no_gc, topological_order
from micrograd_plus.gpt import GPT
from micrograd_plus.optim import Adam

from .common import print_table, ratio

LOSS_TOLERANCE = 1e-9  # largest |fused - plain| loss difference allowed, at any step


# ---- the same model in plain Value ops: no fused node anywhere ------------------------------------------------


def plain_linear(x: list[Value], weight: list[list[Value]]) -> list[Value]:
    return [sum((w * a for w, a in zip(row, x)), Value(0.0)) for row in weight]


def plain_softmax(scores: list[Value]) -> list[Value]:
    top = max(s.data for s in scores)
    exps = [(s - top).exp() for s in scores]
    total = sum(exps[1:], exps[0])
    return [e / total for e in exps]


def plain_rms_norm(x: list[Value], eps: float = 1e-5) -> list[Value]:
    mean_square = sum((a * a for a in x), Value(0.0)) / len(x)
    scale = (mean_square + eps) ** -0.5
    return [a * scale for a in x]


def plain_attention(attn, xs: list[list[Value]]) -> list[list[Value]]:
    queries = [plain_linear(x, attn.wq) for x in xs]
    keys = [plain_linear(x, attn.wk) for x in xs]
    values = [plain_linear(x, attn.wv) for x in xs]
    heads = [[] for _ in xs]
    for h in range(attn.n_head):
        columns = slice(h * attn.head_dim, (h + 1) * attn.head_dim)
        for i, query in enumerate(queries):
            q = query[columns]
            scores = [
                sum((a * b for a, b in zip(q, k[columns])), Value(0.0)) / math.sqrt(attn.head_dim)
                for k in keys[: i + 1]
            ]
            weights = plain_softmax(scores)
            for c in range(h * attn.head_dim, (h + 1) * attn.head_dim):
                heads[i].append(sum((w * v[c] for w, v in zip(weights, values)), Value(0.0)))
    return [plain_linear(head, attn.wo) for head in heads]


def plain_loss(model: GPT, tokens: list[int]) -> Value:
    """GPT.loss(tokens), spelled out in primitive Value ops."""
    return plain_batch_loss(model, [tokens])


def plain_batch_loss(model: GPT, batch: list[list[int]]) -> Value:
    """GPT.batch_loss(batch), spelled out in primitive Value ops: the mean over every predicted token."""
    losses = []
    for tokens in batch:
        inputs, targets = tokens[:-1], tokens[1:]
        xs = [plain_rms_norm([t + p for t, p in zip(model.wte[token], model.wpe[i])]) for i, token in enumerate(inputs)]
        for layer in model.layers:
            attended = plain_attention(layer.attn, [plain_rms_norm(x) for x in xs])
            xs = [[a + b for a, b in zip(x, y)] for x, y in zip(xs, attended)]
            hidden = [[h.relu() for h in plain_linear(plain_rms_norm(x), layer.mlp.fc1)] for x in xs]
            xs = [[a + b for a, b in zip(x, plain_linear(h, layer.mlp.fc2))] for x, h in zip(xs, hidden)]
        losses += [-plain_softmax(plain_linear(x, model.lm_head))[target].log() for x, target in zip(xs, targets)]
    return sum(losses[1:], losses[0]) * (1.0 / len(losses))


# ---- training both ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What training one version measured: the loss of each step and CPU seconds (wall seconds for the step)."""

    losses: list[float]
    graph_cpu: float  # forward and backward: the model's graph, the part that fusing changes
    step_cpu: float  # the whole steps: the graph, then Adam's update of the 4,192 parameters
    step_wall: float
    nodes: int = 0  # the size of the last step's graph
    edges: int = 0


def train(version: str, steps: int, batch_size: int) -> Run:
    """Train the fused or the plain GPT for `steps` Adam steps of `batch_size` names, from the same weights."""
    model = GPT(seed=0)
    loss_of = model.batch_loss if version == "fused" else lambda batch: plain_batch_loss(model, batch)
    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99))
    names = split_names(load_names())[0]
    run = Run([], 0.0, 0.0, 0.0)
    for step in range(steps):
        batch = [encode(name) for name in names[step * batch_size : (step + 1) * batch_size]]
        wall, cpu = time.perf_counter(), time.process_time()
        with no_gc():
            loss = loss_of(batch)
            optimizer.zero_grad(set_to_none=False)  # every weight gets a grad, 0 if unused, as the fused embedding
            loss.backward()
            graph_done = time.process_time()
            optimizer.step()
        run.graph_cpu += graph_done - cpu
        run.step_cpu += time.process_time() - cpu
        run.step_wall += time.perf_counter() - wall
        run.losses.append(loss.data)
    order = topological_order(loss)
    run.nodes, run.edges = len(order), sum(len(node._children) for node in order)
    return run


def compare(steps: int = 40, batch_size: int = 4) -> tuple[bool, list[list[str]]]:
    """Train both versions and print their times and the speed-ups.

    Returns whether their losses agree at every step, and the summary row of `python -m benchmarks`.
    """
    print(f"Tiny GPT ({GPT().num_parameters():,} parameters): {steps} Adam steps of {batch_size} names, fused vs plain")
    fused, plain = train("fused", steps, batch_size), train("plain", steps, batch_size)
    difference = max(abs(a - b) for a, b in zip(fused.losses, plain.losses))
    rows = [
        [
            name,
            f"{run.graph_cpu / steps * 1e3:.1f}",
            f"{run.step_cpu / steps * 1e3:.1f}",
            f"{run.step_wall / steps * 1e3:.1f}",
            f"{run.nodes:,} / {run.edges:,}",
            f"{run.losses[-1]:.12f}",
        ]
        for name, run in (("plain Value ops", plain), ("fused nodes", fused))
    ]
    rows.append(
        [
            "speed-up",
            ratio(plain.graph_cpu, fused.graph_cpu),
            ratio(plain.step_cpu, fused.step_cpu),
            ratio(plain.step_wall, fused.step_wall),
            "",
            "",
        ]
    )
    headers = ["ms per step", "forward+backward (CPU)", "whole step (CPU)", "whole step (wall)", "nodes / edges"]
    print_table([*headers, "last loss"], rows)
    same = difference <= LOSS_TOLERANCE
    verdict = "equal" if same else "NOT equal"
    print(f"largest loss difference over all {steps} steps: {difference:.1e} ({verdict} within {LOSS_TOLERANCE:g})")
    measure = "fused nodes: times faster than plain ops, whole step"
    return same, [["tiny GPT", measure, ratio(plain.step_cpu, fused.step_cpu), ""]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpt_fused", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="Adam steps for each version (default 40)")
    parser.add_argument("--batch-size", type=int, default=4, help="names per step (default 4, as the demo)")
    args = parser.parse_args(argv)
    same, _ = compare(args.steps, args.batch_size)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
