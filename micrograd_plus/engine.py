"""Value: one number that remembers how it was made, and backward() to fill every gradient.

Every op creates a new Value whose `_children` are the Values it was made from and whose
`_local_grads` are the derivatives of the op with respect to each child, computed during the
forward pass. `backward()` then applies the chain rule once, in one loop, for every op.

The graph holds no reference cycles (children are tuples, no closure captures the output), so
CPython frees a graph by reference counting as soon as the last name for its output goes away.

Where the teaching version differs from PyTorch: ops outside their domain raise a specific error
(log of a negative number, 0 ** -1, exp past float range, a ** k that is not real) instead of
returning nan or inf; + and * follow IEEE 754 like PyTorch (1e200 * 1e200 is inf), and fit() stops
a run whose loss stops being finite. Intermediate nodes keep the latest pass's gradient (PyTorch
keeps none unless asked with retain_grad()).
"""

import gc
import math
from collections.abc import Iterable, Sequence
from numbers import Real
from operator import mul

__all__ = ["Value", "as_value", "linear", "logsumexp", "softmax", "no_gc"]

# The largest x for which math.exp(x) is a finite float64: ln(1.7976931348623157e308).
_EXP_LIMIT = 709.782712893384
LINEAR_OP = "w·x+b"  # the op name of linear(): drawings find neurons by it


def to_float(data: object) -> float:
    """Return `data` as a float, or raise TypeError naming what was received."""
    if isinstance(data, Real):  # int, float, bool, Fraction, numpy floats and ints
        return float(data)
    raise TypeError(
        f"Value() takes a real number, got {type(data).__name__}: {data!r}. Pass an int or a float, e.g. Value(2.0)."
    )


