"""Value: one number that remembers how it was made, and backward() to fill every gradient.

Every op creates a new Value whose `_children` are the Values it was made from and whose
`_local_grads` are the derivatives of the op with respect to each child, computed during the
forward pass. `backward()` then applies the chain rule once, in one loop, for every op. A plain
number in an op is a constant of the node, not a child: `x * 2` has one child, and the op name `*2`.
The graph holds no reference cycles, so reference counting frees it as soon as it is unused.

Numbers at the edges follow one rule, checked against PyTorch (tests/test_properties.py):
- finite inputs outside an op's domain raise an error naming the op: log(0.0), sqrt(-1.0), 1.0 / 0.0,
  0.0 ** -1, (-8.0) ** 0.5, and where the derivative is not finite (sqrt(0.0), 0.0 ** 0.5). A
  teaching choice: PyTorch returns nan or inf there, which hides the bug until much later;
- nan and inf inputs propagate exactly as in PyTorch, forward and backward (relu(nan) is nan,
  sin(inf) is nan, inf - inf is nan, log(inf) is inf with gradient 0);
- overflow follows IEEE 754, as in PyTorch: exp(1000.0) and 1e200 ** 2 are inf.
Other differences from PyTorch: intermediate nodes keep the latest pass's gradient (PyTorch keeps
none unless asked with retain_grad()), and a frozen leaf's grad is 0.0 after backward() (PyTorch:
None), so that drawings always have a number to show.
"""

import gc
import math
from collections.abc import Callable
from numbers import Real

