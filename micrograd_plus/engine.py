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

CPython's cyclic garbage collector finds nothing in these graphs, yet scans each new node (README, Speed).
`no_gc()` pauses it around code you run; backward() pauses it, then sets its young threshold to YOUNG_PER_OP
new objects per op of the graph (700 at least): a training loop, which frees each graph as it builds the next,
builds them without a collection, and your cyclic garbage waits that long. YOUNG_PER_OP = None: no change.
"""

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import floats
from .floats import ZERO_SLOPE, Slope, check_power, divide, named, power, reciprocal, to_float

__all__ = ["Value", "as_value", "make_node", "no_gc", "topological_order", "to_float", "LINEAR_OP"]

LINEAR_OP = "w·x+b"  # the op name of functional.linear: drawings find neurons by it
OPERAND = "the other operand must be a real number or a Value"
YOUNG_PER_OP = 4  # objects a graph makes per op, about: the collector's young threshold after backward()
_PYTHON_YOUNG = gc.get_threshold()[0]  # 700 unless changed
_new = object.__new__  # make_node's way to a Value without calling __init__


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector inside a `with` block, then restore it (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Value:
    """A scalar in a computation graph: its data, its gradient, and the op that made it."""

    __slots__ = ("data", "grad", "label", "requires_grad", "_children", "_local_grads", "_op", "_closure", "_visit")

    def __init__(self, data: float, _children: tuple = (), _local_grads: tuple = (), _op: str = "", label: str = ""):
        """Value(2.0, label='a'); an op of your own: Value(out, (a, b), (d out/d a, d out/d b), 'op'),
        or micrograd's Value(out, (a, b), 'op') followed by out._backward = a chain-rule function."""
        self.data = to_float(data)
        self.grad = 0.0
        self.requires_grad = True  # False for a frozen parameter: optimizers skip it
        self._visit = None  # the mark of the last backward() that walked this node
        if type(_local_grads) is str:  # micrograd's signature: Value(data, _children, _op, label)
            _local_grads, _op, label = (), _local_grads, _op or label
        if not (type(_children) is type(_local_grads) is tuple and type(_op) is type(label) is str):
            raise TypeError(
                f"Value() takes (data, children tuple, local derivatives tuple, op str, label str), got {_children!r}, "
                f"{_local_grads!r}, {_op!r}, {label!r}; to name a Value, pass the label by name: Value(2.0, label='a')"
            )
        self._children, self._op, self.label = _children, _op, label
        self._local_grads = None if _children and not _local_grads else _local_grads  # None: micrograd's way

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- primitive ops: the forward rule, and the local derivative beside it; a plain number c is a constant ----

    def __add__(self, other):  # d(a+b)/da = 1, d(a+b)/db = 1
        if isinstance(other, Value):
            return make_node(self.data + other.data, (self, other), (1.0, 1.0), "+")
        c = to_float(other, OPERAND)
        return make_node(self.data + c, (self,), (1.0,), named("+", c))

    def __sub__(self, other):  # d(a-b)/da = 1, d(a-b)/db = -1
        if isinstance(other, Value):
            return make_node(self.data - other.data, (self, other), (1.0, -1.0), "-")
        c = to_float(other, OPERAND)
        return make_node(self.data - c, (self,), (1.0,), named("-", c))

    def __mul__(self, other):  # d(a*b)/da = b, d(a*b)/db = a
        if isinstance(other, Value):
            return make_node(self.data * other.data, (self, other), (other.data, self.data), "*")
        c = to_float(other, OPERAND)
        return make_node(self.data * c, (self,), (c,), named("*", c))

    def __truediv__(self, other):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -(a/b)/b
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = divide(a, b)
            return make_node(out, (self, other), (reciprocal(b), -divide(out, b, ieee=True)), "/")
        c = to_float(other, OPERAND)
        return make_node(divide(self.data, c), (self,), (reciprocal(c),), named("/", c))

    __radd__ = __add__  # c + a is a + c: IEEE 754 addition and multiplication are commutative
    __rmul__ = __mul__

    def __rsub__(self, other):  # d(c-a)/da = -1
        c = to_float(other, OPERAND)
        return make_node(c - self.data, (self,), (-1.0,), named("", c) + "-")

    def __rtruediv__(self, other):  # d(c/a)/da = -c/a**2 = -(c/a)/a
        c, a = to_float(other, OPERAND), self.data
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
            return make_node(out, (self, other), (floats.power_slope(a, b), floats.exponent_slope(a, b, out)), "**")
        k = to_float(other, "the exponent must be a real number or a Value")
        check_power(a, k, "{} ** {}", slope_in_base=True)
        return make_node(power(a, k, True), (self,), (floats.power_slope(a, k, True),), named("**", k))

    def __rpow__(self, other):  # d(c**b)/db = c**b * ln(c)
        c, b = to_float(other, OPERAND), self.data
        check_power(c, b, "{} ** Value({})", slope_in_exponent=True)
        out = power(c, b)
        return make_node(out, (self,), (floats.exponent_slope(c, b, out),), named("", c) + "**")

    def exp(self):  # d exp(a)/da = exp(a)
        e = floats.exp(self.data)
        return make_node(e, (self,), (e,), "exp")

    def log(self):  # d ln(a)/da = 1/a
        a = self.data
        if -math.inf < a <= 0.0:
            raise ValueError(f"log() is only defined for positive numbers, got {a!r}")
        return make_node(math.log(a) if a > 0.0 else math.nan, (self,), (reciprocal(a),), "log")

    def tanh(self):  # d tanh(a)/da = 1 - tanh(a)**2
        t = math.tanh(self.data)
        return make_node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):  # d sigmoid(a)/da = s * (1 - s), with s = sigmoid(a); times grad, PyTorch's grad * (1 - s) * s
        s = 1.0 / (1.0 + floats.exp(-self.data))  # PyTorch's formula, to the last bit (e**-a may be inf: s is 0)
        return make_node(s, (self,), (Slope(s * (1.0 - s), lambda grad: grad * (1.0 - s) * s),), "sigmoid")

    def softplus(self):  # softplus(a) = ln(1 + z), z = e**a; d softplus(a)/da = z / (z + 1) = sigmoid(a)
        a = self.data
        if a > 20.0:  # PyTorch's threshold: ln(1 + e**a) is a to 2e-9, and e**a could overflow
            return make_node(a, (self,), (1.0,), "softplus")
        z = math.exp(a)  # the slope times grad is PyTorch's grad * z / (z + 1)
        return make_node(math.log1p(z), (self,), (Slope(z / (z + 1.0), lambda grad: grad * z / (z + 1.0)),), "softplus")

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
        return make_node(r, (self,), (reciprocal(2.0 * r),), "sqrt")

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
        """Fill `.grad` of every Value this one was computed from, by the chain rule. The output's own gradient is
        seeded with `gradient` (1.0: d out/d out). As in PyTorch, leaves (Values made directly: parameters, inputs)
        accumulate, so call `zero_grad()` between training steps; a leaf whose grad is None (after zero_grad()) starts
        from 0.0, and one that backward() does not reach keeps None: no gradient this step. Intermediate nodes hold the
        latest pass only, so a second backward() gives the leaves exactly twice the first pass (PyTorch's 24 for
        `(x*x)*2` at x=3, not micrograd's 36). Frozen leaves (`requires_grad = False`) end with grad 0.0 (PyTorch: None;
        a drawing needs a number). No recursion: a chain of a million nodes works."""
        gradient = to_float(gradient)
        collector_on = gc.isenabled()
        with no_gc():
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
        if collector_on and YOUNG_PER_OP is not None:
            gc.set_threshold(max(_PYTHON_YOUNG, YOUNG_PER_OP * len(order)), *gc.get_threshold()[1:])

    # ---- micrograd's names, for code written for micrograd and the Zero-to-Hero lecture ------

    _prev = property(lambda self: self._children, doc="micrograd's name for the children (a tuple here, a set there)")

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's one-node step of the chain rule, `o._backward()`; an op written micrograd's way sets its own."""
        if self._local_grads is None and not hasattr(self, "_closure"):
            raise RuntimeError(f"the {self._op!r} node has no local derivatives: attach out._backward = a function")
        return self._chain_rule_step if self._local_grads is not None else self._closure

    @_backward.setter
    def _backward(self, function: Callable[[], None]) -> None:
        if not callable(function):
            raise TypeError(f"_backward must be a function of no arguments, got {type(function).__name__}")
        self._closure = function
        self._local_grads = None  # from now on the function applies this node's step of the chain rule

    def _chain_rule_step(self) -> None:
        for child, local in zip(self._children, self._local_grads):
            child.grad = (0.0 if child.grad is None else child.grad) + local * self.grad


def make_node(data: float, children: tuple, local_grads: tuple, op: str) -> Value:
    """The Value every op returns, made without the constructor's checks: the op's own code makes them true."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.requires_grad = True
    out._children = children
    out._local_grads = local_grads
    out._op = op
    out._visit = None
    return out


def _backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """The ops of `root`'s graph in topological_order(), each op's grad reset to 0.0 for backward(); and its frozen
    leaves. Each node met is given this walk's own mark, so that it is met once, leaves too."""
    mark = object()
    order, frozen = [], []
    if not root._children:
        return order, ([] if root.requires_grad else [root])
    nodes, iterators = [root], [iter(root._children)]
    while iterators:
        for child in iterators[-1]:
            if child._visit is mark:
                continue
            child._visit = mark
            if child._children:  # an op met for the first time: walk down into it
                nodes.append(child)
                iterators.append(iter(child._children))
                break
            if child.grad is None:  # a leaf, after zero_grad()
                child.grad = 0.0
            if not child.requires_grad:
                frozen.append(child)
        else:  # all its children are placed: now the node can be
            iterators.pop()
            node = nodes.pop()
            node.grad = 0.0
            order.append(node)
    return order, frozen


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on, each listed after all of its children; `root` is last. A depth-first
    search with an explicit stack (no recursion, no depth limit), children in their order."""
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
    return x if isinstance(x, Value) else Value(to_float(x, OPERAND))
