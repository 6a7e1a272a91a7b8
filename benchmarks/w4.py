"""W4 "tiny GPT, plain ops": a GPT-style training script we did not write, on our Value and on its own.

    python -m benchmarks.w4 [--steps 20] [--repeat 3]

The script is written the way single-file GPT scripts are (Karpathy's microgpt and its kin): its own
25-line `__slots__` Value class (children tuple plus local gradients, the same design as ours, with a
recursive topological sort), token and position embeddings, one transformer block with 4 attention heads
and an MLP, every matrix product written as `sum(wi * xi for ...)`, softmax from `exp`, `sum` and `/`,
RMSNorm from `**`, the loss `-p.log()`, Adam written by hand, one name per step. Nothing in it knows
about micrograd_plus: the same function runs with either Value class. The engines:
- minimal: the script's own `MinimalValue`, as written (the garbage collector on);
- micrograd_plus: `from micrograd_plus import Value` swapped in, nothing else changed;
- each again with the collector off for the whole run (`gc.disable()`);
- micrograd_plus, fused ops: the same model calling `functional.dot` and `functional.add_all` where the
  script writes `sum(wi * xi ...)` and `sum(...)`: what code that knows the library gains.
All engines must reach the same loss at every step (to 1e-12 relative: our `/` rounds once where the
minimal class computes `a * b**-1`).
"""

import argparse
import gc
import math
import random
import sys
import time

from .common import ChildResult, print_json, print_table, ratio, run_child

LOSS_TOLERANCE = 1e-12
N_EMBD, N_HEAD, N_LAYER, BLOCK_SIZE = 16, 4, 1, 16
HEAD_DIM = N_EMBD // N_HEAD

# engine name -> (the words printed for it, the collector on?)
ENGINES = {
    "minimal": ("minimal __slots__ Value (as written)", True),
    "micrograd_plus": ("micrograd_plus Value (as written)", True),
    "minimal_no_gc": ("minimal __slots__ Value, gc off", False),
    "micrograd_plus_no_gc": ("micrograd_plus Value, gc off", False),
    "micrograd_plus_fused": ("micrograd_plus, dot/add_all (as written)", True),
}

# Common first names: the training data (one per step, in a seeded shuffle). a-z only.
NAMES = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila ella
avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora lily eleanor
hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora savannah audrey brooklyn bella
claire skylar lucy paisley everly anna caroline nova genesis liam noah william james oliver benjamin elijah
lucas mason logan alexander ethan jacob michael daniel henry jackson sebastian aiden matthew samuel david joseph
carter owen wyatt john jack luke jayden dylan grayson levi isaac gabriel julian mateo anthony jaxon lincoln
joshua christopher andrew theodore caleb ryan asher nathan thomas leo isaiah charles josiah hudson christian
""".split()


class MinimalValue:
    """The Value class such scripts carry: data, grad, children and their local gradients."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, MinimalValue) else MinimalValue(other)
        return MinimalValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, MinimalValue) else MinimalValue(other)
        return MinimalValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        return MinimalValue(self.data**other, (self,), (other * self.data ** (other - 1),))

    def log(self):
        return MinimalValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return MinimalValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return MinimalValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


def plain_dot(a, b):
    """The script's own matrix-vector inner loop."""
    return sum(ai * bi for ai, bi in zip(a, b))


