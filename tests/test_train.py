"""The training loop against the hand-written loop and PyTorch; hyperparameters; stopping when not finite."""

import contextlib
import gc
import io
import random

import pytest
import torch

from micrograd_plus import MLP, SGD, Adam, Module, Value, mse_loss
from micrograd_plus.datasets import Dataset, Standardizer, batches, linear_in_original_units, make_houses
from micrograd_plus.train import History, Hyperparameters, evaluate, fit, predict


def small_regression(n: int = 40, seed: int = 0) -> Dataset:
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    y = [x[0] - 2.0 * x[1] * x[2] + 0.5 + rng.gauss(0, 0.1) for x in X]
    return Dataset(X, y, ["a", "b", "c"], "y")


# ---- Hyperparameters ----------------------------------------------------------------------------------


def test_hyperparameters_print_every_knob_and_round_trip_through_a_dict():
    hp = Hyperparameters(lr=0.03, epochs=7, batch_size=None, hidden=[8, 4], seed=3)
    text = str(hp)
    for part in ("lr=0.03", "epochs=7", "batch_size=all", "hidden=[8, 4]", "activation=tanh", "seed=3"):
        assert part in text
    assert Hyperparameters.from_dict(hp.to_dict()) == hp


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -0.1}, "lr must be >= 0 and finite, got -0.1"),
        ({"lr": float("nan")}, "lr must be >= 0 and finite, got nan"),
        ({"epochs": 0}, "epochs must be a positive whole number"),
        ({"batch_size": 2.5}, "batch_size must be a positive whole number"),
        ({"hidden": [8, 0]}, "each hidden layer size must be a positive whole number, got 0"),
        ({"hidden": "8"}, "hidden must be a list of layer sizes"),
        ({"hidden": 8}, "hidden must be a list of layer sizes"),
        ({"activation": "swish"}, "activation must be one of"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of \['adam', 'sgd'\]"),
        ({"weight_decay": -1.0}, "weight_decay must be >= 0"),
        ({"seed": "0"}, "seed must be a whole number"),
    ],
)
def test_hyperparameters_reject_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Hyperparameters(**kwargs)


def test_hyperparameters_make_the_model_and_the_optimizer_they_describe():
    hp = Hyperparameters(lr=0.03, hidden=[5], activation="relu", optimizer="sgd", weight_decay=0.1, seed=4)
    model = hp.make_model(3)
    assert repr(model) == repr(MLP(3, [5, 1], activation="relu", seed=4))
    assert model.state_dict() == MLP(3, [5, 1], activation="relu", seed=4).state_dict()
    assert repr(hp.make_model(3, hidden=[])) == repr(MLP(3, [1], activation="relu"))
    optimizer = hp.make_optimizer(model.parameters())
    assert isinstance(optimizer, SGD) and (optimizer.lr, optimizer.weight_decay) == (0.03, 0.1)
    assert isinstance(Hyperparameters().make_optimizer(model.parameters()), Adam)


def test_hyperparameters_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['momentum'\]"):
        Hyperparameters.from_dict({"lr": 0.1, "momentum": 0.9})


def test_hyperparameters_from_dict_refuses_missing_keys_rather_than_reporting_defaults_as_used():
    assert Hyperparameters.from_dict(Hyperparameters(lr=0.3).to_dict()) == Hyperparameters(lr=0.3)
    with pytest.raises(
        ValueError, match=r"missing hyperparameters \['activation', .*\]; a saved model records them all"
    ):
        Hyperparameters.from_dict({"lr": 0.1})


# ---- fit ----------------------------------------------------------------------------------------------


