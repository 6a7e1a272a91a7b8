"""Optimizers: SGD and Adam, with torch.optim's update rules written out in plain floats.

An optimizer holds a list of parameters and, on `step()`, moves each one against its gradient.
Frozen parameters (`requires_grad = False`) are skipped, as PyTorch skips those without a grad.
"""

import math
from collections.abc import Iterable

from .engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: keeps the parameter list, checks hyperparameters, clears gradients."""

    def __init__(self, params: Iterable[Value], lr: float):
        if hasattr(params, "parameters"):  # a Module was passed where its parameters belong
            raise TypeError(f"pass {type(params).__name__}.parameters() to the optimizer, not the model itself")
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list; pass model.parameters()")
        for index, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"optimizer parameters must be Values, got {type(p).__name__} at position {index}; "
                    "pass model.parameters()"
                )
        if len(set(self.params)) != len(self.params):  # it would be stepped once per copy
            raise ValueError("the parameter list holds the same Value more than once; pass each parameter once")
        self.lr = _check_non_negative("lr", lr)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 before the next backward()."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _trainable(self):
        return ((i, p) for i, p in enumerate(self.params) if p.requires_grad)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay.

    Per parameter, exactly as torch.optim.SGD:
        g = grad + weight_decay * p
        buf = g (first step), else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf (nesterov) or buf (momentum > 0)
        p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        super().__init__(params, lr)
        self.momentum = _check_non_negative("momentum", momentum)
        self.dampening = float(dampening)
        self.weight_decay = _check_non_negative("weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        self.nesterov = nesterov
        self.momentum_buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p in self._trainable():
            g = p.grad
            if self.weight_decay != 0.0:
                g = g + self.weight_decay * p.data
            if self.momentum != 0.0:
                buf = self.momentum_buffers[i]
                buf = g if buf is None else buf * self.momentum + (1.0 - self.dampening) * g
                self.momentum_buffers[i] = buf
                g = g + self.momentum * buf if self.nesterov else buf
            p.data = p.data + -self.lr * g


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running averages of the gradient and its square.

    Per parameter, exactly as torch.optim.Adam (t counts steps from 1):
        g = grad + weight_decay * p
        m = m + (1 - beta1) * (g - m)           (torch's lerp)
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"Adam betas must be a pair of numbers such as (0.9, 0.999), got {betas!r}")
        for index, beta in enumerate(betas):
            if not 0.0 <= _check_non_negative(f"betas[{index}]", beta) < 1.0:
                raise ValueError(f"Adam betas[{index}] must be in [0, 1), got {beta!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _check_non_negative("eps", eps)
        if self.eps == 0.0:
            raise ValueError("Adam eps must be > 0: it keeps the step finite where a gradient has been 0 so far")
        self.weight_decay = _check_non_negative("weight_decay", weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)  # running average of the gradient
        self.v = [0.0] * len(self.params)  # running average of the squared gradient

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - beta1 ** float(self.t))
        correction2_sqrt = (1.0 - beta2 ** float(self.t)) ** 0.5
        for i, p in self._trainable():
            g = p.grad
            if self.weight_decay != 0.0:
                g = g + self.weight_decay * p.data
            self.m[i] = _lerp(self.m[i], g, 1.0 - beta1)
            self.v[i] = self.v[i] * beta2 + (1.0 - beta2) * g * g
            denom = math.sqrt(self.v[i]) / correction2_sqrt + self.eps
            p.data = p.data + -step_size * self.m[i] / denom


def _lerp(start: float, end: float, weight: float) -> float:
    # torch.lerp's two formulas, each exact at its own end of [0, 1]
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _check_non_negative(name: str, number: float) -> float:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(number).__name__}: {number!r}")
    if not number >= 0.0:  # also catches NaN
        raise ValueError(f"{name} must be >= 0, got {number!r}")
    return float(number)
