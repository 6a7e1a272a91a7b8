"""Exercises: each check() passes its reference solution, reports a stub as "not attempted", and names the mistake
in known-wrong answers; student copies replace exactly the marked solutions."""

import inspect
import json
import math
import sys

import pytest

from micrograd_plus import SGD, Value, files, mse_loss
from micrograd_plus.__main__ import main
from micrograd_plus.exercises import (
    ERROR,
    EXERCISES,
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    TIMED_OUT,
    Result,
    backward_bug,
    buggy_backward,
    chain_rule,
    cube_op,
    descend,
    get_exercise,
    learning_rate,
    own_value,
    sgd_momentum,
    show_solutions,
    toy_model,
    toy_regression,
    train_with_misplaced_zero_grad,
    train_without_zero_grad,
    training_loop,
    zero_grad_bug,
)
from micrograd_plus.exercises.descent import VALLEY_STEEPNESS
from micrograd_plus.exercises.student_copies import strip_solutions, student_notebook, write_student_copies
from micrograd_plus.optim import Optimizer


def stub(*args, **kwargs):
    raise NotImplementedError()


def answer_like(exercise, function):
    """`function` as an answer: itself, or for own_value a class whose every method is it."""
    if exercise is own_value:
        return type("Value", (), {name: function for name in ("__init__", "__add__", "__mul__", "tanh", "backward")})
    return function


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_reference_solution_passes(exercise):
    result = exercise.check(exercise.reference)
    assert result.status == PASSED, result.message
    assert result.passed and bool(result)


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_stub_is_reported_as_not_attempted(exercise):
    result = exercise.check(answer_like(exercise, stub))
    assert result.status == NOT_ATTEMPTED
    assert not result.passed
    assert "raise NotImplementedError()" in result.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_crashing_answer_is_an_error_naming_the_exception_not_a_crash(exercise):
    def crashes(*args, **kwargs):
        return {}["missing key"]

    result = exercise.check(answer_like(exercise, crashes))
    assert result.status == ERROR
    assert "KeyError" in result.message and "in crashes, line" in result.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_an_answer_that_exits_is_an_error_not_the_end_of_python(exercise):
    result = exercise.check(answer_like(exercise, lambda *args, **kwargs: sys.exit(3)))
    assert result.status == ERROR
    assert "your code tried to stop Python (SystemExit: 3" in result.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_a_huge_answer_is_quoted_by_a_short_prefix(exercise):
    result = exercise.check(answer_like(exercise, lambda *args, **kwargs: [0.5] * 100_000))
    assert result.status in (FAILED, ERROR)
    assert len(result.message) <= 800


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_an_endless_loop_times_out(exercise):
    def loops(*args, **kwargs):
        while True:
            pass

    result = exercise.outcome(answer_like(exercise, loops), time_limit=0.2)
    assert result["status"] == TIMED_OUT
    assert "ran for more than 0.2 s: is there an endless loop?" in result["message"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_a_report_that_claims_a_pass_without_evidence_is_not_a_pass(exercise):
    for forged in ({"status": PASSED, "message": "trust me"}, {"status": "evidence", "evidence": {}}, "passed", None):
        assert exercise.verdict(forged).status == ERROR


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_hints_grow_and_solution_shows_the_reference_code(exercise):
    assert len(exercise.hints) >= 2
    assert exercise.hint().startswith(f"Hint 1 of {len(exercise.hints)}: ")
    assert exercise.hint(len(exercise.hints)).endswith(exercise.hints[-1])
    assert exercise.reference.__name__ in exercise.solution()
    with pytest.raises(ValueError, match=f"has hints 1 to {len(exercise.hints)}, got 0"):
        exercise.hint(0)
    beyond = exercise.hint(len(exercise.hints) + 1)
    assert beyond == f"There are only {len(exercise.hints)} hints; solution() shows a reference answer."


class MisspeltStep(Optimizer):
    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr)
        self.velocities = [0.0 for _ in self.params]

    def stepp(self):  # the typo: Optimizer.step, the base class's placeholder, runs instead
        pass


def test_not_implemented_from_the_library_is_an_error_naming_the_method_not_not_attempted():
    result = sgd_momentum.check(MisspeltStep)
    assert result.status == ERROR
    assert "Optimizer.step() raised NotImplementedError: your class does not define step()" in result.message
    assert "Write def step(self) in your class" in result.message


