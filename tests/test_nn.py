"""Module, Neuron, Layer, MLP: parameters, PyTorch parity with copied weights, saving and loading."""

import json
import random

import pytest
import torch

from micrograd_plus import MLP, SGD, Layer, Module, Neuron, Value

TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t}


def torch_copy(model: MLP) -> list[torch.nn.Linear]:
    """torch.nn.Linear layers (float64) holding the same weights as `model`."""
    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(linear)
    return layers


def torch_forward(layers, activation, x):
    for i, linear in enumerate(layers):
        x = linear(x)
        if i < len(layers) - 1:
            x = TORCH_ACTIVATIONS[activation](x)
    return x


def torch_grads_in_our_order(layers) -> list[float]:
    """Gradients listed as our parameters(): layer by layer, neuron by neuron, weights then bias."""
    grads = []
    for linear in layers:
        for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            grads.extend(row)
            grads.append(bias)
    return grads


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("sizes", [[1], [4, 1], [5, 3, 2]], ids=["1", "4-1", "5-3-2"])
def test_mlp_forward_and_every_parameter_gradient_match_pytorch(activation, sizes):
    rng = random.Random(7)
    model = MLP(3, sizes, activation=activation, seed=11)
    layers = torch_copy(model)
    batch = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(4)]
    targets = [[rng.uniform(-1, 1) for _ in range(sizes[-1])] for _ in range(4)]

    total = Value(0.0)
    for x, target in zip(batch, targets):
        out = model(x)
        outs = [out] if isinstance(out, Value) else out
        for o, t in zip(outs, target):
            total = total + (o - t) ** 2
    total.backward()

    torch_out = torch_forward(layers, activation, torch.tensor(batch, dtype=torch.float64))
    torch_total = ((torch_out - torch.tensor(targets, dtype=torch.float64)) ** 2).sum()
    torch_total.backward()

    assert total.data == pytest.approx(torch_total.item(), rel=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads_in_our_order(layers), rel=1e-11, abs=1e-13)


def test_input_gradients_match_pytorch():
    model = MLP(2, [3, 1], activation="tanh", seed=3)
    layers = torch_copy(model)
    x = [Value(0.4), Value(-1.1)]
    model(x).backward()
    tx = torch.tensor([0.4, -1.1], dtype=torch.float64, requires_grad=True)
    torch_forward(layers, "tanh", tx).sum().backward()
    assert [v.grad for v in x] == pytest.approx(tx.grad.tolist(), rel=1e-12)


def test_named_parameters_are_dotted_and_in_micrograd_order():
    model = MLP(2, [2, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
        "layers.0.neurons.1.w.1",
        "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.b",
    ]
    expected = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert all(a is b for a, b in zip(model.parameters(), expected, strict=True))


def test_parameter_count_of_micrograd_demo_mlp():
    assert MLP(2, [16, 16, 1]).num_parameters() == 337


def test_initialisation_is_seeded_and_scaled_like_pytorch():
    a, b, c = MLP(4, [8, 1], seed=5), MLP(4, [8, 1], seed=5), MLP(4, [8, 1], seed=6)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()
    first_layer = [p.data for n in a.layers[0].neurons for p in [*n.w, n.b]]
    assert max(abs(v) for v in first_layer) <= 1 / 4**0.5
    assert max(abs(v) for v in first_layer) > 0.5 * 1 / 4**0.5  # really spread over the range
    assert Neuron(3, seed=random.Random(1)).state_dict() == Neuron(3, seed=1).state_dict()


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2


def test_hidden_layers_use_the_activation_and_the_last_is_linear():
    model = MLP(2, [3, 3, 1], activation="tanh")
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    out = model([0.5, -0.5])
    assert out._op == "w·x+b"


@pytest.mark.parametrize(
    "module, inputs, message",
    [
        (Neuron(2), [1.0, 2.0, 3.0], "this Neuron expects 2 inputs, got 3"),
        (Layer(3, 2), [1.0], "this Layer expects 3 inputs, got 1"),
        (MLP(4, [2, 1]), [1.0, 2.0], "this MLP expects 4 inputs, got 2"),
    ],
)
def test_wrong_input_length_names_expected_and_received(module, inputs, message):
    with pytest.raises(ValueError, match=message):
        module(inputs)


def test_a_single_number_instead_of_a_list_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"expects a list of 1 inputs, got float: 2.0; wrap a single number"):
        MLP(1, [1])(2.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True])
