"""to_torch / from_torch / torch_source: our MLP and GPT as torch.nn.Modules with equal outputs and gradients."""

import sys

import pytest
import torch
import torch.nn.functional as F

import micrograd_plus
from micrograd_plus import MLP, Neuron
from micrograd_plus.gpt import GPT
from micrograd_plus.torch_bridge import from_torch, to_torch, torch_names, torch_source

RTOL = 1e-10
ATOL = 1e-12
TINY_GPT = dict(vocab_size=7, block_size=6, n_embd=8, n_head=2, n_layer=2)
POINTS = [[0.5, -1.0, 2.0], [-0.3, 0.8, 0.1], [1.2, 0.0, -0.7]]


def assert_grads_equal(model, module) -> None:
    parameters = dict(module.named_parameters())
    for value, tensor, index in torch_names(model):
        assert value.grad == pytest.approx(parameters[tensor].grad[index].item(), rel=1e-8, abs=ATOL), tensor


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_mlp_in_pytorch_has_our_outputs_and_parameter_gradients(activation):
    model = MLP(3, [5, 4, 2], activation=activation, seed=1)
    module = to_torch(model)
    assert next(module.parameters()).dtype == torch.float64
    ours = [model(point) for point in POINTS]
    loss = sum((out * (i + 1.0) for row in ours for i, out in enumerate(row)), 0.0)
    loss.backward()
    theirs = module(torch.tensor(POINTS, dtype=torch.float64))
    (theirs * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    assert [[v.data for v in row] for row in ours] == [pytest.approx(r, rel=RTOL, abs=ATOL) for r in theirs.tolist()]
    assert_grads_equal(model, module)


def test_gpt_in_pytorch_has_our_logits_loss_and_parameter_gradients():
    model = GPT(**TINY_GPT, seed=4)
    module = to_torch(model)
    tokens = [0, 3, 6, 1, 2, 0]
    logits = model(tokens[:-1])
    loss = model.loss(tokens)
    loss.backward()
    t_logits = module(torch.tensor([tokens[:-1]]))[0]
    t_loss = F.cross_entropy(t_logits, torch.tensor(tokens[1:]))
    t_loss.backward()
    assert [[v.data for v in row] for row in logits] == [
        pytest.approx(r, rel=RTOL, abs=ATOL) for r in t_logits.tolist()
    ]
    assert loss.data == pytest.approx(t_loss.item(), rel=RTOL)
    assert_grads_equal(model, module)


def test_a_gpt_trained_with_our_adam_matches_its_torch_copy_trained_with_torch_optim_adam():
    # Batches that skip tokens and positions: torch's nn.Embedding gives their rows a 0 gradient, so Adam moves them
    # on their momentum; ours must too (the embedding node's gradient is dense), or the two drift apart.
    model = GPT(**TINY_GPT, seed=1)
    module = to_torch(model)
    ours = micrograd_plus.Adam(model.parameters(), lr=1e-2)
    theirs = torch.optim.Adam(module.parameters(), lr=1e-2)
    for step in range(5):
        batch = [[0, 1, 2, 3, 4, 0]] if step % 2 == 0 else [[0, 5, 6, 0]]
        ours.zero_grad()  # to None: a gradient only where backward() reaches
        model.batch_loss(batch).backward()
        ours.step()
        tokens = torch.tensor(batch)
        theirs.zero_grad()
        F.cross_entropy(module(tokens[:, :-1]).flatten(0, 1), tokens[:, 1:].flatten()).backward()
        theirs.step()
    parameters = dict(module.named_parameters())
    for value, tensor, index in torch_names(model):
        assert value.data == pytest.approx(parameters[tensor][index].item(), rel=1e-9, abs=1e-12), (tensor, index)


def train_in_torch(module, inputs) -> None:
    """Three steps of gradient descent on mean(output**2), written out (torch.optim's first use is slow)."""
    for _ in range(3):
        module.zero_grad()
        module(inputs).square().mean().backward()
        with torch.no_grad():
            for p in module.parameters():
                p -= 0.1 * p.grad


def test_mlp_weights_trained_in_pytorch_come_back_with_from_torch():
    model = MLP(3, [4, 2], seed=2)
    module = to_torch(model)
    train_in_torch(module, torch.tensor(POINTS, dtype=torch.float64))
    before = model.state_dict()
    assert from_torch(module, model) is model
    assert model.state_dict() != before
    with torch.no_grad():
        expected = module(torch.tensor(POINTS, dtype=torch.float64)).tolist()
    assert [[v.data for v in model(point)] for point in POINTS] == [pytest.approx(r, rel=RTOL) for r in expected]


def test_gpt_weights_trained_in_pytorch_come_back_with_from_torch():
    model = GPT(**TINY_GPT, seed=2)
    module = to_torch(model)
    inputs = torch.tensor([[0, 1, 2, 3], [0, 4, 5, 6]])
    train_in_torch(module, inputs)
    before = model.state_dict()
    from_torch(module, model)
    assert model.state_dict() != before
    with torch.no_grad():
        expected = module(inputs)[1].tolist()
    assert [[v.data for v in row] for row in model([0, 4, 5, 6])] == [pytest.approx(r, rel=RTOL) for r in expected]


@pytest.mark.parametrize("make", [lambda: MLP(2, [3, 1], "tanh"), lambda: GPT(**TINY_GPT)], ids=["mlp", "gpt"])
def test_torch_source_is_the_code_that_to_torch_runs(make):
    model = make()
    source = torch_source(model)
    namespace = {}
    exec(compile(source, "<torch_source>", "exec"), namespace)  # the printed code runs on its own
    module = namespace["model"]
    reference = to_torch(model)
    assert {k: v.shape for k, v in module.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()
    }
    module.load_state_dict(reference.state_dict())
    inputs = torch.tensor([[0, 5, 2]]) if isinstance(model, GPT) else torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(module(inputs), reference(inputs))
    assert "class " in source and "def forward" in source


def test_without_pytorch_the_bridge_says_how_to_install_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "micrograd_plus.torch_models", raising=False)
    monkeypatch.delattr(micrograd_plus, "torch_models", raising=False)
    monkeypatch.setitem(sys.modules, "torch", None)  # what Python does when torch is not installed
    for call in (to_torch, torch_source):
        with pytest.raises(ModuleNotFoundError, match=r"pip install torch==2\.13\.0"):
            call(MLP(2, [1]))


