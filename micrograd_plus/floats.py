"""Floats at the edges, as IEEE 754 and PyTorch define them: the helpers of engine.py's ops. Python raises where
IEEE 754 has an answer (1e200 ** 2, math.exp(1000.0), inf / 0.0); PyTorch takes the answer, and so do these
helpers, except where engine.py's rule makes a finite input outside an op's domain an error naming the op."""

import functools
import math
from collections.abc import Callable
from numbers import Real

__all__ = ["Slope", "ZERO_SLOPE", "reciprocal", "to_float", "named", "divide", "exp", "power"]


class Slope(float):
    """A local derivative (the float) whose product with an upstream gradient is `times(upstream)`: PyTorch's
    backward formula, so that backward() keeps its one rule, `child.grad += local * upstream`, and gives
    PyTorch's numbers, nan and inf included (1e-300 / 5e-324 is 2e23 where 1e-300 * (1 / 5e-324) is inf)."""

    __slots__ = ("times",)

    def __new__(cls, value: float, times: Callable[[float], float]):
        self = float.__new__(cls, value)
        self.times = times
        return self

    def __mul__(self, upstream):
        return self.times(upstream)

    __rmul__ = __mul__


ZERO_SLOPE = Slope(0.0, lambda upstream: 0.0)  # PyTorch selects 0 (relu at a <= 0, a**0): 0, even times inf or nan


def reciprocal(b: float) -> Slope:
    """d(x/b)/dx = 1/b (also of ln b and sqrt b), times upstream as PyTorch does it: upstream / b."""
    return Slope(divide(1.0, b, ieee=True), lambda upstream: divide(upstream, b, ieee=True))


def to_float(x: object, what: str = "Value() takes a real number (e.g. Value(2.0))") -> float:
    """`x` as a float (from an int, a bool, a Fraction, a numpy number...), or a TypeError saying `what`."""
    if type(x) is float:
        return x
    if isinstance(x, (int, Real)):
        return float(x)
    raise TypeError(f"{what}, got {type(x).__name__}: {x!r}")


@functools.lru_cache(maxsize=1024)  # formatting a float is slow, and a training loop repeats its constants
def named(op: str, c: float) -> str:
    """The op's name with its constant, e.g. '*2' or '+1e-06'."""
    return op + (repr(c)[:-2] if repr(c).endswith(".0") else repr(c))


def divide(a: float, b: float, ieee: bool = False) -> float:
    """a / b; a finite a over 0 is a domain error unless `ieee`, which gives IEEE 754's ±inf or nan."""
    if b == 0.0 and not ieee and math.isfinite(a):
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}; the divisor is 0.0")
    try:
        return a / b
    except ZeroDivisionError:
        return math.nan if a == 0.0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)


def exp(a: float) -> float:
    """e**a, inf past exp(709.78) where math.exp raises OverflowError."""
    return math.exp(a) if not a > 709.782712893384 else math.inf  # the largest a with a finite e**a


def check_power(a: float, k: float, form: str, slope_in_base: bool = False, slope_in_exponent: bool = False) -> None:
    """Raise an error naming the power where a**k, or the derivative that is needed, is not finite and real."""
    if not (math.isfinite(a) and math.isfinite(k)):
        return  # nan and inf propagate as in PyTorch
    if a == 0.0 and (k < 0.0 or (slope_in_base and k < 1.0 and k != 0.0)):
        why = "0.0 ** a negative power" if k < 0.0 else f"its derivative {k:g} * 0.0 ** ({k:g} - 1)"
        raise ZeroDivisionError(f"{form.format(a, k)}: {why} divides by 0")
    if a < 0.0 and slope_in_exponent:
        raise ValueError(f"{form.format(a, k)}: a Value exponent needs a base >= 0 (d(a**b)/db = a**b * ln a)")
    if a < 0.0 and not k.is_integer():
        raise ValueError(f"{form.format(a, k)}: a negative number to a fractional power is not real")


def power(a: float, k: float, shortcuts: bool = False) -> float:
    """a**k as PyTorch computes it. For a plain number k, PyTorch's shortcuts (a*a for 2, a*a*a for 3,
    sqrt for ±0.5, 1/a and 1/(a*a) for -1 and -2): the same up to rounding, but sqrt(-inf) is nan
    where C's pow gives inf. Else C's pow, with IEEE 754's ±inf where Python raises OverflowError."""
    if shortcuts and k in (2.0, 3.0, -1.0, -2.0, 0.5, -0.5):
        if k == 0.5 or k == -0.5:
            r = math.sqrt(a) if not a < 0.0 else math.nan
            return r if k > 0.0 else divide(1.0, r, ieee=True)
        return a * a if k == 2.0 else a * a * a if k == 3.0 else divide(1.0, a if k == -1.0 else a * a, ieee=True)
    try:
        return a**k
    except OverflowError:  # negative only for a negative base and an odd exponent
        return -math.inf if a < 0.0 and k % 2.0 == 1.0 else math.inf


def power_slope(a: float, k: float, shortcuts: bool = False) -> float:
    """d(a**k)/da = k * a**(k-1); for k == 0 PyTorch's 0 that stays 0 times any gradient."""
    return ZERO_SLOPE if k == 0.0 else k * power(a, k - 1.0, shortcuts)


def exponent_slope(a: float, k: float, out: float) -> float:
    """d(a**k)/dk = a**k * ln(a); 0 at a == 0 for k >= 0, as in PyTorch (a plain 0: inf times it is nan)."""
    if a == 0.0 and k >= 0.0:
        return 0.0
    return out * (math.log(a) if a > 0.0 else -math.inf if a == 0.0 else math.nan)  # ln 0 is -inf, as in C