def test_load_state_dict_refuses_non_finite_numbers_and_bools(bad):
    model = MLP(2, [1], seed=1)
    before = model.state_dict()
    state = dict(before, **{"layers.0.neurons.0.b": bad})
    with pytest.raises((ValueError, TypeError), match="layers.0.neurons.0.b"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_constructor_errors_are_specific():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [1], activation="gelu")
    with pytest.raises(TypeError, match="list of layer sizes"):
        MLP(2, 16)
    with pytest.raises(ValueError, match="nin must be a positive whole number"):
        Neuron(0)
    with pytest.raises(TypeError, match="seed"):
        Neuron(2, seed="x")


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())  # PyTorch's default: no gradient yet
    model.zero_grad(set_to_none=False)
    assert all(p.grad == 0.0 for p in model.parameters())


def test_freeze_excludes_parameters_from_gradients_and_counts():
    model = MLP(2, [3, 1], activation="tanh")
    model.layers[0].freeze()
    assert model.num_parameters() == 13
    assert model.num_parameters(trainable_only=True) == 4
    model([1.0, -1.0]).backward()
    assert all(p.grad == 0.0 for p in model.layers[0].parameters())
    assert all(p.grad != 0.0 for p in model.layers[1].parameters())
    model.unfreeze()
    assert model.num_parameters(trainable_only=True) == 13


def test_requires_grad_is_pytorchs_name_for_freeze_and_unfreeze():
    model = MLP(2, [3, 1])
    assert model.requires_grad_(False) is model and model.num_parameters(trainable_only=True) == 0
    assert model.layers[1].requires_grad_() is model.layers[1]
    assert [p.requires_grad for p in model.parameters()] == [False] * 9 + [True] * 4


def test_state_dict_round_trips_through_json():
    model = MLP(3, [4, 2], seed=1)
    text = json.dumps(model.state_dict())
    other = MLP(3, [4, 2], seed=2)
    other.load_state_dict(json.loads(text))
    assert other.state_dict() == model.state_dict()
    x = [0.1, 0.2, 0.3]
    assert [v.data for v in other(x)] == [v.data for v in model(x)]


def test_load_state_dict_with_missing_and_unexpected_keys_changes_nothing():
    model = MLP(2, [2, 1], seed=1)
    before = model.state_dict()
    state = MLP(2, [2, 1], seed=2).state_dict()
    del state["layers.1.neurons.0.b"]
    state["layers.2.neurons.0.b"] = 1.0
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for MLP" in message
    assert "missing keys: ['layers.1.neurons.0.b']" in message
    assert "unexpected keys: ['layers.2.neurons.0.b']" in message
    assert model.state_dict() == before


def test_load_state_dict_with_a_non_number_changes_nothing():
    model = MLP(2, [2, 1], seed=1)
    before = model.state_dict()
    state = MLP(2, [2, 1], seed=2).state_dict()
    state["layers.1.neurons.0.b"] = "oops"
    with pytest.raises(TypeError, match="layers.1.neurons.0.b"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_non_strict_loads_the_keys_it_knows():
    model = MLP(2, [2, 1], seed=1)
    model.load_state_dict({"layers.1.neurons.0.b": 0.5, "extra": 1.0}, strict=False)
    assert model.layers[1].neurons[0].b.data == 0.5


def test_a_custom_module_finds_its_parameters_by_attribute():
    class Affine(Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.inner = Neuron(1, activation="linear")
            self.note = "not a parameter"

        def forward(self, x):
            return self.inner([x]) * self.scale

    model = Affine()
    assert [name for name, _ in model.named_parameters()] == ["scale", "inner.w.0", "inner.b"]
    assert isinstance(model(1.0), Value)
    model.out = model(1.0)  # a result kept for later, as makemore's layers keep self.out: not a parameter
    assert [name for name, _ in model.named_parameters()] == ["scale", "inner.w.0", "inner.b"]
    Affine().load_state_dict(model.state_dict())


def test_a_shared_weight_is_one_parameter_as_in_pytorch():
    class Tied(Module):  # one neuron reached by two attributes, as tied embeddings are
        def __init__(self):
            self.first = Neuron(2, activation="linear")
            self.second = self.first

        def forward(self, x):
            return self.first(x) + self.second(x)

    model = Tied()
    assert model.num_parameters() == 3 and len(model.parameters()) == 3
    before = model.first.w[1].data
    optimizer = SGD(model.parameters(), lr=0.5)  # no "the same Value more than once"
    optimizer.zero_grad()
    model([1.0, 2.0]).backward()
    optimizer.step()
    assert model.first.w[1].grad == 4.0  # both uses add up in one grad: 2 * x[1]
    assert model.first.w[1].data == before - 0.5 * 4.0  # stepped once, not once per attribute


def test_reprs_describe_the_architecture():
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='relu')"
    assert repr(Layer(2, 3, "tanh")) == "Layer(2, 3, activation='tanh')"
    assert repr(Neuron(2)) == "Neuron(2, activation='relu')"