def test_result_prints_a_clear_verdict():
    result = Result("cube_op", FAILED, "at a = 2.0 your local derivative is 4.0")
    assert str(result) == repr(result) == "✘ cube_op: failed. at a = 2.0 your local derivative is 4.0"
    assert not result


def test_exercises_are_found_by_name():
    assert get_exercise("cube_op") is cube_op
    with pytest.raises(KeyError, match="no exercise named 'cube'"):
        get_exercise("cube")


# ---- cube_op: a new op's local derivative, judged by finite differences ------------------------


def cube_with_slope(slope):
    return lambda a: Value(a.data**3, (a,), (slope(a.data),), "cube")


def test_cube_accepts_a_derivative_within_gradcheck_tolerance_and_rejects_one_outside():
    assert cube_op.check(cube_with_slope(lambda x: 3 * x * x * (1 + 1e-6))).passed
    result = cube_op.check(cube_with_slope(lambda x: 3 * x * x * (1 + 1e-2)))
    assert result.status == FAILED
    assert "at a = 2.0 your local derivative is 12.12" in result.message
    assert "finite differences give 12" in result.message


CUBE_MISTAKES = [  # wrong answer, words the feedback must contain
    (cube_with_slope(lambda x: x * x), "at a = 2.0 your local derivative is 4.0, but finite differences give 12"),
    (cube_with_slope(lambda x: 3 * x), "at a = 2.0 your local derivative is 6.0"),
    (lambda a: Value(a.data**2, (a,), (2 * a.data,), "cube"), "cube(Value(2.0)).data is 4.0, but 2.0**3 = 8.0"),
    (lambda a: Value(a.data**3), "does not remember `a`"),
    (lambda a: a.data**3, "returned float 8.0; return a new Value"),
    (lambda a: a * a * a, "from 2 existing ops ['*', '*']"),
    (lambda a: a**3, "the library's own power op ('**3')"),
    (lambda a: a**3.0, "build Value(a.data**3, (a,), (local,), 'cube')"),
    (
        lambda a: Value(a.data**3, (a,), (3 * a**2,), "cube"),
        "the local derivative must be a plain float (3 * a.data**2), got a Value",
    ),
    (lambda a: Value(a.data**3, (a, a, a), (a.data**2,) * 3, "cube"), "give it exactly one child, (a,)"),
    (lambda a: Value(a.data**3, (a), (3 * a.data**2), "cube"), "children and local derivatives are tuples"),
    (lambda a: Value(a.data**3, (a,), 3 * a.data**2, "cube"), "(a,) and (local,), with the comma"),
    (lambda a: Value(a.data**3, (a,), (3 * a.data**2, 1.0), "cube"), "one child needs one local derivative, got 2"),
    ("cube", "expects your function cube(a), got str"),
]


@pytest.mark.parametrize("answer, words", CUBE_MISTAKES, ids=[w[:30] for _, w in CUBE_MISTAKES])
def test_cube_names_the_mistake(answer, words):
    result = cube_op.check(answer)
    assert result.status == FAILED
    assert words in result.message


# ---- chain_rule: gradients by hand, judged by finite differences --------------------------------


def tanh_slope(a, b, c):
    return 1 - math.tanh(a * b + c) ** 2


CHAIN_MISTAKES = [
    (lambda a, b, c: (b, a, 1.0), "the gradients of a*b + c, without the tanh"),
    (lambda a, b, c: tuple(tanh_slope(a, b, c) * v for v in (a, b, 1.0)), "dL/da and dL/db are swapped"),
    (
        lambda a, b, c: (tanh_slope(a, b, c) * b, tanh_slope(a, b, c) * a, 1.0),
        "dL/dc is 1 but finite differences give 0.180707 (dL/da and dL/db are right)",
    ),
    (lambda a, b, c: (0.0, 0.0), "should hold 3 numbers, got 2"),
    (lambda a, b, c: (Value(a), 0.0, 0.0), "should be a plain number (a float), got Value"),
    (lambda a, b, c: (float("nan"), 0.0, 0.0), "is nan; it should be a finite number"),
]