__all__ = ["Value", "as_value", "make_node", "no_gc", "topological_order", "to_float"]


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
        """Value(2.0, label='a') is a leaf. An op of your own passes what its result is made of:
        Value(out, (a, b), (d out/d a, d out/d b), 'op'); or, as micrograd, Value(out, (a, b), 'op')
        and then out._backward = a function that applies the chain rule itself."""
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
        c = _number(other)
        return make_node(self.data + c, (self,), (1.0,), _named("+", c))

    def __sub__(self, other):  # d(a-b)/da = 1, d(a-b)/db = -1
        if isinstance(other, Value):
            return make_node(self.data - other.data, (self, other), (1.0, -1.0), "-")
        c = _number(other)
        return make_node(self.data - c, (self,), (1.0,), _named("-", c))

    def __mul__(self, other):  # d(a*b)/da = b, d(a*b)/db = a
        if isinstance(other, Value):
            return make_node(self.data * other.data, (self, other), (other.data, self.data), "*")
        c = _number(other)
        return make_node(self.data * c, (self,), (c,), _named("*", c))

    def __truediv__(self, other):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -(a/b)/b
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = _divide(a, b)
            return make_node(out, (self, other), (_Reciprocal(b), -_ieee_divide(out, b)), "/")
        c = _number(other)
        return make_node(_divide(self.data, c), (self,), (_Reciprocal(c),), _named("/", c))

    __radd__ = __add__  # c + a is a + c: IEEE 754 addition and multiplication are commutative
    __rmul__ = __mul__

    def __rsub__(self, other):  # d(c-a)/da = -1
        c = _number(other)
        return make_node(c - self.data, (self,), (-1.0,), _named("", c) + "-")

    def __rtruediv__(self, other):  # d(c/a)/da = -c/a**2 = -(c/a)/a
        c, a = _number(other), self.data
        out = _divide(c, a)
        return make_node(out, (self,), (-_ieee_divide(out, a),), _named("", c) + "/")

    def __neg__(self):  # d(-a)/da = -1
        return make_node(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, other):  # d(a**k)/da = k * a**(k-1); with a Value exponent b, d(a**b)/db = a**b * ln(a)
        a = self.data
        if isinstance(other, Value):
            b = other.data
            _check_power(a, b, "{} ** Value({})", value_exponent=True)
            out = _power(a, b)
            return make_node(out, (self, other), (_power_slope(a, b), _exponent_slope(a, b, out)), "**")
        k = _number(other, "the exponent")
        _check_power(a, k, "{} ** {}")
        return make_node(_power(a, k, True), (self,), (_power_slope(a, k, True),), _named("**", k))

    def __rpow__(self, other):  # d(c**b)/db = c**b * ln(c)
        c, b = _number(other), self.data
        _check_power(c, b, "{} ** Value({})", value_exponent=True, constant_base=True)
        out = _power(c, b)
        return make_node(out, (self,), (_exponent_slope(c, b, out),), _named("", c) + "**")

    def exp(self):  # d exp(a)/da = exp(a)
        e = _exp(self.data)
        return make_node(e, (self,), (e,), "exp")

    def log(self):  # d ln(a)/da = 1/a
        a = self.data
        if -math.inf < a <= 0.0:
            raise ValueError(f"log() is only defined for positive numbers, got {a!r}")
        return make_node(math.log(a) if a > 0.0 else math.nan, (self,), (_Reciprocal(a),), "log")

    def tanh(self):  # d tanh(a)/da = 1 - tanh(a)**2
        t = math.tanh(self.data)
        return make_node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):  # d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))
        a = self.data
        if a >= 0.0:  # 1 / (1 + e**-a), or e**a / (1 + e**a) for a < 0: exp() only ever sees -|a|
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return make_node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def softplus(self):  # softplus(a) = ln(1 + e**a); d softplus(a)/da = e**a / (1 + e**a) = sigmoid(a)
        a = self.data
        if a > 20.0:  # PyTorch's threshold: ln(1 + e**a) is a to 2e-9, and e**a could overflow
            return make_node(a, (self,), (1.0,), "softplus")
        z = math.exp(a)
        return make_node(math.log1p(z), (self,), (z / (z + 1.0),), "softplus")

    def relu(self):  # d relu(a)/da = 0 if a <= 0 else 1 (so 1 at nan: relu(nan) is nan, as in PyTorch)
        a = self.data
        if a <= 0.0:  # keeps -0.0 as PyTorch does; _ZERO_SLOPE gives 0 even times an inf or nan gradient
            return make_node(0.0 if a < 0.0 else a, (self,), (_ZERO_SLOPE,), "relu")
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
        return make_node(r, (self,), (_Reciprocal(2.0 * r),), "sqrt")

    def sin(self):  # d sin(a)/da = cos(a); sin(±inf) is nan
        a = self.data
        finite = math.isfinite(a)
        return make_node(math.sin(a) if finite else math.nan, (self,), (math.cos(a) if finite else math.nan,), "sin")

    def cos(self):  # d cos(a)/da = -sin(a); cos(±inf) is nan
        a = self.data
        finite = math.isfinite(a)
        return make_node(math.cos(a) if finite else math.nan, (self,), (-math.sin(a) if finite else math.nan,), "cos")

    def __pos__(self):  # +a is a itself
        return self

    def __abs__(self):  # abs(a) is a.abs()
        return self.abs()

    # ---- backpropagation --------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Fill `.grad` of every Value this one was computed from, by the chain rule.

        The output's own gradient is seeded with `gradient` (1.0: d out/d out). As in PyTorch,
        leaves (Values made directly, such as parameters and inputs) accumulate: calling
        backward() twice adds both passes, so call `zero_grad()` between training steps. A leaf
        whose grad is None (after zero_grad()) starts from 0.0; one that backward() does not reach
        keeps None: that is how optimizers know it has no gradient this step. Intermediate nodes
        hold the gradient of the latest pass only, so a second backward() through the same graph
        gives the leaves exactly twice the first pass (PyTorch's 24 for `(x*x)*2` at x=3, not
        micrograd's 36). Frozen leaves (`requires_grad = False`) end with grad 0.0. The graph is
        sorted without recursion, so a chain of a million nodes works. The collector is paused
        meanwhile; see `_hold_from_collector` for what happens to it afterwards.
        """
        gradient = to_float(gradient)
        with no_gc() as pause:
            _release_to_collector()
            order, frozen = _backward_order(self)
            self.grad = gradient if self.grad is None else self.grad + gradient
            for node in reversed(order):  # chain rule: local derivative times upstream gradient
                upstream = node.grad
                try:
                    if upstream == 0.0 and math.isfinite(sum(node._local_grads)):
                        # 0 * (a finite local derivative) adds nothing: skip the children, e.g. all that lies
                        # behind a dead ReLU. (A sum is finite only if every term is; an inf or nan local
                        # derivative still gets multiplied, giving nan as in PyTorch.)
                        continue
                    children = node._children
                    if len(children) == 2:  # most ops: the loop below, without the loop's own cost
                        a, b = children
                        da, db = node._local_grads
                        a.grad += da * upstream
                        b.grad += db * upstream
                    else:
                        for child, local in zip(children, node._local_grads):
                            child.grad += local * upstream
                except TypeError:  # _local_grads is None: an op made micrograd's way brings its own step
                    if node._local_grads is not None:
                        raise
                    node._backward()
            for leaf in frozen:
                leaf.grad = 0.0
            _hold_from_collector(len(order), pause.was_enabled)

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
        try:
            return self._closure
        except AttributeError:
            raise RuntimeError(
                f"the {self._op!r} node was made micrograd's way, Value(data, children, {self._op!r}), but has no "
                "_backward: attach one (out._backward = _backward) or pass the local derivatives instead, "
                f"Value(data, children, local_grads, {self._op!r})"
            ) from None

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

    Each op's grad is set to this pass's own float 0.0 object as it is placed (an intermediate
    node holds this pass's gradient only), and `grad is zero` then says "placed": no set of
    visited nodes is needed. (Nodes still on the stack are never met again: that would be a
    cycle.) Leaves whose grad is None (after zero_grad()) start from 0.0.
    """
    zero = float("0")  # a new object, unlike the literal 0.0: no grad from an earlier pass is it
    order, frozen = [], []
    if not root._children:
        return order, ([] if root.requires_grad else [root])
    nodes, iterators = [root], [iter(root._children)]
    while iterators:
        for child in iterators[-1]:
            if child.grad is not zero:
                grandchildren = child._children
                if grandchildren:  # an op met for the first time: walk down into it
                    nodes.append(child)
                    iterators.append(iter(grandchildren))
                    break
                if child.grad is None:
                    child.grad = 0.0
                if not child.requires_grad:
                    frozen.append(child)
        else:  # all its children are placed: now the node can be
            iterators.pop()
            node = nodes.pop()
            node.grad = zero
            order.append(node)
    return order, frozen


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on, each listed after all of its children; `root` is last.

    An iterative depth-first search: an explicit stack instead of recursion, so no depth limit.
    Children are visited in their recorded order, so the order is the same on every run.
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
    return x if isinstance(x, Value) else Value(_number(x))


class no_gc:
    """Pause CPython's cyclic garbage collector inside a `with` block, then restore it (nesting is fine).

    Our graphs have no reference cycles, so the collector has nothing to find in them, yet it re-scans
    every live node many times while a big graph is built. fit() and the demos run each training step
    inside `with no_gc():`, and so can yours: `python -m benchmarks` measures what it saves.
    """

    __slots__ = ("was_enabled",)

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc_info):
        if self.was_enabled:
            gc.enable()
        return False


