"""Optimizers: SGD and Adam, with torch.optim's update rules written out in plain floats. As in torch.optim, each
parameter has its own state (`optimizer.state[p]`), made at its first step with a gradient, and a parameter without a
gradient is skipped with no state change: grad None (backward() did not reach it since zero_grad()), or frozen
(requires_grad False: torch's frozen tensors get no grad; torch would still step one that keeps a zero grad from before,
we never step a frozen one)."""

import math
from collections.abc import Iterable

from .engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: keeps the parameter list and each parameter's state, checks the settings all optimizers have."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float = 0.0):
        if hasattr(params, "parameters"):  # a Module was passed where its parameters belong
            raise TypeError(f"pass {type(params).__name__}.parameters() to the optimizer, not the model itself")
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list; pass model.parameters()")
        for index, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"optimizer parameters must be Values, got {type(p).__name__} at position {index}")
        if len(set(self.params)) != len(self.params):  # it would be stepped once per copy
            raise ValueError("the parameter list holds the same Value more than once; pass each parameter once")
        self.lr = _check_number("lr", lr)
        self.weight_decay = _check_number("weight_decay", weight_decay)
        self.state: dict[Value, dict[str, float]] = {}  # per parameter, as torch.optim's

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's grad before the next backward(), as Module.zero_grad() does."""
        for p in self.params:
            p.grad = None if set_to_none else 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _with_grads(self):
        """(parameter, grad + weight_decay * parameter, its state) for each parameter that has a gradient."""
        for p in self.params:
            if p.requires_grad and p.grad is not None:
                g = p.grad + self.weight_decay * p.data if self.weight_decay != 0.0 else p.grad
                yield p, g, self.state.setdefault(p, {})


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay. Per parameter,
    exactly as torch.optim.SGD:
        g = grad + weight_decay * p
        buf = g (its first step), else momentum * buf + (1 - dampening) * g
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
        super().__init__(params, lr, weight_decay)
        self.momentum = _check_number("momentum", momentum)
        self.dampening = _check_number("dampening", dampening)
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        self.nesterov = nesterov

    def step(self) -> None:
        for p, g, state in self._with_grads():
            if self.momentum != 0.0:
                buf = state.get("momentum_buffer")
                buf = g if buf is None else buf * self.momentum + (1.0 - self.dampening) * g
                state["momentum_buffer"] = buf
                g = g + self.momentum * buf if self.nesterov else buf
            p.data = p.data + -self.lr * g


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running averages of the gradient and its square. Per parameter, exactly
    as torch.optim.Adam (t counts this parameter's steps from 1):
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
        super().__init__(params, lr, weight_decay)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"Adam betas must be a pair of numbers such as (0.9, 0.999), got {betas!r}")
        self.betas = tuple(_check_number(f"Adam betas[{index}]", beta, below=1.0) for index, beta in enumerate(betas))
        self.eps = _check_number("Adam eps", eps, positive=True)  # it keeps the step finite where grads have been 0

    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, g, state in self._with_grads():
            t = state["step"] = state.get("step", 0) + 1
            m = state["exp_avg"] = _lerp(state.get("exp_avg", 0.0), g, 1.0 - beta1)
            v = state["exp_avg_sq"] = state.get("exp_avg_sq", 0.0) * beta2 + (1.0 - beta2) * g * g
            denom = math.sqrt(v) / (1.0 - beta2 ** float(t)) ** 0.5 + self.eps
            p.data = p.data + -(self.lr / (1.0 - beta1 ** float(t))) * m / denom


def _lerp(start: float, end: float, weight: float) -> float:
    # torch.lerp's two formulas, each exact at its own end of [0, 1]
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _check_number(name: str, number: float, below: float = math.inf, positive: bool = False) -> float:
    """`number` as a float if it is >= 0 (> 0 if `positive`) and < `below`, else an error naming `name`."""
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(number).__name__}: {number!r}")
    if not (number > 0.0 if positive else number >= 0.0) or not number < below:  # `not` catches nan too
        below_text = f" and < {below:g}" if below < math.inf else " and finite"
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}{below_text}, got {number!r}")
    return float(number)
