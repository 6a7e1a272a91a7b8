"""The machinery every exercise shares: an Exercise with check(), hint() and solution(), and its Result.

A checker is a plain function that takes the student's answer and either returns a short success
message or raises `Wrong` with a specific one (what is wrong, with the numbers). `Exercise.check`
turns that into a `Result`: a stub of the student's that still raises NotImplementedError is
"not attempted" (one raised by a base class of ours, such as Optimizer.step, is an "error" naming the
method to write), and any other exception is "error", so a notebook cell that calls check() never crashes.
"""

import inspect
import math
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

from ..engine import Value

__all__ = [
    "Exercise",
    "Result",
    "Text",
    "Wrong",
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "ERROR",
    "library_backward_forbidden",
]

PASSED = "passed"
FAILED = "failed"
NOT_ATTEMPTED = "not attempted"
ERROR = "error"

_MARKS = {PASSED: "✔", FAILED: "✘", NOT_ATTEMPTED: "…", ERROR: "!"}


class Wrong(Exception):
    """Raised by a checker: the answer runs but is wrong; the message says what and by how much."""


class Text(str):
    """A str that Jupyter displays as plain text (its repr is itself, without quotes or \\n escapes)."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Result:
    """The verdict of one check(): `status` is one of PASSED, FAILED, NOT_ATTEMPTED, ERROR."""

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True only for a correct answer."""
        return self.status == PASSED

    def __str__(self) -> str:
        return f"{_MARKS[self.status]} {self.exercise}: {self.status}. {self.message}"

    __repr__ = __str__  # a notebook cell ending in check(...) shows the verdict as text

    def __bool__(self) -> bool:
        return self.passed


@dataclass(frozen=True, repr=False)
class Exercise:
    """One classroom exercise: check(answer) gives a Result, hint(n) the n-th hint, solution() the reference code."""

    name: str
    title: str
    lesson: str
    checker: Callable[[object], str]
    hints: tuple[str, ...]
    reference: Callable

    def check(self, answer: object) -> Result:
        """Run the checker on `answer` (usually the function you wrote); never raises."""
        try:
            message = self.checker(answer)
        except NotImplementedError as error:
            library = _raised_in_library(error)
            if library is None:  # the student's own stub
                return Result(
                    self.name,
                    NOT_ATTEMPTED,
                    "Replace `raise NotImplementedError()` with your answer, then run check() again.",
                )
            name = library.split(".")[-1]
            return Result(
                self.name,
                ERROR,
                f"{library}() raised NotImplementedError: your class does not define {name}(), so the base "
                f"class's placeholder ran. Write def {name}(self) in your class (check the spelling), then run "
                "check() again.",
            )
        except Wrong as wrong:
            return Result(self.name, FAILED, str(wrong))
        except Exception as error:  # the student's code crashed: say where, as feedback, not a traceback
            return Result(self.name, ERROR, f"your code raised {_describe(error)}. Fix it and run check() again.")
        return Result(self.name, PASSED, message)

    def hint(self, level: int = 1) -> Text:
        """The hint number `level` (1 is the gentlest); the last one almost gives the answer away."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"{self.name} has hints 1 to {len(self.hints)}, got {level!r}")
        if level > len(self.hints):
            return Text(f"There are only {len(self.hints)} hints; solution() shows a reference answer.")
        return Text(f"Hint {level} of {len(self.hints)}: {self.hints[level - 1]}")

    def solution(self) -> Text:
        """The reference solution's source code."""
        return Text(inspect.getsource(self.reference))

    def __repr__(self) -> str:
        return f"Exercise {self.name!r} (lesson {self.lesson}): {self.title}"


_PACKAGE = Path(__file__).resolve().parents[1]  # micrograd_plus: frames here are ours, not the student's


def _in_package(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(_PACKAGE)


def _describe(error: BaseException) -> str:
    """'ZeroDivisionError: division by zero (in cube, line 3)': the error and where in the student's code."""
    frames = traceback.extract_tb(error.__traceback__)
    theirs = [frame for frame in frames if not _in_package(frame.filename)]
    where = f" (in {theirs[-1].name}, line {theirs[-1].lineno})" if theirs else ""
    return f"{type(error).__name__}: {error}{where}"


def _raised_in_library(error: BaseException) -> str | None:
    """The qualified name ('Optimizer.step') of the package function that raised `error`, or None.

    None means the innermost frame is the student's code: their stub still says NotImplementedError.
    """
    tb = error.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return code.co_qualname if _in_package(code.co_filename) else None


@contextmanager
def library_backward_forbidden(why: str) -> Iterator[None]:
    """While active, Value.backward() raises Wrong(why): the exercise is to do its work by hand."""

    def forbidden(self, gradient: float = 1.0) -> None:
        raise Wrong(why)

    original = Value.backward
    Value.backward = forbidden
    try:
        yield
    finally:  # restored even when the student's code raised
        Value.backward = original


# ---- helpers the checkers share ---------------------------------------------------------------


def close(a: float, b: float, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """|a - b| <= atol + rtol * |b|, and False for NaN."""
    return abs(a - b) <= atol + rtol * abs(b)


def require_callable(answer: object, what: str) -> Callable:
    """The answer itself if it can be called, else Wrong saying what was expected."""
    if not callable(answer):
        raise Wrong(f"check() expects {what}, got {type(answer).__name__}: {answer!r}. Pass the name, without ().")
    return answer


def as_number(value: object, what: str) -> float:
    """A finite float from `value`, else Wrong naming `what` it was meant to be."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise Wrong(f"{what} should be a plain number (a float), got {type(value).__name__}: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise Wrong(f"{what} is {number!r}; it should be a finite number")
    return number


def as_numbers(values: object, count: int, what: str) -> list[float]:
    """`count` finite floats from a list or tuple, else Wrong saying what was received."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise Wrong(f"{what} should be a list or tuple of {count} numbers, got {type(values).__name__}: {values!r}")
    if len(values) != count:
        raise Wrong(f"{what} should hold {count} numbers, got {len(values)}: {values!r}")
    return [as_number(v, f"{what}[{i}]") for i, v in enumerate(values)]
