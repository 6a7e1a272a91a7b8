"""Exercises for lesson 2: write an op's local derivative, and backpropagate by hand.

Both are judged against finite differences (micrograd_plus.gradcheck), never against a stored answer.
"""

import math
from numbers import Real

from ..engine import Value, topological_order
from ..gradcheck import numerical_grad
from .checking import Exercise, Wrong, as_number, as_numbers, floats, library_backward_forbidden, require_callable
from .safety import short

__all__ = ["cube_op", "chain_rule"]

CUBE_POINTS = (2.0, -1.5, 0.5)


def reference_cube(a: Value) -> Value:
    """a**3 as ONE new node: the forward rule and its local derivative side by side."""
    return Value(a.data**3, (a,), (3.0 * a.data**2,), "cube")  # d(a**3)/da = 3 a**2


def _call_cube(cube, a: Value) -> object:
    """cube(a), turning Value's complaint about non-tuple children into the exercise's own advice."""
    try:
        return cube(a)
    except TypeError as error:
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None and tb.tb_frame.f_code is Value.__init__.__code__:  # raised by Value(...) itself
            raise Wrong(f"{_TUPLES} (Value said: {error})") from None
        raise


_TUPLES = "children and local derivatives are tuples: (a,) and (local,), with the comma"
_BUILD = "build Value(a.data**3, (a,), (local,), 'cube') with the local derivative you work out yourself"


def collect_cube(answer: object) -> dict:
    """Call cube(Value(x)) at each point; the node's shape is checked here, its numbers go to judge_cube."""
    cube = require_callable(answer, "your function cube(a)")
    points = []
    for x in CUBE_POINTS:
        a = Value(x)
        out = _call_cube(cube, a)
        if not isinstance(out, Value):
            raise Wrong(
                f"cube(Value({x})) returned {type(out).__name__} {short(out)}; return a new Value: "
                "Value(data, (a,), (local_derivative,), 'cube')"
            )
        data = as_number(out.data, f"cube(Value({x})).data")
        if not abs(data - x**3) <= 1e-9 * max(1.0, abs(x**3)):
            raise Wrong(f"the forward rule is off: cube(Value({x})).data is {data!r}, but {x}**3 = {x**3!r}")
        if type(out._children) is not tuple or type(out._local_grads) is not tuple:
            raise Wrong(
                f"{_TUPLES}; got children {short(out._children)} and local derivatives {short(out._local_grads)}"
            )
        if str(out._op).startswith("**"):  # a**3 or a**3.0: the library's power op, not a new one
            raise Wrong(
                f"your cube returns the library's own power op ({short(out._op)}), whose local derivative "
                f"engine.py already wrote; this exercise asks for a new op: {_BUILD}"
            )
        if out._children != (a,):
            if out._children and all(child is a for child in out._children):
                raise Wrong(
                    f"your node lists `a` {len(out._children)} times as its child; give it exactly one child, "
                    "(a,), and one local derivative, the whole d(a**3)/da"
                )
            nodes = topological_order(out)
            if a not in nodes:
                raise Wrong(
                    f"the output does not remember `a` (its children are {short(out._children)}), so backward() "
                    "cannot reach it: pass (a,) as the children"
                )
            ops = [node._op for node in nodes if node._children]
            raise Wrong(
                f"your cube computes the right number, but from {len(ops)} existing ops {short(ops)}; this "
                f"exercise asks for ONE new node: {_BUILD}"
            )
        if len(out._local_grads) != 1:
            raise Wrong(
                f"one child needs one local derivative, got {len(out._local_grads)}: {short(out._local_grads)}; "
                "give (local,) with the comma"
            )
        local = out._local_grads[0]
        if isinstance(local, Value):
            raise Wrong(
                f"the local derivative must be a plain float (3 * a.data**2), got a Value ({short(local)}): "
                "it is a number the chain rule multiplies, not a new part of the graph"
            )
        if isinstance(local, bool) or not isinstance(local, Real):
            raise Wrong(f"the local derivative must be a plain float, got {type(local).__name__}: {short(local)}")
        points.append([data, as_number(local, "the local derivative")])
    return {"points": points}


def judge_cube(evidence: dict) -> str:
    """At each point the forward value is a**3 and the local derivative agrees with finite differences."""
    points = floats(evidence["points"], len(CUBE_POINTS), 2)
    for x, (data, local) in zip(CUBE_POINTS, points, strict=True):
        if not abs(data - x**3) <= 1e-9 * max(1.0, abs(x**3)):
            raise Wrong(f"the forward rule is off: cube(Value({x})).data is {data!r}, but {x}**3 = {x**3!r}")
        numerical = numerical_grad(reference_cube, [x])[0]
        if not abs(local - numerical) <= 1e-5 + 1e-3 * abs(numerical):  # gradcheck's tolerances
            raise Wrong(
                f"at a = {x} your local derivative is {local!r}, but finite differences give {numerical:.6g} "
                f"(the slope of a**3 at {x}); the forward rule is right"
            )
    points = ", ".join(map(str, CUBE_POINTS))
    return f"a**3 and its local derivative agree with finite differences at a = {points}."


