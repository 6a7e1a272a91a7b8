"""Gradient checking: compare backward() with finite differences, the slow but obvious way. The central
difference (f(x+eps) - f(x-eps)) / (2 eps) has error O(eps**2): with eps=1e-6 it agrees with the true derivative
to about 1e-9 for smooth functions, a good referee."""

from collections.abc import Callable, Sequence
from numbers import Real

from .engine import Value, to_float

__all__ = ["gradcheck", "numerical_grad", "analytical_grad", "GradcheckError"]


class GradcheckError(RuntimeError):
    """backward() and finite differences disagree (PyTorch raises an error of the same name)."""


def _input_numbers(inputs) -> list[float]:
    if isinstance(inputs, (Value, Real)):
        inputs = [inputs]
    if not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(f"inputs must be a non-empty list of numbers or Values, got {inputs!r}")
    what = "input {} must be a number or a Value"
    return [x.data if isinstance(x, Value) else to_float(x, what.format(i)) for i, x in enumerate(inputs)]


def _evaluate(f: Callable[..., Value], numbers: list[float]) -> tuple[Value, list[Value]]:
    values = [Value(x) for x in numbers]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}: {out!r}")
    return out, values


def numerical_grad(f: Callable[..., Value], inputs, eps: float = 1e-6) -> list[float]:
    """d f / d input_i for each input, by central differences: (f(x+eps) - f(x-eps)) / (2 eps)."""
    if isinstance(eps, bool) or not isinstance(eps, Real) or not eps > 0.0:
        raise ValueError(f"eps must be a small positive number such as 1e-6, got {eps!r}")
    numbers = _input_numbers(inputs)

    def f_at(i: int, step: float) -> float:  # f with input i moved by `step`
        return _evaluate(f, [x + step if j == i else x for j, x in enumerate(numbers)])[0].data

    return [(f_at(i, eps) - f_at(i, -eps)) / (2.0 * eps) for i in range(len(numbers))]


def analytical_grad(f: Callable[..., Value], inputs) -> list[float]:
    """d f / d input_i for each input, by backward()."""
    out, values = _evaluate(f, _input_numbers(inputs))
    out.backward()
    return [v.grad for v in values]


def gradcheck(f: Callable[..., Value], inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check backward() of `f(*inputs)` against central differences; True, or raise GradcheckError. Input i
    passes when |analytical - numerical| <= atol + rtol * |numerical| (PyTorch's defaults)."""
    analytical = analytical_grad(f, inputs)
    numerical = numerical_grad(f, inputs, eps)
    for index, (a, n) in enumerate(zip(analytical, numerical)):
        allowed = atol + rtol * abs(n)
        if not abs(a - n) <= allowed:  # `not <=` also catches NaN
            raise GradcheckError(
                f"gradient mismatch for input {index}: backward() gives {a:.6g} but finite differences give "
                f"{n:.6g} (difference {abs(a - n):.3g} > allowed {allowed:.3g} = atol + rtol * |numerical|)"
            )
    return True
