"""Module, Neuron, Layer, MLP: networks whose parameters are Values. Parameters are found by walking each
module's attributes in the order they were set (`vars(self)`): a module is just a class that stores leaf Values,
Modules, or lists of them."""

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from numbers import Real

from .engine import Value
from .functional import linear

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "as_rng", "check_count", "check_inputs"]

Seed = int | random.Random  # an int seeds a new generator; a random.Random is shared, drawn from in turn
ACTIVATIONS = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "linear": lambda z: z}


class Module:
    """Base class of every network piece: parameters, gradients, and saving, as in PyTorch."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Yield (dotted name, Value) for every parameter, in the order the attributes were set; lists and tuples
        add their index to the name: `layers.0.neurons.1.w.0`."""
        for name, attribute in vars(self).items():
            yield from _named_values(attribute, prefix + name)

    def parameters(self) -> list[Value]:
        """Every parameter in named_parameters() order (MLP: layer by layer, neuron by neuron, weights then bias)."""
        return list(dict.fromkeys(p for _, p in self.named_parameters()))  # a shared (tied) weight once, as torch

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's grad before the next backward() (gradients accumulate), as in PyTorch:
        to None by default, meaning "no gradient" until backward() reaches it; to 0.0 if not set_to_none."""
        for p in self.parameters():
            p.grad = None if set_to_none else 0.0

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many parameters; with trainable_only, only those not frozen."""
        return sum(1 for p in self.parameters() if p.requires_grad or not trainable_only)

    def freeze(self) -> "Module":
        """Freeze every parameter: optimizers skip it and backward() leaves its grad at 0.0."""
        for p in self.parameters():
            p.requires_grad = False
            p.grad = 0.0
        return self

    def unfreeze(self) -> "Module":
        """Make every parameter trainable again."""
        for p in self.parameters():
            p.requires_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """PyTorch's name for unfreeze() (True) and freeze() (False)."""
        return self.unfreeze() if requires_grad else self.freeze()

    def state_dict(self) -> dict[str, float]:
        """{dotted name: float} for every parameter: plain data, ready for json.dump."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, float], strict: bool = True) -> None:
        """Copy numbers from `state_dict` into the parameters, all or nothing: with strict=True (the default) the
        keys must match `state_dict()` exactly, and every key and value is checked before any parameter changes."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict() takes a dict of name -> number, got {type(state_dict).__name__}")
        error = f"Error(s) in loading state_dict for {type(self).__name__}"
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state_dict]
        unexpected = [name for name in state_dict if name not in params]
        if strict and (missing or unexpected):
            found = {"missing": missing, "unexpected": unexpected}
            raise RuntimeError(f"{error}: " + "; ".join(f"{kind} keys: {keys}" for kind, keys in found.items() if keys))
        updates = {name: number for name, number in state_dict.items() if name in params}
        for name, number in updates.items():
            if isinstance(number, bool) or not isinstance(number, Real):
                raise TypeError(f"{error}: value for {name!r} must be a number, got {number!r}")
            if not math.isfinite(number):
                raise ValueError(f"{error}: value for {name!r} is {number!r}; a saved model holds finite numbers only")
        for name, number in updates.items():
            params[name].data = float(number)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _named_values(item: object, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(item, Value) and not item._children:  # a leaf; a result kept for later (self.out = ...) is not one
        yield name, item
    elif isinstance(item, Module):
        yield from item.named_parameters(name + ".")
    elif isinstance(item, (list, tuple)):
        for index, element in enumerate(item):
            yield from _named_values(element, f"{name}.{index}")


def _check_activation(activation: str | None, nonlin: bool | None = None) -> str:
    """The activation's name (None is "linear"); micrograd's nonlin=True/False means "relu"/"linear"."""
    if isinstance(activation, bool) and nonlin is None:  # micrograd's Neuron(nin, nonlin): nonlin comes second
        activation, nonlin = None, activation
    if nonlin is not None and activation not in ("relu", None):
        raise ValueError(f"pass activation= or micrograd's nonlin=, not both (got {activation!r} and {nonlin!r})")
    activation = (activation or "linear") if nonlin is None else ("relu" if nonlin else "linear")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    return activation


def as_rng(seed: Seed) -> random.Random:
    """A module's `seed` argument as a random.Random: an int seeds a new one, a Random is shared as it is."""
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int or a random.Random, got {type(seed).__name__}: {seed!r}")


def check_count(name: str, count: object) -> int:
    """`count` if it is a whole number >= 1 (a size such as nin), else a ValueError naming `name`."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"{name} must be a positive whole number, got {count!r}")
    return count


def check_inputs(module: Module, x: object) -> None:
    """Raise a clear error unless `x` is a list of exactly `module.nin` inputs."""
    name = type(module).__name__
    if not hasattr(x, "__len__"):
        raise TypeError(
            f"this {name} expects a list of {module.nin} inputs, got {type(x).__name__}: {x!r}; "
            "wrap a single number in a list: model([x])"
        )
    if len(x) != module.nin:
        raise ValueError(f"this {name} expects {module.nin} inputs, got {len(x)}")


class Neuron(Module):
    """activation(w·x + b): one weight per input and a bias, starting uniform in ±1/sqrt(nin) (PyTorch's default
    for nn.Linear), drawn from `seed` (an int or a random.Random): the same seed gives the same neuron, so share
    one random.Random among neurons you make one by one (as Layer does), or they all start, and stay, equal."""

    def __init__(self, nin: int, activation: str = "relu", seed: Seed = 0, nonlin: bool | None = None):
        self.nin = check_count("nin", nin)
        self.activation = _check_activation(activation, nonlin)
        rng = as_rng(seed)
        bound = 1.0 / nin**0.5
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(rng.uniform(-bound, bound))

    def forward(self, x: Sequence[Value | float]) -> Value:
        check_inputs(self, x)
        return ACTIVATIONS[self.activation](linear(x, self.w, self.b))

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs. Like micrograd's Layer, calling it returns a single
    Value when nout is 1, else a list; `outputs(x)` always returns the list."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", seed: Seed = 0, nonlin: bool | None = None):
        self.nin, self.nout = nin, check_count("nout", nout)
        rng = as_rng(seed)
        self.neurons = [Neuron(nin, activation, rng, nonlin) for _ in range(nout)]  # each checks nin, activation

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def outputs(self, x: Sequence[Value | float]) -> list[Value]:
        """One output per neuron, as a list even when there is one neuron."""
        check_inputs(self, x)
        zs = linear(x, [neuron.w for neuron in self.neurons], [neuron.b for neuron in self.neurons])  # x read once
        return [ACTIVATIONS[neuron.activation](z) for neuron, z in zip(self.neurons, zs)]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.neurons[0].activation!r})"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear. Returns a single Value
    when the last layer has one output, else a list of Values."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: Seed = 0):
        if not isinstance(nouts, Sequence) or isinstance(nouts, str) or not nouts:
            raise TypeError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 16, 1], got {nouts!r}")
        self.nin, self.activation = nin, _check_activation(activation)
        rng = as_rng(seed)
        activations = [self.activation] * (len(nouts) - 1) + ["linear"]  # the last layer is linear
        self.layers = [Layer(n_in, n_out, act, rng) for n_in, n_out, act in zip([nin, *nouts], nouts, activations)]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        check_inputs(self, x)
        for layer in self.layers:
            x = layer.outputs(x)
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        return f"MLP({self.nin}, {[layer.nout for layer in self.layers]}, activation={self.activation!r})"