@pytest.mark.parametrize("answer, words", CHAIN_MISTAKES, ids=[w[:30] for _, w in CHAIN_MISTAKES])
def test_chain_rule_names_the_mistake(answer, words):
    result = chain_rule.check(answer)
    assert result.status == FAILED
    assert words in result.message


def grads_by_library_backward(a, b, c):
    a, b, c = Value(a), Value(b), Value(c)
    (a * b + c).tanh().backward()
    return a.grad, b.grad, c.grad


def test_chain_rule_computed_with_the_library_backward_is_not_the_exercise():
    result = chain_rule.check(grads_by_library_backward)
    assert result.status == FAILED
    assert "calls Value.backward()" in result.message and "do it by hand" in result.message
    assert grads_by_library_backward(2.0, -1.0, 0.5) == pytest.approx(chain_rule.reference(2.0, -1.0, 0.5))


def test_chain_rule_checks_the_second_point_too():
    # right at the first point only: a hard-coded answer must not pass
    first = chain_rule.reference(2.0, -1.0, 0.5)
    result = chain_rule.check(lambda a, b, c: first)
    assert result.status == FAILED and "at a = 0.3, b = 0.7, c = -0.2" in result.message


# ---- backward_bug: the `=` instead of `+=` bug ---------------------------------------------------


def test_buggy_backward_really_is_wrong_only_when_a_value_is_reused():
    a, b = Value(1.5), Value(-2.0)
    buggy_backward(a * b)
    assert (a.grad, b.grad) == (-2.0, 1.5)
    a = Value(3.0)
    buggy_backward(a * a + a)
    assert a.grad != 7.0


def forward_order_backward(root):
    from micrograd_plus.engine import topological_order

    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in order:  # the mistake: children before the nodes that use them
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


def backward_multiplying_by_child_data(root):
    from micrograd_plus.engine import topological_order

    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):  # the order is right; the product is not
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * child.data


def unseeded_backward(root):
    from micrograd_plus.engine import topological_order

    for node in reversed(topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


BACKWARD_MISTAKES = [
    (buggy_backward, "for f = a * a + a at a = 3.0, your backward gives d/da = 3 but finite differences give 7"),
    (buggy_backward, "the bug is still there"),
    (lambda root: None, "root.grad is still 0, and so is every other gradient: your backward changed nothing"),
    (unseeded_backward, "Seed the output first, root.grad = 1.0"),
    (forward_order_backward, "visit them in reverse topological order, output first"),
    (backward_multiplying_by_child_data, "Each child should receive its local derivative times node.grad"),
    (lambda root: root.backward(), "your backward calls Value.backward(), the library's own"),
]


@pytest.mark.parametrize("answer, words", BACKWARD_MISTAKES, ids=[w[:30] for _, w in BACKWARD_MISTAKES])
def test_backward_bug_names_the_mistake(answer, words):
    result = backward_bug.check(answer)
    assert result.status == FAILED
    assert words in result.message


def test_backward_bug_gives_the_order_advice_only_when_reversing_the_order_would_fix_it():
    assert "reverse topological order" not in backward_bug.check(backward_multiplying_by_child_data).message
    assert "local derivative times node.grad" not in backward_bug.check(forward_order_backward).message


def test_value_backward_is_restored_after_a_check_even_when_the_answer_crashes():
    original = Value.backward

    def backward_then_crash(root):
        root.backward()  # forbidden during the check: raises there, so this answer fails
        raise RuntimeError("never reached")

    assert backward_bug.check(backward_then_crash).status == FAILED
    assert backward_bug.check(lambda root: 1 / 0).status == ERROR
    assert Value.backward is original
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


# ---- learning_rate: judged by running gradient descent with it -----------------------------------


def test_descend_follows_the_closed_form_of_the_valley():
    # x shrinks by (1 - 2 lr) and y by (1 - 2 s lr) each step (s = 20), so f is known exactly after any step
    lr, steps, s = 0.03, 7, VALLEY_STEEPNESS
    losses = descend(lr, steps)
    x, y = 3.0 * (1 - 2 * lr) ** steps, 1.0 * (1 - 2 * s * lr) ** steps
    assert losses[-1] == pytest.approx(x * x + s * y * y, rel=1e-12)
    assert len(losses) == steps + 1


def test_lesson_3s_learning_rate_does_not_solve_the_exercise():
    # lesson 3 prints that lr = 0.08 reaches 7.88e-06 on its own valley (steepness 10); here it must not pass
    assert not learning_rate.check(0.08).passed


@pytest.mark.parametrize(
    "lr, words",
    [
        (0.01, "the steps are too small"),
        (0.03, "x moves too slowly along the flat valley floor"),
        (0.049, "y jumps from one side of the steep valley to the other"),
        (0.08, "it diverges"),
        (0.0, "must be positive, got 0.0"),
        (-0.1, "must be positive, got -0.1"),
        ("0.1", "should be a plain number (a float), got str"),
    ],
)
def test_learning_rate_names_the_mistake(lr, words):
    result = learning_rate.check(lr)
    assert result.status == FAILED
    assert words in result.message
    assert learning_rate.check(lambda: lr).message == result.message  # a number or a function returning it


def test_learning_rate_passes_exactly_where_descent_gets_below_the_target():
    for lr in (0.03, 0.036, 0.038, 0.045, 0.048, 0.049, 0.08):
        assert learning_rate.check(lr).passed == (descend(lr)[-1] < 1e-3)


# ---- sgd_momentum: step by step against SGD(momentum=...) -----------------------------------------


class PlainSGD(Optimizer):
    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr)

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