class Value:
    """A scalar in a computation graph: its data, its gradient, and the op that made it."""

    __slots__ = ("data", "grad", "label", "requires_grad", "_children", "_local_grads", "_op")

    def __init__(
        self,
        data: float,
        _children: tuple["Value", ...] = (),
        _local_grads: tuple[float, ...] = (),
        _op: str = "",
        label: str = "",
    ):
        self.data = data if type(data) is float else to_float(data)
        self.grad = 0.0
        if type(_children) is not tuple:  # Value(2.0, "a") would make "a" the children, not the label
            raise TypeError(f"pass the label by name, e.g. Value(2.0, label='a'); got {_children!r} as the children")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.label = label
        self.requires_grad = True  # False for a frozen parameter: backward() leaves its grad at 0
        self._children = _children
        self._local_grads = _local_grads
        self._op = _op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- primitive ops: forward rule, and the local derivative beside it --------------------

    def __add__(self, other):  # d(a+b)/da = 1, d(a+b)/db = 1
        other = as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):  # d(a*b)/da = b, d(a*b)/db = a
        other = as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -(a/b)/b
        other = as_value(other)
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}; the divisor Value is 0.0")
        out = a / b
        return Value(out, (self, other), (1.0 / b, -(out / b)), "/")

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._pow_value(other)
        return self._pow_number(other)

    def _pow_number(self, k):  # d(a**k)/da = k * a**(k-1), k a plain number
        if not isinstance(k, Real):
            raise TypeError(f"the exponent must be a real number or a Value, got {type(k).__name__}: {k!r}")
        k = float(k)
        a = self.data
        _check_power(a, k)
        return Value(_power(a, k), (self,), (_power_slope(a, k),), f"**{k:g}")

    def _pow_value(self, b):  # d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * ln(a)
        a, k = self.data, b.data
        _check_power(a, k)
        if a < 0.0:
            raise ValueError(
                f"a ** b with a Value exponent needs a base >= 0 to differentiate with respect to b, "
                f"got base {a!r}; use a ** k with a plain number k instead"
            )
        out = _power(a, k)
        d_exponent = out * math.log(a) if a > 0.0 else 0.0  # PyTorch's convention at a == 0
        return Value(out, (self, b), (_power_slope(a, k), d_exponent), "**")

    def exp(self):  # d exp(a)/da = exp(a)
        a = self.data
        if a > _EXP_LIMIT:
            raise OverflowError(f"exp({a!r}) is too large for a float (the limit is exp(709.78)); scale the input down")
        e = math.exp(a)
        return Value(e, (self,), (e,), "exp")

    def log(self):  # d ln(a)/da = 1/a
        a = self.data
        if a <= 0.0:
            raise ValueError(f"log() is only defined for positive numbers, got {a!r}")
        return Value(math.log(a), (self,), (1.0 / a,), "log")

    def tanh(self):  # d tanh(a)/da = 1 - tanh(a)**2
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):  # d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))
        s = _sigmoid(self.data)
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    def softplus(self):  # softplus(a) = ln(1 + e**a); d softplus(a)/da = sigmoid(a)
        a = self.data
        # ln(1 + e**a) = max(a, 0) + ln(1 + e**-|a|): never overflows
        return Value(max(a, 0.0) + math.log1p(math.exp(-abs(a))), (self,), (_sigmoid(a),), "softplus")

    def relu(self):  # d relu(a)/da = 1 if a > 0 else 0
        a = self.data
        if a > 0.0:  # (1.0,) and (0.0,) are constants of the code: no new tuple for each node
            return Value(a, (self,), (1.0,), "relu")
        return Value(0.0, (self,), (0.0,), "relu")

    def abs(self):  # d|a|/da = sign(a), taken as 0 at a == 0 like PyTorch
        a = self.data
        return Value(abs(a), (self,), (float(a > 0.0) - float(a < 0.0),), "abs")

    def sqrt(self):  # d sqrt(a)/da = 1 / (2 sqrt(a))
        a = self.data
        if a < 0.0:
            raise ValueError(f"sqrt() is only defined for numbers >= 0, got {a!r}")
        if a == 0.0:
            raise ZeroDivisionError("sqrt() has no finite derivative at 0.0; add a small epsilon: (x + 1e-12).sqrt()")
        r = math.sqrt(a)
        return Value(r, (self,), (0.5 / r,), "sqrt")

    def sin(self):  # d sin(a)/da = cos(a)
        a = self.data
        return Value(math.sin(a), (self,), (math.cos(a),), "sin")

    def cos(self):  # d cos(a)/da = -sin(a)
        a = self.data
        return Value(math.cos(a), (self,), (-math.sin(a),), "cos")

    # ---- derived ops: one line each over the primitives, exact in floating point ------------

    def __neg__(self):  # -a = a * -1 (exact: negation only flips the sign bit)
        return self * -1.0

    def __pos__(self):  # +a is a itself
        return self

    def __abs__(self):  # abs(a) is a.abs()
        return self.abs()

    def __sub__(self, other):  # a - b = a + (-b) (exact, by IEEE 754)
        return self + (-as_value(other))

    def __radd__(self, other):  # other + self
        return as_value(other) + self

    def __rsub__(self, other):  # other - self
        return as_value(other) - self

    def __rmul__(self, other):  # other * self
        return as_value(other) * self

    def __rtruediv__(self, other):  # other / self
        return as_value(other) / self

    def __rpow__(self, other):  # other ** self
        return as_value(other) ** self

    # ---- backpropagation --------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Fill `.grad` of every Value this one was computed from, by the chain rule.

        The output's own gradient is seeded with `gradient` (1.0: d out/d out). As in PyTorch,
        leaves (Values made directly, such as parameters and inputs) accumulate: calling
        backward() twice adds both passes, so call `zero_grad()` between training steps.
        Intermediate nodes hold the gradient of the latest pass only, so a second backward()
        through the same graph gives the leaves exactly twice the first pass (PyTorch's 24 for
        `(x*x)*2` at x=3, not micrograd's 36). Frozen leaves (`requires_grad = False`) keep
        grad 0.0. The graph is sorted without recursion, so a chain of a million nodes works.
        """
        gradient = to_float(gradient)
        with no_gc():
            order = topological_order(self)
            frozen = []
            for node in order:
                if node._children:
                    node.grad = 0.0  # an intermediate node holds this pass's gradient only
                elif not node.requires_grad:
                    frozen.append(node)
            self.grad += gradient
            for node in reversed(order):  # chain rule: local derivative times upstream gradient
                if not node._children:
                    continue  # a leaf: nothing lies below it
                upstream = node.grad
                if upstream == 0.0 and math.isfinite(sum(node._local_grads)):
                    # 0 * (a finite local derivative) adds nothing: skip the children, e.g. all that lies
                    # behind a dead ReLU. (A sum is finite only if every term is; an inf or nan local
                    # derivative still gets multiplied, giving nan as in PyTorch.)
                    continue
                for child, local in zip(node._children, node._local_grads, strict=True):
                    child.grad += local * upstream
            for leaf in frozen:
                leaf.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on, each listed after all of its children; `root` is last.

    An iterative depth-first search: an explicit stack instead of recursion, so no depth limit.
    Children are visited in their recorded order, so the order is the same on every run.
    """
    order = []
    visited = {root}
    stack = [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                if not child._children or visited.issuperset(child._children):
                    # a leaf, or a node whose children were all seen before: they are placed already
                    # (the only nodes seen but not placed are on the stack: its ancestors, never its
                    # children), so place it now instead of walking down into it
                    order.append(child)
                else:
                    stack.append((child, iter(child._children)))
                    break
        else:  # all children are placed: now the node can be
            stack.pop()
            order.append(node)
    return order


def as_value(x: object) -> Value:
    """`x` itself if it is a Value, else a new leaf Value holding the number `x`."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (float, int)) or isinstance(x, Real):  # float and int first: the Real check is slow
        return Value(float(x))
    raise TypeError(f"cannot combine a Value with {type(x).__name__}: {x!r}; use a real number or a Value")


def linear(weights: Sequence[Value], inputs: Sequence[Value], bias: Value) -> Value:
    """A neuron's pre-activation w·x + b as ONE graph node with 2n+1 children.

    d(w·x+b)/dw_i = x_i, d(w·x+b)/dx_i = w_i, d(w·x+b)/db = 1. One node instead of 2n keeps
    big graphs small and fast; drawings still show every weight and input with its grad.
    `inputs` may hold plain numbers, which become leaf Values.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"w·x+b needs one input per weight: {len(weights)} weights, got {len(inputs)} inputs")
    w_data = [w.data for w in weights]
    try:  # the fast path: every input is already a Value
        x_data = [x.data for x in inputs]
        out = sum(map(mul, w_data, x_data), bias.data)
    except (AttributeError, TypeError):  # plain numbers among the inputs (or the bias): make them leaf Values
        inputs = [as_value(x) for x in inputs]
        bias = as_value(bias)
        x_data = [x.data for x in inputs]
        out = sum(map(mul, w_data, x_data), bias.data)
    return Value(out, (*weights, *inputs, bias), (*x_data, *w_data, 1.0), LINEAR_OP)


def logsumexp(values: Iterable[Value | float]) -> Value:
    """ln(sum(exp(v))), computed as m + ln(sum(exp(v - m))) with m = max(v) so exp() never overflows."""
    vs = [as_value(v) for v in values]
    if not vs:
        raise ValueError("logsumexp() needs at least one value, got an empty sequence")
    m = max(v.data for v in vs)  # a constant shift: the result does not depend on it, so neither do the grads
    total = vs[0] - m
    total = total.exp()
    for v in vs[1:]:
        total = total + (v - m).exp()
    return total.log() + m


def softmax(values: Iterable[Value | float]) -> list[Value]:
    """exp(v_i) / sum_j exp(v_j), with the max subtracted first so exp() never overflows."""
    vs = [as_value(v) for v in values]
    if not vs:
        raise ValueError("softmax() needs at least one value, got an empty sequence")
    m = max(v.data for v in vs)
    exps = [(v - m).exp() for v in vs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]


class no_gc:
    """Pause CPython's cyclic garbage collector inside a `with` block, then restore it.

    Our graphs contain no reference cycles, so reference counting frees them and the cyclic
    collector has nothing to find; without this pause it re-scans every live node many times
    while a big graph is built or walked. backward() pauses it by itself. Building the graph
    happens in the caller's code, so the library leaves the collector alone there; our own
    training loops (fit(), the demos) run each whole step inside `with no_gc():`, and so can
    yours: `python -m benchmarks` measures what it saves. Nested use is fine: only the
    outermost block restores.
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self):
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc_info):
        if self._was_enabled:
            gc.enable()
        return False


def _check_power(a: float, k: float) -> None:
    """Raise a specific error where a**k is not a real number."""
    if a == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"0.0 cannot be raised to a negative power ({k!r})")
    if a < 0.0 and not k.is_integer():
        raise ValueError(f"a negative number cannot be raised to a fractional power: {a!r} ** {k!r} is not real")


def _power(a: float, k: float) -> float:
    try:
        return a**k
    except OverflowError:
        raise OverflowError(f"{a!r} ** {k!r} is too large for a float; scale the input down") from None


def _power_slope(a: float, k: float) -> float:
    """d(a**k)/da = k * a**(k-1); 0 for k == 0 as in PyTorch."""
    if k == 0.0:
        return 0.0
    if a == 0.0 and k < 1.0:
        raise ZeroDivisionError(f"0.0 ** {k!r} has no finite derivative at 0.0; add a small epsilon to the base")
    return k * _power(a, k - 1.0)


def _sigmoid(a: float) -> float:
    # 1 / (1 + e**-a) for a >= 0, e**a / (1 + e**a) for a < 0: exp() only ever sees -|a|
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)
