"""Classroom exercises with instant, specific feedback: `exercise.check(answer)`, `.hint()`, `.solution()`.

    from micrograd_plus.exercises import cube_op
    cube_op.check(cube)      # ✔ cube_op: passed. ... or what is wrong, with the numbers

check() returns a Result (status: passed, failed, not attempted, error, timed out) and never raises, so a
student's unfinished stub is reported as "not attempted" instead of crashing the notebook. A whole class
is graded with `python -m micrograd_plus exercises grade SUBMISSIONS/` (micrograd_plus.exercises.grading).
"""

from .attention_weights import attention_weights
from .bugs import backward_bug, buggy_backward, train_with_misplaced_zero_grad, train_without_zero_grad, zero_grad_bug
from .checking import ERROR, FAILED, NOT_ATTEMPTED, PASSED, STATUSES, TIMED_OUT, Exercise, Result, show_solutions
from .derivatives import chain_rule, cube_op
from .descent import descend, learning_rate, sgd_momentum, valley
from .finetune import fine_tune, pretrained_model, task_b, test_loss
from .hyperparameters import curve_data, hyperparameters, model_selection, sweep_results, train_curve
from .own_value import own_value
from .safety import take_snapshot
from .training import toy_model, toy_regression, training_loop

EXERCISES: tuple[Exercise, ...] = (
    cube_op,
    chain_rule,
    backward_bug,
    own_value,
    learning_rate,
    sgd_momentum,
    training_loop,
    zero_grad_bug,
    model_selection,
    hyperparameters,
    fine_tune,
    attention_weights,
)


def get_exercise(name: str) -> Exercise:
    """The exercise called `name` (see EXERCISES)."""
    for exercise in EXERCISES:
        if exercise.name == name:
            return exercise
    raise KeyError(f"no exercise named {name!r}; the exercises are {[e.name for e in EXERCISES]}")


take_snapshot()  # the library as imported: what the reference computations of every check() will use

__all__ = [
    "Exercise",
    "Result",
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "ERROR",
    "TIMED_OUT",
    "STATUSES",
    "EXERCISES",
    "get_exercise",
    "show_solutions",
    "cube_op",
    "chain_rule",
    "backward_bug",
    "own_value",
    "learning_rate",
    "sgd_momentum",
    "training_loop",
    "zero_grad_bug",
    "model_selection",
    "hyperparameters",
    "fine_tune",
    "attention_weights",
    "buggy_backward",
    "train_without_zero_grad",
    "train_with_misplaced_zero_grad",
    "descend",
    "valley",
    "toy_model",
    "toy_regression",
    "curve_data",
    "train_curve",
    "sweep_results",
    "pretrained_model",
    "task_b",
    "test_loss",
]
