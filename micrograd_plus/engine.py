"""Value: one number that remembers how it was made, and backward() to fill every gradient.

Every op creates a new Value whose `_children` are the Values it was made from and whose
`_local_grads` are the derivatives of the op with respect to each child, computed during the
forward pass. `backward()` then applies the chain rule once, in one loop, for every op. A plain
number in an op is a constant of the node, not a child: `x * 2` has one child and the op name `*2`.
The graph holds no reference cycles, so reference counting frees it as soon as it is unused.

Numbers at the edges follow one rule, checked against PyTorch (tests/test_properties.py; floats.py):
- finite inputs outside an op's domain raise an error naming the op: log(0.0), sqrt(-1.0), 1.0 / 0.0,
  and where the derivative is not finite (sqrt(0.0)). A teaching choice: PyTorch gives nan or inf;
- nan and inf inputs propagate exactly as in PyTorch, forward and backward (relu(nan) is nan);
- overflow follows IEEE 754, as in PyTorch: exp(1000.0) and 1e200 ** 2 are inf.
"""

import math
from collections.abc import Callable
from numbers import Real

from . import collector, floats
from .collector import no_gc
from .floats import (
    ZERO_SLOPE,
    Reciprocal,
    check_power,
    divide,
    exponent_slope,
    named,
    number,
    power,
    power_slope,
)

__all__ = ["Value", "as_value", "make_node", "no_gc", "topological_order", "to_float", "LINEAR_OP"]

LINEAR_OP = "w·x+b"  # the op name of functional.linear: drawings find neurons by it


def to_float(data: object) -> float:
    """Return `data` as a float, or raise TypeError naming what was received."""
    if isinstance(data, Real):  # int, float, bool, Fraction, numpy floats and ints
        return float(data)
    raise TypeError(
        f"Value() takes a real number, got {type(data).__name__}: {data!r}. Pass an int or a float, e.g. Value(2.0)."
    )