class UphillMomentum(sgd_momentum.reference):
    def step(self):
        for i, p in enumerate(self.params):
            self.velocities[i] = self.momentum * self.velocities[i] + p.grad
            p.data += self.lr * self.velocities[i]


class DoubledFirstStep(sgd_momentum.reference):
    def step(self):  # velocity = grad + momentum * grad: wrong from the very first step
        for p in self.params:
            p.data -= self.lr * (1 + self.momentum) * p.grad


class VelocityInALoopVariable(sgd_momentum.reference):
    def step(self):
        for i, p in enumerate(self.params):
            velocity = self.velocities[i]
            velocity = self.momentum * velocity + p.grad  # never stored back: the next step starts from 0 again
            p.data -= self.lr * velocity


class LazyOptimizer(sgd_momentum.reference):
    def step(self):
        pass


MOMENTUM_MISTAKES = [
    (PlainSGD, "your steps match plain SGD without momentum"),
    (PlainSGD, "store it back (self.velocities[i] = ...)"),
    (VelocityInALoopVariable, "self.velocities is still [0.0, 0.0] after 8 steps: store the new velocity back"),
    (UphillMomentum, "the first step raised the loss"),
    (DoubledFirstStep, "after step 1 the parameters are"),
    (DoubledFirstStep, "Already the first step is off"),
    (LazyOptimizer, "step() did not change the parameters"),
    (None, "expects your optimizer class, got NoneType"),
]


@pytest.mark.parametrize("answer, words", MOMENTUM_MISTAKES, ids=[w[:30] for _, w in MOMENTUM_MISTAKES])
def test_sgd_momentum_names_the_mistake(answer, words):
    result = sgd_momentum.check(answer)
    assert result.status == FAILED
    assert words in result.message


def test_sgd_momentum_reports_the_first_differing_step_with_numbers():
    class SecondStepOff(sgd_momentum.reference):
        steps = 0

        def step(self):
            super().step()
            self.steps += 1
            if self.steps == 2:
                self.params[0].data += 0.01

    message = sgd_momentum.check(SecondStepOff).message
    assert "after step 2 the parameters are [" in message
    assert "The first step is right" in message


# ---- training_loop and zero_grad_bug: the same seeded run as the reference loop -------------------


def train_with_sum_loss(model, xs, ys, steps, lr):
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


def train_keeping_values(model, xs, ys, steps, lr):
    return [mse_loss([model(x) for x in xs], ys) for _ in range(steps)]


def train_without_step(model, xs, ys, steps, lr):
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        loss.backward()
        losses.append(loss.data)
    return losses


def train_uphill(model, xs, ys, steps, lr):
    return [_uphill_step(model, xs, ys, lr) for _ in range(steps)]


def _uphill_step(model, xs, ys, lr):
    loss = mse_loss([model(x) for x in xs], ys)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data += lr * p.grad
    return loss.data