def test_fit_is_the_hand_written_loop():
    data = small_regression()
    by_fit, by_hand = MLP(3, [4, 1], seed=1), MLP(3, [4, 1], seed=1)
    history = fit(by_fit, mse_loss, SGD(by_fit.parameters(), lr=0.1), data, epochs=3, batch_size=8, seed=5)
    optimizer, rng = SGD(by_hand.parameters(), lr=0.1), random.Random(5)
    for _ in range(3):
        for batch in batches(len(data), 8, rng):
            loss = mse_loss([by_hand(data.X[i]) for i in batch], [data.y[i] for i in batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert by_fit.state_dict() == by_hand.state_dict()
    assert len(history.train_loss) == 3 and history.test_loss == []


@pytest.mark.parametrize("batch_size", [None, 16])
def test_fit_matches_pytorch_adam_on_the_same_batches(batch_size):
    data = small_regression(n=50)
    model = MLP(3, [4, 1], activation="tanh", seed=2)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        for layer, torch_layer in zip(model.layers, (net[0], net[2])):
            torch_layer.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            torch_layer.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.01), data, epochs=4, batch_size=batch_size, seed=9)

    X, y = torch.tensor(data.X, dtype=torch.float64), torch.tensor(data.y, dtype=torch.float64)
    optimizer, rng, torch_losses = torch.optim.Adam(net.parameters(), lr=0.01), random.Random(9), []
    for _ in range(4):
        total = 0.0
        for batch in batches(len(data), batch_size or len(data), rng):
            loss = torch.nn.functional.mse_loss(net(X[batch]).squeeze(1), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        torch_losses.append(total / len(data))
    assert history.train_loss == pytest.approx(torch_losses, rel=1e-10)
    ours = [p.data for p in model.parameters()]
    theirs = [x for layer in (net[0], net[2]) for row in torch.cat([layer.weight, layer.bias[:, None]], 1) for x in row]
    assert ours == pytest.approx([t.item() for t in theirs], rel=1e-9, abs=1e-12)


def test_fit_records_the_test_loss_after_each_epoch():
    data = small_regression()
    train, test = data.subset(range(30)), data.subset(range(30, 40))
    model = MLP(3, [1], seed=0)
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.05), train, 5, 10, test=test, progress=False)
    assert isinstance(history, History) and len(history.test_loss) == 5
    assert history.test_loss[-1] == evaluate(model, mse_loss, test)
    assert history.train_loss[-1] < history.train_loss[0]
    assert len(history.elapsed) == 5 and history.elapsed == sorted(history.elapsed)  # seconds at each epoch's end
    assert history.elapsed[-1] <= history.seconds


def test_full_batch_takes_one_step_per_epoch():
    model = MLP(3, [1], seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    fit(model, mse_loss, optimizer, small_regression(), epochs=6, batch_size=None)
    assert {state["step"] for state in optimizer.state.values()} == {6}  # per parameter, as torch.optim


def test_a_linear_neuron_recovers_the_true_weights_of_synthetic_houses():
    houses = make_houses(n=300, seed=0, noise=200.0)
    features, target = Standardizer().fit(houses.X), Standardizer().fit_target(houses.y)
    scaled = Dataset(features.transform(houses.X), target.transform_target(houses.y), houses.feature_names, "z")
    model = MLP(len(houses.feature_names), [1], seed=0)
    fit(model, mse_loss, Adam(model.parameters(), lr=0.05), scaled, epochs=150, batch_size=None)
    neuron = model.layers[0].neurons[0]
    weights, bias = linear_in_original_units([w.data for w in neuron.w], neuron.b.data, features, target)
    for name, weight in zip(houses.feature_names, weights):
        assert weight == pytest.approx(houses.true_weights[name], rel=0.02), name
    assert bias == pytest.approx(houses.true_bias, abs=500.0)


def test_fit_runs_each_step_with_the_cyclic_collector_paused():
    seen = []

    def watching_loss(predictions, targets):
        seen.append(gc.isenabled())
        return mse_loss(predictions, targets)

    assert gc.isenabled()
    model = MLP(3, [1], seed=0)
    fit(model, watching_loss, SGD(model.parameters(), lr=0.1), small_regression(), epochs=1, batch_size=10)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_diverging_run_stops_with_advice_instead_of_nan():
    model = MLP(3, [1], seed=0)
    data = Dataset([[1e3, 1e3, 1e3]] * 4, [1e6] * 4, ["a", "b", "c"], "y")
    with pytest.raises(RuntimeError, match=r"diverged at epoch \d+.*Lower the learning rate \(it is lr=1000000.0\)"):
        fit(model, mse_loss, SGD(model.parameters(), lr=1e6), data, epochs=50, batch_size=4)


def test_fit_rejects_bad_epochs_and_batch_sizes():
    model = MLP(3, [1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive whole number, got 0"):
        fit(model, mse_loss, optimizer, small_regression(), epochs=0, batch_size=4)
    with pytest.raises(ValueError, match="batch_size must be a positive whole number, got 0"):
        fit(model, mse_loss, optimizer, small_regression(), epochs=1, batch_size=0)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_rewritten_line_on_a_terminal(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stdout", terminal)
    model = MLP(3, [1], seed=0)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), small_regression(), epochs=3, batch_size=20)
    text = terminal.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "epoch 3/3" in text and "train loss" in text


def plain_progress_lines(epochs: int) -> list[str]:
    stream = io.StringIO()  # not a terminal: like ipykernel's stream in a notebook, a pipe, or a log file
    model = MLP(3, [1], seed=0)
    with contextlib.redirect_stdout(stream):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), small_regression(), epochs, 20, test=small_regression())
    assert "\r" not in stream.getvalue()
    return stream.getvalue().splitlines()