class Value:
    """A scalar in a computation graph: its data, its gradient, and the op that made it."""

    __slots__ = ("data", "grad", "label", "requires_grad", "_children", "_local_grads", "_op", "_closure")

    def __init__(self, data: float, _children: tuple = (), _local_grads: tuple = (), _op: str = "", label: str = ""):
        """Value(2.0, label='a'); an op of your own: Value(out, (a, b), (d out/d a, d out/d b), 'op'),
        or micrograd's Value(out, (a, b), 'op') followed by out._backward = a chain-rule function."""
        self.data = data if type(data) is float else to_float(data)
        self.grad = 0.0
        self.requires_grad = True  # False for a frozen parameter: optimizers skip it
        if type(_local_grads) is str:  # micrograd's signature: Value(data, _children, _op, label)
            _local_grads, _op, label = (), _local_grads, _op or label
        if type(_children) is not tuple:  # Value(2.0, "a") would make "a" the children, not the label
            raise TypeError(f"pass the label by name, e.g. Value(2.0, label='a'); got {_children!r} as the children")
        if type(_local_grads) is not tuple:
            raise TypeError(f"the local derivatives must be a tuple, one per child, e.g. (2.0,); got {_local_grads!r}")
        if type(_op) is not str or type(label) is not str:
            raise TypeError(f"a Value's op and label must be str, got {_op!r} and {label!r}")
        self._children, self._op, self.label = _children, _op, label
        # children without local derivatives: made micrograd's way, its _backward will apply the chain rule
        self._local_grads = None if _children and not _local_grads else _local_grads

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- primitive ops: the forward rule, and the local derivative beside it ----------------
    # `other` may be a plain number c: a constant of the node, not a child

    def __add__(self, other):  # d(a+b)/da = 1, d(a+b)/db = 1
        if isinstance(other, Value):
            return make_node(self.data + other.data, (self, other), (1.0, 1.0), "+")
        c = number(other)
        return make_node(self.data + c, (self,), (1.0,), named("+", c))

    def __sub__(self, other):  # d(a-b)/da = 1, d(a-b)/db = -1
        if isinstance(other, Value):
            return make_node(self.data - other.data, (self, other), (1.0, -1.0), "-")
        c = number(other)
        return make_node(self.data - c, (self,), (1.0,), named("-", c))

    def __mul__(self, other):  # d(a*b)/da = b, d(a*b)/db = a
        if isinstance(other, Value):
            return make_node(self.data * other.data, (self, other), (other.data, self.data), "*")
        c = number(other)
        return make_node(self.data * c, (self,), (c,), named("*", c))

    def __truediv__(self, other):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -(a/b)/b
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = divide(a, b)
            return make_node(out, (self, other), (Reciprocal(b), -divide(out, b, ieee=True)), "/")
        c = number(other)
        return make_node(divide(self.data, c), (self,), (Reciprocal(c),), named("/", c))

    __radd__ = __add__  # c + a is a + c: IEEE 754 addition and multiplication are commutative
    __rmul__ = __mul__

    def __rsub__(self, other):  # d(c-a)/da = -1
        c = number(other)
        return make_node(c - self.data, (self,), (-1.0,), named("", c) + "-")

    def __rtruediv__(self, other):  # d(c/a)/da = -c/a**2 = -(c/a)/a
        c, a = number(other), self.data
        out = divide(c, a)
        return make_node(out, (self,), (-divide(out, a, ieee=True),), named("", c) + "/")

    def __neg__(self):  # d(-a)/da = -1
        return make_node(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, other):  # d(a**k)/da = k * a**(k-1); with a Value exponent b, d(a**b)/db = a**b * ln(a)
        a = self.data
        if isinstance(other, Value):
            b = other.data
            check_power(a, b, "{} ** Value({})", slope_in_base=True, slope_in_exponent=True)
            out = power(a, b)
            return make_node(out, (self, other), (power_slope(a, b), exponent_slope(a, b, out)), "**")
        k = number(other, "the exponent")
        check_power(a, k, "{} ** {}", slope_in_base=True)
        return make_node(power(a, k, True), (self,), (power_slope(a, k, True),), named("**", k))

    def __rpow__(self, other):  # d(c**b)/db = c**b * ln(c)
        c, b = number(other), self.data
        check_power(c, b, "{} ** Value({})", slope_in_exponent=True)
        out = power(c, b)
        return make_node(out, (self,), (exponent_slope(c, b, out),), named("", c) + "**")

    def exp(self):  # d exp(a)/da = exp(a)
        e = floats.exp(self.data)
        return make_node(e, (self,), (e,), "exp")

    def log(self):  # d ln(a)/da = 1/a
        a = self.data
        if -math.inf < a <= 0.0:
            raise ValueError(f"log() is only defined for positive numbers, got {a!r}")
        return make_node(math.log(a) if a > 0.0 else math.nan, (self,), (Reciprocal(a),), "log")

    def tanh(self):  # d tanh(a)/da = 1 - tanh(a)**2
        t = math.tanh(self.data)
        return make_node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):  # d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))
        s = 1.0 / (1.0 + floats.exp(-self.data))  # PyTorch's formula, to the last bit (e**-a may be inf: s is 0)
        return make_node(s, (self,), (floats.SigmoidSlope(s * (1.0 - s), s),), "sigmoid")

    def softplus(self):  # softplus(a) = ln(1 + e**a); d softplus(a)/da = e**a / (1 + e**a) = sigmoid(a)
        a = self.data
        if a > 20.0:  # PyTorch's threshold: ln(1 + e**a) is a to 2e-9, and e**a could overflow
            return make_node(a, (self,), (1.0,), "softplus")
        z = math.exp(a)
        return make_node(math.log1p(z), (self,), (floats.SoftplusSlope(z / (z + 1.0), z),), "softplus")

    def relu(self):  # d relu(a)/da = 0 if a <= 0 else 1 (so 1 at nan: relu(nan) is nan, as in PyTorch)
        a = self.data
        if a <= 0.0:  # keeps -0.0 as PyTorch does; ZERO_SLOPE gives 0 even times an inf or nan gradient
            return make_node(0.0 if a < 0.0 else a, (self,), (ZERO_SLOPE,), "relu")
        return make_node(a, (self,), (1.0,), "relu")

    def abs(self):  # d|a|/da = sign(a), taken as 0 at a == 0 (and at nan) like PyTorch
        a = self.data
        return make_node(abs(a), (self,), (float(a > 0.0) - float(a < 0.0),), "abs")

    def sqrt(self):  # d sqrt(a)/da = 1 / (2 sqrt(a))
        a = self.data
        if -math.inf < a < 0.0:
            raise ValueError(f"sqrt() is only defined for numbers >= 0, got {a!r}")
        if a == 0.0:
            raise ZeroDivisionError("sqrt() has no finite derivative at 0.0; add a small epsilon: (x + 1e-12).sqrt()")
        r = math.sqrt(a) if a > 0.0 else math.nan
        return make_node(r, (self,), (Reciprocal(2.0 * r),), "sqrt")

    def sin(self):  # d sin(a)/da = cos(a); sin(±inf) is nan
        a = self.data if math.isfinite(self.data) else math.nan  # math.sin raises for inf
        return make_node(math.sin(a), (self,), (math.cos(a),), "sin")

    def cos(self):  # d cos(a)/da = -sin(a); cos(±inf) is nan
        a = self.data if math.isfinite(self.data) else math.nan
        return make_node(math.cos(a), (self,), (-math.sin(a),), "cos")

    def __pos__(self):  # +a is a itself
        return self

    __abs__ = abs  # abs(a) is a.abs()

    # ---- backpropagation --------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Fill `.grad` of every Value this one was computed from, by the chain rule.

        The output's own gradient is seeded with `gradient` (1.0: d out/d out). As in PyTorch, leaves
        (Values made directly: parameters, inputs) accumulate, so call `zero_grad()` between training
        steps; a leaf whose grad is None (after zero_grad()) starts from 0.0, and one that backward()
        does not reach keeps None: no gradient this step. Intermediate nodes hold the latest pass only,
        so a second backward() gives the leaves exactly twice the first pass (PyTorch's 24 for `(x*x)*2`
        at x=3, not micrograd's 36). Frozen leaves (`requires_grad = False`) end with grad 0.0 (PyTorch:
        None; a drawing needs a number). No recursion: a chain of a million nodes works. See collector.py
        for what it does about the garbage collector.
        """
        gradient = to_float(gradient)
        with no_gc() as pause:
            collector.thaw()
            order, frozen = _backward_order(self)
            self.grad = gradient if self.grad is None else self.grad + gradient
            for node in reversed(order):  # chain rule: local derivative times upstream gradient
                upstream, local_grads = node.grad, node._local_grads
                if local_grads is None:  # an op made micrograd's way: its _backward applies this step
                    node._backward()
                elif upstream == 0.0 and math.isfinite(sum(local_grads)):
                    continue  # 0 * finite locals adds nothing: skip, e.g. behind a dead ReLU (0 * inf is nan)
                elif len(node._children) == 2:  # most ops: the loop below, without the loop's own cost
                    a, b = node._children
                    da, db = local_grads
                    a.grad += da * upstream
                    b.grad += db * upstream
                elif len(node._children) == 1:
                    node._children[0].grad += local_grads[0] * upstream
                else:
                    for child, local in zip(node._children, local_grads):
                        child.grad += local * upstream
            for leaf in frozen:
                leaf.grad = 0.0
            collector.freeze_after_backward(len(order), pause.was_enabled)

    # ---- micrograd's names, for code written for micrograd and the Zero-to-Hero lecture ------

    @property
    def _prev(self) -> tuple["Value", ...]:
        """micrograd's name for the children (an ordered tuple here; a set in micrograd)."""
        return self._children

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's one-node step of the chain rule: `o._backward()` adds local * o.grad to the
        grad of each child of o. An op written micrograd's way sets its own: out._backward = f."""
        if self._local_grads is not None:
            return self._chain_rule_step
        if not hasattr(self, "_closure"):
            raise RuntimeError(f"the {self._op!r} node has no local derivatives: attach out._backward = a function")
        return self._closure

    @_backward.setter
    def _backward(self, function: Callable[[], None]) -> None:
        if not callable(function):
            raise TypeError(f"_backward must be a function of no arguments, got {type(function).__name__}")
        self._closure = function
        self._local_grads = None  # from now on the function applies this node's step of the chain rule

    def _chain_rule_step(self) -> None:
        for child, local in zip(self._children, self._local_grads):
            child.grad = (0.0 if child.grad is None else child.grad) + local * self.grad


