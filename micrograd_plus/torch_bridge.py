"""On to PyTorch: our MLP and GPT as torch.nn.Modules with the same weights, weights back, and the PyTorch code.

    module = to_torch(model)        # a torch.nn.Module (float64) computing exactly what `model` computes
    from_torch(module, model)       # copy the module's weights (trained in PyTorch, say) back into `model`
    print(torch_source(model))      # the PyTorch code of the module, to read beside ours

PyTorch is optional: these functions import it when called. Where we keep one Value per number, PyTorch keeps one
tensor per group of numbers; the names match: our `layers.0.attn.wq.3.7` is `layers.0.attn.wq.weight[3, 7]`, and
our MLP's `layers.1.neurons.2.w.0` is `layers.1.weight[2, 0]` (a row per neuron, as in torch.nn.Linear).
"""

import inspect
import re
from types import ModuleType
from typing import TYPE_CHECKING

from .engine import Value
from .gpt import GPT
from .nn import MLP, Module

if TYPE_CHECKING:
    import torch

__all__ = ["to_torch", "from_torch", "torch_source", "INSTALL_TORCH"]

INSTALL_TORCH = (
    "pip install torch==2.13.0 (the CPU build, about 200 MB: add --index-url https://download.pytorch.org/whl/cpu "
    "on Linux)"
)
_NEURON = re.compile(r"^(?P<layer>.*\.)neurons\.(?P<row>\d+)\.(?:w\.(?P<column>\d+)|b)$")


def _torch_models() -> ModuleType:
    """micrograd_plus.torch_models, or an error saying how to install PyTorch."""
    try:
        from . import torch_models
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        raise ModuleNotFoundError(f"this needs PyTorch, which is not installed; install it: {INSTALL_TORCH}") from None
    return torch_models


def _check_model(model: object) -> Module:
    if not isinstance(model, (MLP, GPT)):
        raise TypeError(f"the PyTorch bridge knows our MLP and GPT, got {type(model).__name__}")
    return model


def torch_names(model: Module) -> list[tuple[Value, str, tuple[int, ...]]]:
    """(our parameter, the PyTorch parameter it lives in, its index there) for every parameter, in order."""
    places = []
    for name, value in _check_model(model).named_parameters():
        neuron = _NEURON.match(name)
        if neuron:  # an MLP: each Layer is one nn.Linear, whose weight has a row per neuron
            column = neuron["column"]
            tensor = neuron["layer"] + ("bias" if column is None else "weight")
            index = (int(neuron["row"]),) if column is None else (int(neuron["row"]), int(column))
        else:  # a GPT: `group.row.column`, every group a weight matrix (nn.Embedding or nn.Linear)
            group, row, column = name.rsplit(".", 2)
            tensor, index = f"{group}.weight", (int(row), int(column))
        places.append((value, tensor, index))
    return places


def to_torch(model: Module, dtype: "torch.dtype | None" = None) -> "torch.nn.Module":
    """A torch.nn.Module with `model`'s architecture and weights (in float64 unless `dtype` says otherwise)."""
    models = _torch_models()
    torch = models.torch
    if isinstance(_check_model(model), GPT):
        module = models.GPT(**model.constructor_arguments())
    else:
        module = models.MLP(model.nin, [layer.nout for layer in model.layers], model.activation)
    module = module.to(torch.float64 if dtype is None else dtype)
    places = torch_names(model)
    parameters = dict(module.named_parameters())
    if sum(p.numel() for p in parameters.values()) != len(places):  # every number of the module gets a weight
        raise RuntimeError(f"{type(model).__name__} and its PyTorch version differ in size; this is a bug")
    numbers: dict[str, list] = {name: p.detach().tolist() for name, p in parameters.items()}
    for value, tensor, index in places:
        if len(index) == 1:
            numbers[tensor][index[0]] = value.data
        else:
            numbers[tensor][index[0]][index[1]] = value.data
    with torch.no_grad():
        for name, p in parameters.items():
            p.copy_(torch.tensor(numbers[name], dtype=p.dtype))
    return module


def from_torch(module: "torch.nn.Module", model: Module) -> Module:
    """Copy the weights of `module` (made by to_torch(model), then perhaps trained) into `model`; returns `model`.

    All or nothing: every number is checked before any parameter changes (Module.load_state_dict).
    """
    _torch_models()
    places = torch_names(model)
    shapes: dict[str, tuple[int, ...]] = {}  # each tensor's shape, as the model's parameter names imply it
    for _, tensor, index in places:
        shapes[tensor] = tuple(max(size, i + 1) for size, i in zip(shapes.get(tensor, (0,) * len(index)), index))
    given = {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}
    problems = [f"no {name}" for name in shapes if name not in given]
    problems += [f"{name} of shape {list(given[name])}, not {list(shape)}" for name, shape in shapes.items()
                 if name in given and given[name] != shape]  # fmt: skip
    problems += [f"{name}, which the model has no place for" for name in given if name not in shapes]
    if problems:  # as torch's load_state_dict: a size mismatch is an error, never a slice of the weights
        listed = "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else "")
        raise RuntimeError(f"the PyTorch module does not fit {model!r}: it has {listed}. Make it with to_torch(model)")
    tensors = {name: tensor.detach().double().tolist() for name, tensor in module.state_dict().items()}
    state = {}
    for (name, _), (_, tensor, index) in zip(model.named_parameters(), places):
        number = tensors[tensor]
        for i in index:
            number = number[i]
        state[name] = number
    model.load_state_dict(state)
    return model


def torch_source(model: Module) -> str:
    """The PyTorch code that to_torch(model) runs: the module's classes and the line that builds it."""
    models = _torch_models()
    if isinstance(_check_model(model), GPT):
        pieces = [models.rms_norm, models.CausalSelfAttention, models.FeedForward, models.Block, models.GPT]
        arguments = ", ".join(f"{name}={number}" for name, number in model.constructor_arguments().items())
        build = f"model = GPT({arguments}).double()"
    else:
        sizes = [layer.nout for layer in model.layers]
        pieces = [models.MLP]
        build = f"model = MLP({model.nin}, {sizes}, activation={model.activation!r}).double()"
    header = inspect.getsource(models).partition("\nclass ")[0]
    imports, _, table = header[header.index("import math") :].partition("ACTIVATIONS")
    if isinstance(model, MLP):
        pieces.insert(0, "ACTIVATIONS" + table)
    code = [imports, *(piece if isinstance(piece, str) else inspect.getsource(piece) for piece in pieces), build]
    code = [piece.strip() for piece in code]
    return "\n\n\n".join(code) + "\n"
