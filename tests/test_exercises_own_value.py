"""Build your own Value: a correct class passes on every probe; each classic mistake is named."""

import math

import pytest

from micrograd_plus import Value as LibraryValue
from micrograd_plus.exercises import FAILED, NOT_ATTEMPTED, PASSED, own_value
from micrograd_plus.exercises.own_value import build, describe, expressions


class Correct:
    """A student's Value; each op returns type(self), so a subclass can change one step."""

    def __init__(self, data, children=(), local_grads=()):
        self.data, self.grad, self._children, self._local_grads = data, 0.0, children, local_grads

    def __add__(self, other):
        return type(self)(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (1.0 - t * t,))

    def order(self, once=True):
        order, visited = [], set()

        def visit(node):
            if once and node in visited:
                return
            visited.add(node)
            for child in node._children:
                visit(child)
            order.append(node)

        visit(self)
        return order

    def propagate(self, node, child, local):
        child.grad += local * node.grad

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for child, local in zip(node._children, node._local_grads):
                self.propagate(node, child, local)


class ExpOnly(Correct):
    tanh = None

    def exp(self):
        e = math.exp(self.data)
        return type(self)(e, (self,), (e,))


class Assigns(Correct):
    def propagate(self, node, child, local):
        child.grad = local * node.grad


class NoChainRule(Correct):
    def propagate(self, node, child, local):
        child.grad += local


class ForwardOrder(Correct):
    def backward(self):
        self.grad = 1.0
        for node in self.order():
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


class VisitsTwice(Correct):
    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order(once=False)):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


class Recursive(Correct):
    def backward(self):
        self.grad = 1.0

        def push(node):  # passes each node's gradient down at once, on every path, without sorting
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad
                push(child)

        push(self)


class SwappedMul(Correct):
    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), (self.data, other.data))


class WrongAdd(Correct):
    def __add__(self, other):
        return type(self)(self.data - other.data, (self, other), (1.0, 1.0))


class Unseeded(Correct):
    def backward(self):
        for node in reversed(self.order()):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


class WrongTanhSlope(Correct):
    def tanh(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (1.0 - t,))


class StartsWithGrad(Correct):
    def __init__(self, data, children=(), local_grads=()):
        super().__init__(data, children, local_grads)
        self.grad = 1.0


class Stub(Correct):
    def backward(self):
        raise NotImplementedError()


class UsesLibrary(Correct):
    def backward(self):
        LibraryValue(1.0).backward()


def test_a_correct_value_passes_with_tanh_or_with_exp():
    assert own_value.check(Correct).status == PASSED
    assert own_value.check(ExpOnly).status == PASSED


MISTAKES = [  # class, words the feedback must contain
    (Assigns, "for a * a + a at a = 3.0 your leaf gradients are [3] but they are [7]. a Value used more than once"),
    (NoChainRule, "(a * b).tanh() at a = 0.5, b = -0.8 your leaf gradients are [-0.8, 0.5]"),
    (NoChainRule, "TIMES node.grad (the chain rule)"),
    (ForwardOrder, "walk the topological order in reverse, output first"),
    (
        VisitsTwice,
        "for b * b with b = a * c, at a = 1.5, c = 2.0 your leaf gradients are [24, 18] but they are [12, 9]",
    ),
    (VisitsTwice, "a node is visited twice"),
    (Recursive, "your leaf gradients are [18, 13.5] but they are [12, 9]. your backward() passes a node's gradient"),
    (SwappedMul, "for Value(2.0) * Value(-3.0) your leaf gradients are [2, -3] but they are [-3, 2]"),
    (SwappedMul, "the local derivative of * is wrong; d(a*b)/da = b and d(a*b)/db = a"),
    (WrongTanhSlope, "the local derivative of tanh is wrong; d tanh(a)/da = 1 - tanh(a)**2"),
    (WrongAdd, "the forward pass is off: for Value(2.0) + Value(-3.0) your + gives 5, but it is -1"),
    (Unseeded, "the output's grad is 0; backward() starts with self.grad = 1.0"),
    (StartsWithGrad, "Value(2.0) has data 2.0 and grad 1.0; a new Value"),
    (UsesLibrary, "uses micrograd_plus's Value.backward()"),
    (LibraryValue, "your class is (or extends) micrograd_plus's Value"),
    (type("NoUnary", (), {}), "your Value needs a tanh() method (or exp())"),
    (lambda x: x, "check() expects your class (Value, without parentheses)"),
]


@pytest.mark.parametrize("answer, words", MISTAKES, ids=[w[:40] for _, w in MISTAKES])
def test_own_value_names_the_mistake(answer, words):
    result = own_value.check(answer)
    assert result.status == FAILED, result
    assert words in result.message


def test_a_stubbed_method_is_not_attempted():
    assert own_value.check(Stub).status == NOT_ATTEMPTED


def test_the_random_expressions_share_parts_and_match_the_library_by_construction():
    probes = expressions("tanh")
    assert len(probes) == 18
    shared = 0
    for _, steps in probes:
        uses = [i for step in steps if step[0] != "leaf" for i in step[1:]]
        shared += len(uses) != len(set(uses))
        ours = build(Correct, steps)
        ours[-1].backward()
        library = build(LibraryValue, steps)
        library[-1].backward()
        assert ours[-1].data == pytest.approx(library[-1].data, rel=1e-12)
    assert shared >= 6  # most graphs reuse a node: where += and the visiting order matter
    assert describe([("leaf", 1.0), ("leaf", 2.0), ("*", 0, 1), ("tanh", 2)]) == "tanh((a * b))"