TRAINING_MISTAKES = [
    (train_without_zero_grad, "exactly what a loop without zero_grad() gives"),
    (train_with_sum_loss, "the first loss is"),
    (train_keeping_values, "append loss.data (a float), not loss"),
    (train_uphill, "the loss went up"),
    (lambda model, xs, ys, steps, lr: [0.1], "should give 25 losses, got 1"),
    (lambda model, xs, ys, steps, lr: None, "return the list of losses, one per step; got NoneType"),
]


@pytest.mark.parametrize("exercise", [training_loop, zero_grad_bug], ids=["training_loop", "zero_grad_bug"])
@pytest.mark.parametrize("answer, words", TRAINING_MISTAKES, ids=[w[:30] for _, w in TRAINING_MISTAKES])
def test_training_loop_names_the_mistake(exercise, answer, words):
    result = exercise.check(answer)
    assert result.status == FAILED
    assert words in result.message


@pytest.mark.parametrize(
    "exercise, words",
    [
        (training_loop, "the parameters never changed: call optimizer.step()"),
        (zero_grad_bug, "the parameters never move, as in the buggy loop"),
    ],
    ids=["training_loop", "zero_grad_bug"],
)
@pytest.mark.parametrize("answer", [train_without_step, train_with_misplaced_zero_grad])
def test_a_loop_that_never_moves_the_parameters_is_named(exercise, words, answer):
    result = exercise.check(answer)
    assert result.status == FAILED
    assert words in result.message


def test_the_bug_hunt_bug_is_not_the_training_loop_exercise_s_mistake():
    # the bug hunt's loop clears the gradients, at the wrong moment; its loss never moves
    xs, ys = toy_regression()
    losses = train_with_misplaced_zero_grad(toy_model(), xs, ys, 5, 0.1)
    assert len(set(losses)) == 1
    assert "zero_grad" in inspect.getsource(train_with_misplaced_zero_grad)
    assert (
        zero_grad_bug.check(train_with_misplaced_zero_grad).message
        != zero_grad_bug.check(train_without_zero_grad).message
    )


# ---- student copies -------------------------------------------------------------------------------

SOLVED_CELL = """def cube(a):
    \"\"\"Your op.\"\"\"
    ### BEGIN SOLUTION
    return Value(a.data**3, (a,), (3 * a.data**2,), "cube")
    ### END SOLUTION

cube_op.check(cube)"""


def test_strip_solutions_keeps_the_indentation_and_everything_outside_the_markers():
    stubbed, count = strip_solutions(SOLVED_CELL)
    assert count == 1
    assert stubbed == (
        'def cube(a):\n    """Your op."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\ncube_op.check(cube)'
    )


def test_strip_solutions_in_markdown_leaves_a_prompt():
    stubbed, count = strip_solutions("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", markdown=True)
    assert (stubbed, count) == ("Why?\nYOUR ANSWER HERE", 1)


@pytest.mark.parametrize(
    "source, words",
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "line 2: '### BEGIN SOLUTION' has no '### END SOLUTION'"),
        ("def f():\n    return 1\n    ### END SOLUTION", "line 3: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "inside the solution opened on line 2"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "top level of a code cell would stop"),
    ],
)
def test_strip_solutions_rejects_broken_markers_with_the_line(source, words):
    with pytest.raises(ValueError, match="cell 3, line") as error:
        strip_solutions(source, "cell 3")
    assert words in str(error.value)


def notebook(*cells):
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": kind, "id": str(i), "metadata": {}, "source": text}
            | (
                {"outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], "execution_count": 3}
                if kind == "code"
                else {}
            )
            for i, (kind, text) in enumerate(cells)
        ],
    }


def test_student_notebook_stubs_solutions_and_clears_outputs():
    solved = notebook(("markdown", "# Cube"), ("code", SOLVED_CELL))
    student, count = student_notebook(solved, "demo.ipynb")
    assert count == 1
    code = student["cells"][1]
    assert "".join(code["source"]).count("raise NotImplementedError()") == 1
    assert "3 * a.data**2" not in "".join(code["source"])
    assert (code["outputs"], code["execution_count"]) == ([], None)
    assert solved["cells"][1]["source"] == SOLVED_CELL  # the original is untouched
    with pytest.raises(ValueError, match="demo.ipynb is not an nbformat 4 notebook"):
        student_notebook({"cells": []}, "demo.ipynb")


def run_cli(*argv):
    return main(["exercises", *argv])


