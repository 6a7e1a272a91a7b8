"""SGD and Adam against torch.optim, step by step in float64, on the same model and data."""

import math
import random

import pytest
import torch

from micrograd_plus import MLP, SGD, Adam, Value, mse_loss
from micrograd_plus.optim import Optimizer


def torch_params_like(model: MLP) -> list[torch.Tensor]:
    return [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()]


def torch_mlp_loss(model: MLP, params: list[torch.Tensor], batch, targets) -> torch.Tensor:
    """The same MLP as `model`, computed from the flat parameter list (our parameters() order)."""
    total = 0
    for x, t in zip(batch, targets):
        activations = [torch.tensor(v, dtype=torch.float64) for v in x]
        index = 0
        for li, layer in enumerate(model.layers):
            outputs = []
            for _ in layer.neurons:
                weights = params[index : index + layer.nin]
                z = params[index + layer.nin] + sum(w * a for w, a in zip(weights, activations))
                index += layer.nin + 1
                outputs.append(z.tanh() if li < len(model.layers) - 1 else z)
            activations = outputs
        total = total + (activations[0] - t) ** 2
    return total / len(batch)


def run_both(make_ours, make_theirs, steps=6):
    rng = random.Random(0)
    batch = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(5)]
    targets = [rng.uniform(-1, 1) for _ in range(5)]
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    tparams = torch_params_like(model)
    ours, theirs = make_ours(model.parameters()), make_theirs(tparams)
    for _ in range(steps):
        loss = mse_loss([model(x) for x in batch], targets)
        ours.zero_grad()
        loss.backward()
        ours.step()
        theirs.zero_grad()
        torch_mlp_loss(model, tparams, batch, targets).backward()
        theirs.step()
    return [p.data for p in model.parameters()], [t.item() for t in tparams]


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05, "nesterov": True},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=[str(s) for s in SGD_SETTINGS])
def test_sgd_matches_torch_step_by_step(settings):
    ours, theirs = run_both(lambda p: SGD(p, **settings), lambda p: torch.optim.SGD(p, **settings))
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)
    assert ours != pytest.approx(run_both(lambda p: SGD(p, lr=0.0), lambda p: torch.optim.SGD(p, lr=0.0))[0])


ADAM_SETTINGS = [
    {},
    {"lr": 0.01},
    {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=[str(s) for s in ADAM_SETTINGS])
def test_adam_matches_torch_step_by_step(settings):
    ours, theirs = run_both(lambda p: Adam(p, **settings), lambda p: torch.optim.Adam(p, **settings))
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)


def test_adam_defaults_are_pytorchs():
    adam = Adam([Value(1.0)])
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: Adam(p, lr=0.1)])
def test_optimizers_skip_frozen_parameters(make):
    frozen, trainable = Value(1.0), Value(1.0)
    frozen.requires_grad = False
    optimizer = make([frozen, trainable])
    for _ in range(3):
        optimizer.zero_grad()
        (frozen * trainable * 3.0).backward()
        optimizer.step()
    assert frozen.data == 1.0
    assert trainable.data < 1.0


def test_zero_grad_sets_none_like_pytorch_or_zero_when_asked():
    p = Value(2.0)
    (p * p).backward()
    optimizer = SGD([p], lr=0.1)
    optimizer.zero_grad()
    assert p.grad is None
    (p * 3.0).backward()
    assert p.grad == 3.0  # backward() starts a None grad from 0.0
    optimizer.zero_grad(set_to_none=False)
    assert p.grad == 0.0


# ---- per-parameter state: frozen parameters and parameters without a gradient, as torch.optim ------

# Which parameters take part at each step: "frozen" ones have requires_grad False (torch: requires_grad_(False)),
# "unused" ones are left out of the loss (torch: their grad stays None after zero_grad()).
SCHEDULE = [
    {},
    {"frozen": [1]},
    {"frozen": [1], "unused": [2]},
    {},
    {"unused": [0]},
    {"unused": [0, 2]},
    {},
    {"frozen": [0, 2]},
    {},
]