def test_progress_in_a_notebook_or_pipe_is_a_plain_line_every_tenth_of_the_epochs():
    lines = plain_progress_lines(25)  # every ceil(25 / 10) = 3 epochs, plus the first and the last
    epochs = [int(line.split()[1].split("/")[0]) for line in lines]
    assert epochs == [1, 3, 6, 9, 12, 15, 18, 21, 24, 25]
    assert all("/25  train loss " in line and "test loss" in line for line in lines)
    assert len(plain_progress_lines(3)) == 3  # few epochs: a line each
    assert len(plain_progress_lines(40)) == 11  # 1, 4, 8, ..., 40


def test_progress_false_is_silent_on_a_terminal_and_elsewhere(monkeypatch, capsys):
    model = MLP(3, [1], seed=0)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), small_regression(), 2, 20, progress=False)
    assert capsys.readouterr().out == ""
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stdout", terminal)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), small_regression(), 2, 20, progress=False)
    assert terminal.getvalue() == ""


def test_fit_guards_the_test_set_evaluation_against_divergence():
    train = small_regression()
    huge = Dataset([[1e200, 1e200, 1e200]], [0.0], train.feature_names, "y")  # its squared error overflows
    model = MLP(3, [1], seed=0)
    with pytest.raises(
        RuntimeError, match="diverged at epoch 1: the loss on the test rows is inf, not a finite number"
    ):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), train, 2, 20, test=huge, progress=False)
    not_a_number = Dataset([[1.0, 2.0, 3.0]], [float("nan")], train.feature_names, "y")
    with pytest.raises(RuntimeError, match="diverged at epoch 1: the loss on the test rows"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), train, 2, 20, test=not_a_number, progress=False)


def test_predict_on_a_model_with_several_outputs_is_a_clear_error():
    with pytest.raises(TypeError, match="one output .* but this model returns 3 outputs"):
        predict(MLP(3, [3], seed=0), small_regression(2).X)
    with pytest.raises(TypeError, match="but this model returns a float"):
        predict(lambda row: 1.0, [[1.0]])


def test_predict_returns_plain_floats_from_the_model():
    model = MLP(3, [2, 1], seed=4)
    rows = small_regression(5).X
    assert predict(model, rows) == [model(row).data for row in rows]


class Constant(Module):
    """A model whose output is always `value`: what an overflowed input gives through a network."""

    def __init__(self, value: float):
        self.weight = Value(1.0)
        self.value = value

    def forward(self, row):
        return self.weight * Value(self.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_fit_stops_and_says_so_when_an_output_is_not_finite(value):
    data = small_regression(8)
    model = Constant(value)
    with pytest.raises(RuntimeError, match=r"diverged at epoch 1: the loss on the training rows is (nan|inf), not"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), data, epochs=2, batch_size=4, progress=False)


def test_predict_refuses_an_output_that_is_not_finite_naming_its_row():
    assert predict(Constant(2.0), [[0.0]]) == [2.0]
    with pytest.raises(ValueError, match="the model's output for row 1 is nan, not a finite number"):
        predict(Constant(float("nan")), [[0.0], [1.0]])


def test_an_overflowing_op_in_the_loss_stops_training_with_advice_not_an_overflow_error():
    def overflowing_loss(predictions, targets):
        raise OverflowError("math range error")

    model = MLP(3, [1], seed=0)
    with pytest.raises(RuntimeError, match="the loss on the training rows is inf, not a finite number. Lower the"):
        fit(model, overflowing_loss, SGD(model.parameters(), lr=0.1), small_regression(), 1, 8, progress=False)


class Watched(Value):
    """A Value that a weak reference can watch (Value's __slots__ leave none), to see when a graph is freed."""

    __slots__ = ("__weakref__",)


def test_fit_builds_one_graph_at_a_time_the_last_steps_is_gone_before_the_next_is_built():
    import weakref

    data, losses = small_regression(), []

    def watched_loss(predictions, targets):
        assert all(ref() is None for ref in losses), "the previous step's graph is still alive"
        loss = mse_loss(predictions, targets)
        losses.append(weakref.ref(watched := Watched(loss.data, (loss,), (1.0,), "watch")))
        return watched

    model = MLP(len(data.X[0]), [4, 1], seed=0)
    fit(model, watched_loss, Adam(model.parameters(), lr=0.01), data, epochs=2, batch_size=10, progress=False)
    assert len(losses) == 8


def test_predict_keeps_at_most_the_last_rows_graph_so_memory_does_not_grow_with_the_rows():
    import weakref

    outputs = []

    class Doubling(Module):
        def forward(self, row):
            assert all(ref() is None for ref in outputs[:-1]), "the graphs of earlier rows are kept"
            outputs.append(weakref.ref(out := Watched(row[0] * 2.0)))
            return out

    assert predict(Doubling(), [[1.0], [2.0], [3.0]]) == [2.0, 4.0, 6.0]