def test_cli_writes_student_copies_of_every_solution_notebook(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "01_cube.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))))
    (source / "02_plain.ipynb").write_text(json.dumps(notebook(("code", "print(1)"))))
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(source)) == 0
    out = capsys.readouterr().out
    assert "01_cube.ipynb (1 solution replaced by stub)" in out
    assert "02_plain.ipynb (0 solutions replaced by stubs)" in out
    copy = json.loads((tmp_path / "out" / "01_cube.ipynb").read_text())
    assert "raise NotImplementedError()" in "".join(copy["cells"][0]["source"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01_cube.ipynb", "02_plain.ipynb"]


def test_cli_default_source_is_the_repository_exercise_notebooks(tmp_path, capsys):
    assert run_cli("student-copies", str(tmp_path)) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written and all(name[:2].isdigit() for name in written)
    assert "solutions replaced by stubs" in capsys.readouterr().out


def test_cli_refuses_to_overwrite_the_solutions_and_reports_a_missing_folder(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "a.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))))
    assert run_cli("student-copies", str(source), "--source", str(source)) == 2
    assert "would erase the solutions" in capsys.readouterr().err
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(tmp_path / "nowhere")) == 2
    assert "nowhere does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_leaves_no_files_when_a_notebook_has_a_broken_marker(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "a.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))))
    (source / "b.ipynb").write_text(json.dumps(notebook(("code", "def f():\n    ### BEGIN SOLUTION\n"))))
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(source)) == 2
    assert "b.ipynb, cell 0, line 2" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_to_overwrite_existing_notebooks_unless_forced(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "01_cube.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))))
    (source / "02_plain.ipynb").write_text(json.dumps(notebook(("code", "print(1)"))))
    out = tmp_path / "out"
    out.mkdir()
    work = out / "01_cube.ipynb"
    work.write_text("a student's work")
    assert run_cli("student-copies", str(out), "--source", str(source)) == 2
    error = capsys.readouterr().err
    assert "already holds 01_cube.ipynb; a student's work may be in them" in error and "--force" in error
    assert work.read_text() == "a student's work"
    assert not (out / "02_plain.ipynb").exists()  # nothing written, not even the new notebook
    assert run_cli("student-copies", str(out), "--source", str(source), "--force") == 0
    assert "raise NotImplementedError()" in "".join(json.loads(work.read_text())["cells"][0]["source"])


def test_cli_lists_every_exercise(capsys):
    assert run_cli("list") == 0
    out = capsys.readouterr().out
    assert all(exercise.name in out for exercise in EXERCISES)


def test_write_student_copies_needs_notebooks(tmp_path):
    with pytest.raises(FileNotFoundError, match="found no .ipynb notebooks"):
        write_student_copies(tmp_path, tmp_path / "out")


# ---- checkers that never break, and cannot be fooled -------------------------------------------------


def test_a_loop_that_patches_sgd_step_into_a_no_op_fails(monkeypatch):
    monkeypatch.setattr(SGD, "step", SGD.step)  # put back after the test whatever the answer does

    def train_with_a_lazy_sgd(model, xs, ys, steps, lr):
        SGD.step = lambda self: None  # the reference run would take no-op steps too, if it used this class
        return training_loop.reference(model, xs, ys, steps, lr)

    result = training_loop.check(train_with_a_lazy_sgd)
    assert result.status == FAILED
    assert "the parameters never changed" in result.message
    lazy = SGD([Value(1.0)], lr=0.1)
    lazy.params[0].grad = 1.0
    lazy.step()
    assert lazy.params[0].data == 1.0  # the notebook keeps its own change (the grader's process never has it)


def test_a_learning_rate_that_overflows_is_a_failure_that_says_it_diverges():
    for lr in (1e200, 1e300, 1.0):
        result = learning_rate.check(lr)
        assert result.status == FAILED
        assert "it diverges" in result.message


class Liar(float):
    """A float whose comparisons and arithmetic all claim success."""

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def test_numbers_that_lie_about_themselves_are_judged_as_the_numbers_they_are():
    result = chain_rule.check(lambda a, b, c: (Liar(0.0), Liar(0.0), Liar(0.0)))
    assert result.status == FAILED and "dL/da is 0 but finite differences give" in result.message


def test_a_teacher_can_switch_off_solution_and_the_last_hint():
    try:
        show_solutions(False)
        assert "switched off solution()" in cube_op.solution()
        assert cube_op.hint(3) == "Your teacher has switched off the last hint and solution(); hints 1 to 2 are on."
        assert cube_op.hint(2).startswith("Hint 2 of 3")
        assert cube_op.hint(4) == "There are only 3 hints."  # and no promise of solution()
    finally:
        show_solutions(True)
    assert "def reference_cube" in cube_op.solution()


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.name for e in EXERCISES])
def test_grading_refuses_the_library_s_own_reference_as_an_answer(exercise):
    outcome = exercise.outcome(exercise.reference, grading=True)
    assert outcome["status"] == FAILED and "the library's reference solution" in outcome["message"]
    assert exercise.outcome(exercise.reference)["status"] == "evidence"  # in a notebook, solution() shows it anyway