# What backward() does for code that leaves the collector on. A full collection scans every live
# object; in a training loop the model and the last step's graph are alive while the next graph
# is built, and each full collection scanned them again (60% of the time of a GPT-style script).
# So after walking a graph of at least FREEZE_AFTER ops, backward() moves all live objects out of
# the collector's sight (gc.freeze()), and the next backward() puts them back (gc.unfreeze()) first.
# Reference counting still frees every graph at once; cyclic garbage made before a backward() is
# collected after the next one. Set FREEZE_AFTER = None if your program uses gc.freeze() itself.
FREEZE_AFTER = 1_000
_frozen = False


def _release_to_collector() -> None:
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False


def _hold_from_collector(ops: int, collector_on: bool) -> None:
    global _frozen
    if collector_on and FREEZE_AFTER is not None and ops >= FREEZE_AFTER:
        gc.freeze()
        _frozen = True


class _Reciprocal(float):
    """The local derivative 1/b of a/b (and of ln b, sqrt b), which multiplies by dividing: it reads
    as the float 1/b, but (1/b) * upstream is upstream / b, PyTorch's formula: one rounding, and no
    overflow when b is tiny (1/5e-324 is inf, but 1e-300/5e-324 is 2e23)."""

    __slots__ = ("divisor",)

    def __new__(cls, divisor: float):
        self = float.__new__(cls, _ieee_divide(1.0, divisor))
        self.divisor = divisor
        return self

    def __mul__(self, upstream):
        return _ieee_divide(upstream, self.divisor)

    __rmul__ = __mul__


class _ZeroSlope(float):
    """relu's local derivative 0 at a <= 0: times any upstream gradient, even inf or nan, it gives 0,
    as PyTorch's relu passes no gradient there (where 0.0 * inf would be nan)."""

    __slots__ = ()

    def __mul__(self, upstream):
        return 0.0

    __rmul__ = __mul__


