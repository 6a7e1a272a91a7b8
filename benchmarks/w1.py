"""W1 "moons": micrograd's demo workload on every engine, with identical data and initial weights.

    python -m benchmarks.w1 [--steps 100] [--micrograd-steps 3] [--repeat 3] [--points 100]

MLP 2-16-16-1 (ReLU hidden layers, linear output) on 100 moons points, loss = mean relu(1 - y*score)
+ 1e-4 * sum(p*p), full-batch SGD with lr = 1 - 0.9*k/100 (../shared/BENCHMARKS.md). The engines:
- micrograd_plus: the training loop exactly as written in the reference script (the garbage collector
  runs as usual during the forward pass; backward() pauses it by itself);
- micrograd_plus, step in no_gc: the same loop with each step inside `with no_gc():`, as our own
  training loops (fit(), the demos) run it;
- floats: the same maths on plain floats with hand-written backprop: no autograd at all, the floor
  for pure Python;
- micrograd 0.1.0 (PyPI), the reference everyone knows.
Every engine records the loss of every step; they must agree to 1e-12 over the steps they share.
"""

import argparse
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass

from micrograd_plus.datasets import make_moons

from .common import ChildResult, print_json, print_table, ratio, run_child

SIZES = (2, 16, 16, 1)  # MLP 2-16-16-1: 337 parameters
LOSS_TOLERANCE = 1e-12

# engine name -> the words printed for it
ENGINES = {
    "micrograd_plus": "micrograd_plus (reference loop)",
    "micrograd_plus_no_gc": "micrograd_plus (step in no_gc)",
    "floats": "floats (hand-written backprop)",
    "micrograd": "micrograd 0.1.0",
}


@dataclass
class Run:
    """One training run: the loss of every step, and the training time (data and model set-up excluded)
    as wall-clock seconds and as this process's CPU seconds (which other processes on a busy machine
    disturb much less)."""

    losses: list[float]
    seconds: float
    cpu_seconds: float


def initial_weights() -> list[float]:
    """The shared starting point: uniform(-1, 1) from random.Random(1337), in parameters() order."""
    rng = random.Random(1337)
    count = sum((nin + 1) * nout for nin, nout in zip(SIZES, SIZES[1:]))
    return [rng.uniform(-1, 1) for _ in range(count)]


def train_autograd(value_class, mlp_class, steps: int, points: int = 100, pause_gc: bool = False) -> Run:
    """The reference training loop, for any engine with micrograd's interface (Value, MLP, parameters())."""
    if pause_gc:
        from micrograd_plus import no_gc
    X, y = make_moons(points)
    model = mlp_class(SIZES[0], list(SIZES[1:]))
    params = model.parameters()
    for p, w in zip(params, initial_weights(), strict=True):
        p.data = w
    losses = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for k in range(steps):
        with no_gc() if pause_gc else nullcontext():
            scores = [model([value_class(a) for a in row]) for row in X]
            margins = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            data_loss = sum(margins) * (1.0 / len(margins))
            total = data_loss + 1e-4 * sum(p * p for p in params)
            for p in params:
                p.grad = 0.0
            total.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in params:
                p.data -= lr * p.grad
            losses.append(total.data)
    return Run(losses, time.perf_counter() - start, time.process_time() - cpu_start)


def train_floats(steps: int, points: int = 100) -> Run:
    """The same training on plain floats, gradients derived by hand: what the arithmetic alone costs."""
    X, y = make_moons(points)
    flat = initial_weights()
    layers, first = [], 0  # layers[l][j] is neuron j of layer l: [w_0, ..., w_nin-1, b], parameters() order
    for nin, nout in zip(SIZES, SIZES[1:]):
        layer = []
        for _ in range(nout):
            layer.append(flat[first : first + nin + 1])
            first += nin + 1
        layers.append(layer)
    last = len(layers) - 1
    losses = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for k in range(steps):
        grads = [[[0.0] * len(neuron) for neuron in layer] for layer in layers]
        data_loss = 0.0
        for row, label in zip(X, y):
            activations = [row]  # activations[l] is the input of layer l
            for index, layer in enumerate(layers):
                outputs = []
                for neuron in layer:
                    z = neuron[-1]
                    for w, a in zip(neuron, activations[-1]):
                        z += w * a
                    outputs.append(z if index == last or z > 0.0 else 0.0)
                activations.append(outputs)
            margin = 1.0 - label * activations[-1][0]
            if margin <= 0.0:
                continue  # relu(margin) is 0 here, and so is every gradient from this point
            data_loss += margin
            upstream = [-label / len(X)]  # d loss / d score
            for index in range(last, -1, -1):
                inputs, outputs = activations[index], activations[index + 1]
                downstream = [0.0] * len(inputs)
                for j, neuron in enumerate(layers[index]):
                    g = upstream[j] if index == last or outputs[j] > 0.0 else 0.0  # through the ReLU
                    if g == 0.0:
                        continue
                    neuron_grads = grads[index][j]
                    for q, a in enumerate(inputs):
                        neuron_grads[q] += g * a
                        downstream[q] += g * neuron[q]
                    neuron_grads[-1] += g
                upstream = downstream
        squares = 0.0
        for layer, layer_grads in zip(layers, grads):
            for neuron, neuron_grads in zip(layer, layer_grads):
                for q, w in enumerate(neuron):
                    squares += w * w
                    neuron_grads[q] += 2e-4 * w
        lr = 1.0 - 0.9 * k / 100
        for layer, layer_grads in zip(layers, grads):
            for neuron, neuron_grads in zip(layer, layer_grads):
                for q, g in enumerate(neuron_grads):
                    neuron[q] -= lr * g
        losses.append(data_loss / len(X) + 1e-4 * squares)
    return Run(losses, time.perf_counter() - start, time.process_time() - cpu_start)