def test_a_verdict_comes_from_plain_data_alone():
    outcome = cube_op.outcome(cube_op.reference)
    copied = json.loads(json.dumps(outcome))  # as it travels from a student's kernel to the grader
    assert cube_op.verdict(copied) == cube_op.check(cube_op.reference)
    copied["evidence"]["points"][0][1] = 4.0  # a forged local derivative at a = 2
    assert cube_op.verdict(copied).status == FAILED
    copied["evidence"]["points"] = copied["evidence"]["points"][:1]  # a truncated report
    assert cube_op.verdict(copied).status == ERROR


# ---- student copies: hidden tests, the solutions banner, the teacher's switch -------------------------------


def test_hidden_tests_are_removed_and_a_solutions_only_cell_is_dropped():
    check = "### BEGIN HIDDEN TESTS\nassert cube_op.check(cube).passed\n### END HIDDEN TESTS\ncube_op.check(cube)"
    solved = notebook(("markdown", "# Cube"), ("markdown", "Solutions!"), ("code", SOLVED_CELL), ("code", check))
    solved["cells"][1]["metadata"]["tags"] = ["solutions-only"]
    solved["cells"][3]["metadata"]["nbgrader"] = {"grade": True, "locked": True, "points": 1}
    student, count = student_notebook(solved, "demo.ipynb")
    assert count == 1
    assert ["".join(cell["source"]) for cell in student["cells"]][::2] == ["# Cube", "cube_op.check(cube)"]
    assert student["cells"][2]["metadata"]["editable"] is False  # locked, as nbgrader locks it
    with pytest.raises(ValueError, match="line 1: '### BEGIN HIDDEN TESTS' has no '### END HIDDEN TESTS'"):
        strip_solutions("### BEGIN HIDDEN TESTS\nassert x", "cell 3")


def test_student_copies_with_solutions_hidden_start_with_a_locked_cell_that_switches_them_off(tmp_path):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "01_cube.ipynb").write_text(json.dumps(notebook(("markdown", "# Cube"), ("code", SOLVED_CELL))))
    run_cli("student-copies", str(tmp_path / "out"), "--source", str(source), "--hide-solutions")
    cells = json.loads((tmp_path / "out" / "01_cube.ipynb").read_text())["cells"]
    assert "show_solutions(False)" in "".join(cells[1]["source"])
    assert cells[1]["metadata"] == {"editable": False, "deletable": False}


def test_student_copies_name_a_damaged_notebook_and_a_source_that_is_a_file(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "01_cube.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))))
    (source / "02_broken.ipynb").write_text('{"cells": [')
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(source)) == 2
    error = capsys.readouterr().err
    assert "02_broken.ipynb is not a readable notebook: its JSON is damaged" in error
    assert not (tmp_path / "out").exists()
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(source / "01_cube.ipynb")) == 2
    assert "01_cube.ipynb is a file, not a folder" in capsys.readouterr().err


def test_a_notebook_larger_than_the_input_limit_is_refused_before_it_is_read(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    padding = " " * files.INPUT_LIMIT  # valid JSON, one byte past the limit with the rest: refused unparsed
    (source / "01_cube.ipynb").write_text(json.dumps(notebook(("code", SOLVED_CELL))) + padding)
    assert run_cli("student-copies", str(tmp_path / "out"), "--source", str(source)) == 2
    assert "holds more than" in capsys.readouterr().err and not (tmp_path / "out").exists()