def test_the_bridge_refuses_models_it_does_not_know():
    with pytest.raises(TypeError, match="knows our MLP and GPT, got Neuron"):
        to_torch(Neuron(2))


def test_from_torch_refuses_a_module_of_another_model():
    with pytest.raises(RuntimeError, match="has no"):
        from_torch(to_torch(MLP(2, [1])), GPT(**TINY_GPT))


@pytest.mark.parametrize(
    "theirs, ours, words",
    [
        (MLP(2, [4, 1], seed=1), MLP(2, [3, 1]), r"layers.0.weight of shape \[4, 2\], not \[3, 2\]"),
        (MLP(2, [3, 1], seed=1), MLP(2, [4, 1]), r"layers.0.bias of shape \[3\], not \[4\]"),
        (GPT(**TINY_GPT), GPT(**{**TINY_GPT, "n_layer": 1}), "layers.1.attn.wq.weight, which the model has no place"),
        (GPT(**TINY_GPT), GPT(**{**TINY_GPT, "vocab_size": 5}), r"wte.weight of shape \[7, 8\], not \[5, 8\]"),
    ],
    ids=["bigger_mlp", "smaller_mlp", "deeper_gpt", "larger_vocab"],
)
def test_from_torch_refuses_a_module_whose_sizes_differ_and_changes_nothing(theirs, ours, words):
    before = ours.state_dict()
    with pytest.raises(RuntimeError, match=words):
        from_torch(to_torch(theirs), ours)
    assert ours.state_dict() == before