cube_op = Exercise(
    name="cube_op",
    title="Write a new op: a**3 with its local derivative",
    lesson="02",
    collect=collect_cube,
    judge=judge_cube,
    hints=(
        "Look at how engine.py writes tanh(): Value(forward number, (children,), (local derivatives,), 'name').",
        "The children are the one-element tuple (a,), and the local derivative is d(a**3)/da, a plain float.",
        "d(a**3)/da = 3 * a**2, so the local derivatives are (3 * a.data**2,).",
    ),
    reference=reference_cube,
)

CHAIN_POINTS = ((2.0, -1.0, 0.5), (0.3, 0.7, -0.2))


def chain_rule_loss(a: Value, b: Value, c: Value) -> Value:
    """L = tanh(a*b + c), the expression the chain-rule exercise differentiates by hand."""
    return (a * b + c).tanh()


def reference_chain_rule(a: float, b: float, c: float) -> tuple[float, float, float]:
    """dL/da, dL/db, dL/dc of L = tanh(a*b + c), by the chain rule, with plain floats."""
    n = a * b + c
    dL_dn = 1.0 - math.tanh(n) ** 2  # local derivative of tanh at n
    # d(a*b + c)/da = b, /db = a, /dc = 1; multiply each by the upstream dL/dn
    return dL_dn * b, dL_dn * a, dL_dn * 1.0


_BY_HAND = (
    "your grads() calls Value.backward(), which does the chain rule for you; this exercise is to do it by hand: "
    "with plain floats and math.tanh, multiply the local derivatives along the path from L to each input"
)


def collect_chain_rule(answer: object) -> dict:
    """The student's three gradients at each point, computed without the library's backward()."""
    grads = require_callable(answer, "your function grads(a, b, c)")
    given = []
    for a, b, c in CHAIN_POINTS:
        with library_backward_forbidden(_BY_HAND):
            given.append(as_numbers(grads(a, b, c), 3, f"grads({a}, {b}, {c})"))
    return {"grads": given}


def judge_chain_rule(evidence: dict) -> str:
    """Each of the three gradients agrees with finite differences at both points."""
    names = ("dL/da", "dL/db", "dL/dc")
    for (a, b, c), given in zip(CHAIN_POINTS, floats(evidence["grads"], len(CHAIN_POINTS), 3), strict=True):
        numerical = numerical_grad(chain_rule_loss, [a, b, c])
        wrong = [i for i in range(3) if not abs(given[i] - numerical[i]) <= 1e-5 + 1e-3 * abs(numerical[i])]
        if not wrong:
            continue
        where = f"at a = {a}, b = {b}, c = {c}"
        if all(abs(g - e) <= 1e-6 for g, e in zip(given, (b, a, 1.0))):
            raise Wrong(
                f"{where} you gave {tuple(given)}: the gradients of a*b + c, without the tanh. The chain rule "
                "multiplies each by the local derivative of tanh at n = a*b + c"
            )
        dL_dn = numerical[2]  # dL/dc = dL/dn, since d(a*b + c)/dc = 1
        if all(abs(g - e) <= 1e-6 for g, e in zip(given, (dL_dn * a, dL_dn * b, dL_dn))):
            raise Wrong(f"{where} dL/da and dL/db are swapped: d(a*b)/da is b, not a")
        details = "; ".join(
            f"{names[i]} is {given[i]:.6g} but finite differences give {numerical[i]:.6g}" for i in wrong
        )
        right = [names[i] for i in range(3) if i not in wrong]
        tail = f" ({' and '.join(right)} {'is' if len(right) == 1 else 'are'} right)" if right else ""
        raise Wrong(f"{where}: {details}{tail}")
    return "all three gradients agree with finite differences at both points."


chain_rule = Exercise(
    name="chain_rule",
    title="Backpropagate by hand through L = tanh(a*b + c)",
    lesson="02",
    collect=collect_chain_rule,
    judge=judge_chain_rule,
    hints=(
        "Name the middle value n = a*b + c. Find dL/dn first, then dn/da, dn/db, dn/dc.",
        "dL/dn is the local derivative of tanh at n: 1 - tanh(n)**2. The chain rule multiplies: dL/da = dL/dn * dn/da.",
        "dn/da = b, dn/db = a, dn/dc = 1. Return (dL_dn * b, dL_dn * a, dL_dn).",
    ),
    reference=reference_chain_rule,
)