def run_schedule(make_ours, make_theirs, schedule=SCHEDULE, set_to_none=True):
    """Three parameters through `schedule` with both libraries; (ours, theirs) after every step."""
    start = [0.7, -1.3, 0.4]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    ours_optimizer, theirs_optimizer = make_ours(ours), make_theirs(theirs)
    history = []
    for step in schedule:
        for i in range(3):
            ours[i].requires_grad = i not in step.get("frozen", [])
            theirs[i].requires_grad_(i not in step.get("frozen", []))
        used = [i for i in range(3) if i not in step.get("unused", [])]
        for params, optimizer in ((ours, ours_optimizer), (theirs, theirs_optimizer)):
            optimizer.zero_grad(set_to_none=set_to_none)
            loss = 0.0
            for i in used:
                loss = loss + (params[i] * (i + 1.5) - 0.3 * i) ** 2
            if any(params[i].requires_grad for i in used):
                loss.backward()
            optimizer.step()
        history.append(([p.data for p in ours], [t.item() for t in theirs]))
    return history


OPTIMIZERS = [
    ("adam", lambda p: Adam(p, lr=0.1), lambda p: torch.optim.Adam(p, lr=0.1)),
    (
        "adam_decay",
        lambda p: Adam(p, lr=0.05, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.05, weight_decay=0.1),
    ),
    ("sgd_momentum", lambda p: SGD(p, lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (
        "sgd_nesterov_decay",
        lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
    ),
]


@pytest.mark.parametrize("name, make_ours, make_theirs", OPTIMIZERS, ids=[row[0] for row in OPTIMIZERS])
def test_frozen_and_unused_parameters_follow_torch_optim_step_by_step(name, make_ours, make_theirs):
    for step, (ours, theirs) in enumerate(run_schedule(make_ours, make_theirs)):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14), f"after step {step}"


@pytest.mark.parametrize("name, make_ours, make_theirs", OPTIMIZERS, ids=[row[0] for row in OPTIMIZERS])
def test_with_zero_gradients_instead_of_none_unused_parameters_still_step_as_in_torch(name, make_ours, make_theirs):
    # (torch would also step a frozen parameter whose grad is a zero tensor; ours skips every frozen one)
    unused_only = [step for step in SCHEDULE if "frozen" not in step]
    history = run_schedule(make_ours, make_theirs, unused_only, set_to_none=False)
    for step, (ours, theirs) in enumerate(history):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14), f"after step {step}"


def test_adam_after_freeze_and_unfreeze_takes_its_first_step_like_torch():
    # the case of issue 12: one step with b frozen, then one with b trainable (torch: b = 0.90000, not 0.92559)
    ours, theirs = [Value(1.0), Value(1.0)], [torch.tensor(1.0, dtype=torch.float64, requires_grad=True) for _ in "ab"]
    adam, torch_adam = Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for frozen in (True, False):
        ours[1].requires_grad = not frozen
        theirs[1].requires_grad_(not frozen)
        for (a, b), optimizer in ((ours, adam), (theirs, torch_adam)):
            optimizer.zero_grad()
            (a * b).backward()
            optimizer.step()
    assert [p.data for p in ours] == [t.item() for t in theirs]
    assert ours[1].data == pytest.approx(0.9, abs=1e-8)
    assert adam.state[ours[0]]["step"] == 2 and adam.state[ours[1]]["step"] == 1


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "must be Values, got float at position 0"),
        (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "lr must be >= 0"),
        (lambda: SGD([Value(1.0)], lr="fast"), TypeError, "lr must be a number"),
        (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "Nesterov"),
        (lambda: Adam([Value(1.0)], betas=(1.0, 0.9)), ValueError, r"betas\[0\]"),
        (lambda: Adam([Value(1.0)], lr=float("nan")), ValueError, "lr must be >= 0"),
        (lambda: SGD(MLP(2, [1]), lr=0.1), TypeError, r"pass MLP.parameters\(\) to the optimizer"),
        (lambda: SGD([(v := Value(1.0)), v], lr=0.1), ValueError, "more than once"),
        (lambda: Adam([Value(1.0)], eps=0.0), ValueError, "eps must be > 0"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "pair of numbers"),
        (lambda: Adam([Value(1.0)], betas=("a", "b")), TypeError, r"betas\[0\] must be a number"),
        (lambda: SGD([Value(1.0)], lr=math.inf), ValueError, "lr must be >= 0 and finite, got inf"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=0.9, dampening=math.nan), ValueError, "dampening must be >= 0"),
    ],
    ids=[
        "empty",
        "not_values",
        "negative_lr",
        "lr_str",
        "nesterov",
        "beta",
        "nan_lr",
        "model",
        "duplicate",
        "eps",
        "betas_float",
        "betas_str",
        "inf_lr",
        "nan_dampening",
    ],
)
def test_bad_hyperparameters_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer([Value(1.0)], lr=0.1).step()