def train(engine: str, steps: int, points: int = 100) -> Run:
    """Train W1 with `engine`, one of ENGINES."""
    if engine == "floats":
        return train_floats(steps, points)
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP

        return train_autograd(Value, MLP, steps, points)
    from micrograd_plus import MLP, Value

    return train_autograd(Value, MLP, steps, points, pause_gc=engine == "micrograd_plus_no_gc")


def compare(
    steps: int = 100, micrograd_steps: int = 3, repeat: int = 3, points: int = 100, engines: list[str] | None = None
) -> tuple[bool, list[list[str]]]:
    """Run every engine `repeat` times in fresh processes, print the table; return whether the losses agree,
    and the summary rows (workload, measure, result, target).

    The runs take turns (A B C, A B C, ...) so that a burst of load on a shared machine hits every engine
    alike; each engine's fastest run counts, and the ratios use CPU time.
    """
    engines = [e for e in engines or ENGINES if (micrograd_steps if e == "micrograd" else steps) >= 1]
    results: dict[str, ChildResult] = {}
    for _ in range(repeat):
        for engine in engines:
            if engine in results and results[engine].status != "ok":
                continue  # it failed once: it will fail again
            engine_steps = micrograd_steps if engine == "micrograd" else steps
            result = run_child("w1", ["--engine", engine, "--steps", str(engine_steps), "--points", str(points)])
            best = results.get(engine)
            if result.status != "ok" or best is None or result.data["cpu_seconds"] < best.data["cpu_seconds"]:
                results[engine] = result
    print(f"W1 moons: MLP 2-16-16-1, {points} points, full-batch SGD; per step, best of {repeat} runs")
    wall, cpu = {}, {}  # engine -> seconds per step
    for engine, result in results.items():
        if result.status == "ok":
            wall[engine] = result.data["seconds"] / len(result.data["losses"])
            cpu[engine] = result.data["cpu_seconds"] / len(result.data["losses"])
    floats_losses = results["floats"].data["losses"] if "floats" in cpu else None
    rows, agree = [], True
    for engine, result in results.items():
        if result.status != "ok":
            rows.append([ENGINES[engine], "-", "-", "-", "-", "-", result.status, "-"])
            agree = False
            continue
        losses = result.data["losses"]
        gap_text = "-"
        if floats_losses is not None:
            gap = max(abs(a - b) for a, b in zip(losses, floats_losses))  # zip stops at the shorter run
            agree = agree and gap <= LOSS_TOLERANCE
            gap_text = f"{gap:.1e}"
        rows.append(
            [
                ENGINES[engine],
                len(losses),
                f"{wall[engine] * 1e3:.2f}",
                f"{cpu[engine] * 1e3:.2f}",
                ratio(cpu["micrograd"], cpu[engine]) if "micrograd" in cpu else "-",
                ratio(cpu[engine], cpu["floats"]) if "floats" in cpu else "-",
                repr(losses[-1]),
                gap_text,
            ]
        )
    headers = ["engine", "steps", "ms/step", "CPU ms/step", "vs micrograd", "vs floats", "final loss", "loss gap"]
    print_table(headers, rows)
    print(
        "vs micrograd: how many times faster than micrograd; vs floats: how many times slower than the floor "
        "(both from CPU time).\nloss gap: the largest difference from the floats engine's loss over the steps "
        "both ran."
    )
    if "micrograd" in results:
        print(f"micrograd is timed over {micrograd_steps} step(s), being slow; the other engines over {steps}.")
    print(f"losses agree with floats to {LOSS_TOLERANCE:g} at every shared step: {'OK' if agree else 'NO'}")
    summary = []
    if "floats" in cpu:
        for engine, words in (("micrograd_plus", "reference loop"), ("micrograd_plus_no_gc", "step in no_gc")):
            if engine in cpu:
                summary.append(
                    ["W1 moons", f"{words}: times the float floor", ratio(cpu[engine], cpu["floats"]), "<= 6x"]
                )
    if "micrograd" in cpu and "micrograd_plus" in cpu:
        summary.append(
            ["W1 moons", "reference loop: faster than micrograd", ratio(cpu["micrograd"], cpu["micrograd_plus"]), ""]
        )
    return agree, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w1", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=list(ENGINES), help="run one engine and print its JSON result")
    parser.add_argument("--steps", type=int, default=100, help="training steps for our engine and floats")
    parser.add_argument("--micrograd-steps", type=int, default=3, help="training steps for micrograd (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the fastest counts")
    parser.add_argument("--points", type=int, default=100, help="moons points (even, >= 4)")
    args = parser.parse_args(argv)
    if args.engine:
        run = train(args.engine, args.steps, args.points)
        print_json(vars(run))
        return 0
    return 0 if compare(args.steps, args.micrograd_steps, args.repeat, args.points)[0] else 1


if __name__ == "__main__":
    sys.exit(main())
