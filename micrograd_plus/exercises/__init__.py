"""Classroom exercises with instant, specific feedback: `exercise.check(answer)`, `.hint()`, `.solution()`.

    from micrograd_plus.exercises import cube_op
    cube_op.check(cube)      # ✔ cube_op: passed. ... or what is wrong, with the numbers

check() returns a Result (status: passed, failed, not attempted, error) and never raises, so a
student's unfinished stub is reported as "not attempted" instead of crashing the notebook.
"""

from .bugs import backward_bug, buggy_backward, train_with_misplaced_zero_grad, train_without_zero_grad, zero_grad_bug
from .checking import ERROR, FAILED, NOT_ATTEMPTED, PASSED, Exercise, Result
from .derivatives import chain_rule, cube_op
from .descent import descend, learning_rate, sgd_momentum, valley
from .training import toy_model, toy_regression, training_loop

EXERCISES: tuple[Exercise, ...] = (
    cube_op,
    chain_rule,
    backward_bug,
    learning_rate,
    sgd_momentum,
    training_loop,
    zero_grad_bug,
)


def get_exercise(name: str) -> Exercise:
    """The exercise called `name` (see EXERCISES)."""
    for exercise in EXERCISES:
        if exercise.name == name:
            return exercise
    raise KeyError(f"no exercise named {name!r}; the exercises are {[e.name for e in EXERCISES]}")


__all__ = [
    "Exercise",
    "Result",
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "ERROR",
    "EXERCISES",
    "get_exercise",
    "cube_op",
    "chain_rule",
    "backward_bug",
    "learning_rate",
    "sgd_momentum",
    "training_loop",
    "zero_grad_bug",
    "buggy_backward",
    "train_without_zero_grad",
    "train_with_misplaced_zero_grad",
    "descend",
    "valley",
    "toy_model",
    "toy_regression",
]