_ZERO_SLOPE = _ZeroSlope(0.0)


# ---- helpers of the ops: plain numbers, and IEEE 754's answers where Python raises instead ------


def _number(x: object, what: str = "") -> float:
    """A plain number in an op as a float, or a TypeError saying what it is."""
    if type(x) is float:
        return x
    if isinstance(x, (int, Real)):
        return float(x)
    if what:
        raise TypeError(f"{what} must be a real number or a Value, got {type(x).__name__}: {x!r}")
    raise TypeError(f"cannot combine a Value with {type(x).__name__}: {x!r}; use a real number or a Value")


_NAMES: dict[tuple[str, float], str] = {}  # formatting a float is slow; most constants come back often


def _named(op: str, c: float) -> str:
    """The op's name with its constant, e.g. '*2' or '+1e-06'."""
    if (op, c) not in _NAMES:
        if len(_NAMES) >= 1024:  # constants that change at every call (or nan, never equal to itself)
            _NAMES.clear()
        _NAMES[(op, c)] = op + (repr(c)[:-2] if repr(c).endswith(".0") else repr(c))
    return _NAMES[(op, c)]


def _ieee_divide(a: float, b: float) -> float:
    """a / b as IEEE 754 gives it where Python raises ZeroDivisionError: ±inf, or nan for 0/0."""
    try:
        return a / b
    except ZeroDivisionError:
        return math.nan if a == 0.0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)


def _divide(a: float, b: float) -> float:
    if b == 0.0 and math.isfinite(a):
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}; the divisor is 0.0")
    return _ieee_divide(a, b)


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:  # past exp(709.78)
        return math.inf


def _check_power(a: float, k: float, form: str, value_exponent: bool = False, constant_base: bool = False) -> None:
    """Raise an error naming the power where a**k (or its derivative) is not a finite real number."""
    if not (math.isfinite(a) and math.isfinite(k)):
        return  # nan and inf propagate as in PyTorch
    text = form.format(repr(a), repr(k))
    if a == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"{text}: 0.0 cannot be raised to a negative power")
    if a < 0.0 and value_exponent:
        raise ValueError(
            f"{text}: a ** b with a Value exponent needs a base >= 0 to differentiate with respect to b; "
            "use a ** k with a plain number k instead"
        )
    if a < 0.0 and not k.is_integer():
        raise ValueError(f"{text}: a negative number cannot be raised to a fractional power (not real)")
    if a == 0.0 and 0.0 < k < 1.0 and not constant_base:
        raise ZeroDivisionError(f"{text} has no finite derivative at 0.0; add a small epsilon to the base")


def _power(a: float, k: float, shortcuts: bool = False) -> float:
    """a**k as PyTorch computes it. For a plain number k, PyTorch's shortcuts (a*a for 2, a*a*a for 3,
    sqrt for ±0.5, 1/a and 1/(a*a) for -1 and -2): the same up to rounding, but sqrt(-inf) is nan
    where C's pow gives inf. Else C's pow, with IEEE 754's ±inf where Python raises OverflowError."""
    if shortcuts and k in (2.0, 3.0, -1.0, -2.0, 0.5, -0.5):
        if k == 0.5 or k == -0.5:
            r = math.sqrt(a) if not a < 0.0 else math.nan
            return r if k > 0.0 else _ieee_divide(1.0, r)
        return a * a if k == 2.0 else a * a * a if k == 3.0 else _ieee_divide(1.0, a if k == -1.0 else a * a)
    try:
        return a**k
    except OverflowError:  # negative only for a negative base and an odd exponent
        return -math.inf if a < 0.0 and k % 2.0 == 1.0 else math.inf


def _power_slope(a: float, k: float, shortcuts: bool = False) -> float:
    """d(a**k)/da = k * a**(k-1); 0 for k == 0, as in PyTorch."""
    return 0.0 if k == 0.0 else k * _power(a, k - 1.0, shortcuts)


def _exponent_slope(a: float, k: float, out: float) -> float:
    """d(a**k)/dk = a**k * ln(a); 0 at a == 0 for k >= 0, as in PyTorch."""
    if a == 0.0 and k >= 0.0:
        return 0.0
    return out * (math.log(a) if a > 0.0 else math.nan)