def train(value_class, steps: int, dot=plain_dot, add_all=sum) -> tuple[list[float], float, float]:
    """The GPT-style script: train for `steps` names; returns (losses, wall seconds, CPU seconds)."""
    rng = random.Random(42)
    names = list(NAMES)
    rng.shuffle(names)
    bos = 26  # token ids: 0..25 are a..z, 26 marks the beginning and end of a name
    vocab_size = 27

    def matrix(nout, nin, std=0.08):
        return [[value_class(rng.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]

    state = {
        "wte": matrix(vocab_size, N_EMBD),
        "wpe": matrix(BLOCK_SIZE, N_EMBD),
        "lm_head": matrix(vocab_size, N_EMBD),
    }
    for layer in range(N_LAYER):
        for name in ("wq", "wk", "wv", "wo"):
            state[f"layer{layer}.attn_{name}"] = matrix(N_EMBD, N_EMBD)
        state[f"layer{layer}.mlp_fc1"] = matrix(4 * N_EMBD, N_EMBD)
        state[f"layer{layer}.mlp_fc2"] = matrix(N_EMBD, 4 * N_EMBD)
    params = [p for rows in state.values() for row in rows for p in row]

    def linear(x, w):
        return [dot(row, x) for row in w]

    def softmax(logits):
        top = max(v.data for v in logits)
        exps = [(v - top).exp() for v in logits]
        total = add_all(exps)
        return [e / total for e in exps]

    def rmsnorm(x):
        mean_square = dot(x, x) / len(x)
        scale = (mean_square + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(token, position, keys, values):
        x = [t + p for t, p in zip(state["wte"][token], state["wpe"][position])]
        x = rmsnorm(x)
        for layer in range(N_LAYER):
            residual = x
            x = rmsnorm(x)
            q = linear(x, state[f"layer{layer}.attn_wq"])
            k = linear(x, state[f"layer{layer}.attn_wk"])
            v = linear(x, state[f"layer{layer}.attn_wv"])
            keys[layer].append(k)
            values[layer].append(v)
            heads = []
            for h in range(N_HEAD):
                s = h * HEAD_DIM
                q_h = q[s : s + HEAD_DIM]
                k_h = [key[s : s + HEAD_DIM] for key in keys[layer]]
                v_h = [value[s : s + HEAD_DIM] for value in values[layer]]
                scores = [dot(q_h, k_t) / HEAD_DIM**0.5 for k_t in k_h]
                weights = softmax(scores)
                heads.extend(dot(weights, [v_t[j] for v_t in v_h]) for j in range(HEAD_DIM))
            x = linear(heads, state[f"layer{layer}.attn_wo"])
            x = [a + b for a, b in zip(x, residual)]
            residual = x
            x = rmsnorm(x)
            x = [h.relu() for h in linear(x, state[f"layer{layer}.mlp_fc1"])]
            x = linear(x, state[f"layer{layer}.mlp_fc2"])
            x = [a + b for a, b in zip(x, residual)]
        return linear(x, state["lm_head"])

    learning_rate, beta1, beta2, eps = 0.01, 0.85, 0.99, 1e-8
    m, v = [0.0] * len(params), [0.0] * len(params)
    losses = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for step in range(steps):
        name = names[step % len(names)]
        tokens = [bos] + [ord(c) - ord("a") for c in name] + [bos]
        n = min(BLOCK_SIZE, len(tokens) - 1)
        keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
        step_losses = []
        for position in range(n):
            probabilities = softmax(gpt(tokens[position], position, keys, values))
            step_losses.append(-probabilities[tokens[position + 1]].log())
        loss = (1 / n) * add_all(step_losses)
        loss.backward()
        lr = learning_rate * (1 - step / steps)
        for i, p in enumerate(params):
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1 ** (step + 1))
            v_hat = v[i] / (1 - beta2 ** (step + 1))
            p.data -= lr * m_hat / (v_hat**0.5 + eps)
            p.grad = 0
        losses.append(loss.data)
    return losses, time.perf_counter() - start, time.process_time() - cpu_start


def run(engine: str, steps: int) -> dict:
    """Train with `engine` (one of ENGINES) in this process; its losses and seconds."""
    from micrograd_plus import Value
    from micrograd_plus.functional import add_all, dot

    limit, was_enabled = sys.getrecursionlimit(), gc.isenabled()
    sys.setrecursionlimit(100_000)  # the minimal class sorts its graph recursively
    if not ENGINES[engine][1]:
        gc.disable()
    try:
        if engine.startswith("minimal"):
            losses, seconds, cpu = train(MinimalValue, steps)
        else:
            losses, seconds, cpu = train(Value, steps, *((dot, add_all) if engine.endswith("fused") else ()))
    finally:
        sys.setrecursionlimit(limit)
        if was_enabled:
            gc.enable()
    return {"losses": losses, "seconds": seconds, "cpu_seconds": cpu}


def compare(steps: int = 20, repeat: int = 3, engines: list[str] | None = None) -> tuple[bool, list[list[str]]]:
    """Run the engines in turns in fresh processes, print the table; return whether the losses agree, and the
    summary rows."""
    engines = engines or list(ENGINES)
    results: dict[str, ChildResult] = {}
    for _ in range(repeat):
        for engine in engines:
            if engine in results and results[engine].status != "ok":
                continue
            result = run_child("w4", ["--engine", engine, "--steps", str(steps)])
            best = results.get(engine)
            if result.status != "ok" or best is None or result.data["cpu_seconds"] < best.data["cpu_seconds"]:
                results[engine] = result
    cpu = {e: r.data["cpu_seconds"] / steps for e, r in results.items() if r.status == "ok"}
    reference = results["minimal"].data["losses"] if "minimal" in cpu else None
    print(
        f"W4 tiny GPT, plain ops: {N_LAYER} block, {N_EMBD}-wide, {N_HEAD} heads, one name per step; best of {repeat}"
    )
    rows, agree = [], True
    for engine, result in results.items():
        words, collector_on = ENGINES[engine]
        if result.status != "ok":
            rows.append([words, "-", "-", "-", "-", result.status])
            agree = False
            continue
        losses = result.data["losses"]
        gap = max(abs(a - b) / abs(b) for a, b in zip(losses, reference)) if reference else math.nan
        agree = agree and gap <= LOSS_TOLERANCE
        baseline = cpu.get("minimal" if collector_on else "minimal_no_gc")
        rows.append(
            [
                words,
                f"{result.data['seconds'] / steps * 1e3:.1f}",
                f"{cpu[engine] * 1e3:.1f}",
                ratio(baseline, cpu[engine]) if baseline else "-",
                repr(losses[-1]),
                f"{gap:.1e}",
            ]
        )
    print_table(["engine", "ms/step", "CPU ms/step", "vs minimal", "final loss", "loss gap"], rows)
    print("vs minimal: how many times faster than the minimal class under the same collector setting (CPU time)")
    print(
        f"losses agree with the minimal class to {LOSS_TOLERANCE:g} relative at every step: {'OK' if agree else 'NO'}"
    )
    summary = []
    for engine, reference, target in (
        ("micrograd_plus", "minimal", ">= 1.3x"),
        ("micrograd_plus_no_gc", "minimal_no_gc", ">= 1.5x"),
        ("micrograd_plus_fused", "minimal", ""),
    ):
        if engine in cpu and reference in cpu:
            what = f"{ENGINES[engine][0]}: faster than the minimal Value"
            summary.append(["W4 tiny GPT", what, ratio(cpu[reference], cpu[engine]), target])
    return agree, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w4", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=list(ENGINES), help="run one engine and print its JSON result")
    parser.add_argument("--steps", type=int, default=20, help="training steps (names)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the fastest counts")
    parser.add_argument("--only", help="comma-separated engines to compare (default: all)")
    args = parser.parse_args(argv)
    if args.engine:
        print_json(run(args.engine, args.steps))
        return 0
    engines = args.only.split(",") if args.only else None
    return 0 if compare(args.steps, args.repeat, engines)[0] else 1


if __name__ == "__main__":
    sys.exit(main())