_new = object.__new__


def make_node(data: float, children: tuple, local_grads: tuple, op: str) -> Value:
    """The Value an op returns, made without the constructor's checks (the op's code makes them true:
    a float, tuples of children and of their local derivatives, the op's name). Used by every op."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.requires_grad = True
    out._children = children
    out._local_grads = local_grads
    out._op = op
    return out


def _backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """The ops of `root`'s graph in topological_order(), for backward(); and its frozen leaves.

    Placing an op sets its grad to this pass's own float 0.0 object, so `grad is zero` says "placed"
    without a set of visited nodes. (Nodes on the stack are never met again: that would be a cycle.)
    """
    zero = float("0")  # a new object, unlike the literal 0.0: no grad from an earlier pass is it
    order, frozen = [], []
    if not root._children:
        return order, ([] if root.requires_grad else [root])
    nodes, iterators = [root], [iter(root._children)]
    while iterators:
        for child in iterators[-1]:
            grandchildren = child._children
            if not grandchildren:  # a leaf
                if child.grad is None:  # after zero_grad()
                    child.grad = 0.0
                if not child.requires_grad:
                    frozen.append(child)
            elif child.grad is not zero:  # an op met for the first time: walk down into it
                nodes.append(child)
                iterators.append(iter(grandchildren))
                break
        else:  # all its children are placed: now the node can be
            iterators.pop()
            node = nodes.pop()
            node.grad = zero
            order.append(node)
    return order, frozen


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on, each listed after all of its children; `root` is last.

    A depth-first search with an explicit stack (no recursion, no depth limit), children in their order.
    """
    order, visited = [], {root}
    stack = [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child._children)))
                break
        else:  # all its children are placed: now the node can be
            stack.pop()
            order.append(node)
    return order


def as_value(x: object) -> Value:
    """`x` itself if it is a Value, else a new leaf Value holding the number `x`."""
    return x if isinstance(x, Value) else Value(number(x))
