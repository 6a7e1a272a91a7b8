"""The machinery every exercise shares: an Exercise with check(), hint() and solution(), and its Result.

A checker is a plain function that takes the student's answer and either returns a short success
message or raises `Wrong` with a specific one (what is wrong, with the numbers). `Exercise.check`
turns that into a `Result`, and turns a stub that still raises NotImplementedError into
"not attempted" and any other exception from the student's code into "error", so a notebook cell
that calls check() never crashes.
"""

import inspect
import math
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

__all__ = ["Exercise", "Result", "Text", "Wrong", "PASSED", "FAILED", "NOT_ATTEMPTED", "ERROR"]

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
        except NotImplementedError:
            return Result(
                self.name,
                NOT_ATTEMPTED,
                "Replace `raise NotImplementedError()` with your answer, then run check() again.",
            )
        except Wrong as wrong:
            return Result(self.name, FAILED, str(wrong))
        except Exception as error:  # the student's code crashed: say where, as feedback, not a traceback
            return Result(self.name, ERROR, f"your code raised {_describe(error)}. Fix it and run check() again.")
        return Result(self.name, PASSED, message)

    def hint(self, level: int = 1) -> Text:
        """The hint number `level` (1 is the gentlest); the last one almost gives the answer away."""
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(self.hints):
            raise ValueError(f"{self.name} has hints 1 to {len(self.hints)}, got {level!r}")
        return Text(f"Hint {level} of {len(self.hints)}: {self.hints[level - 1]}")

    def solution(self) -> Text:
        """The reference solution's source code."""
        return Text(inspect.getsource(self.reference))

    def __repr__(self) -> str:
        return f"Exercise {self.name!r} (lesson {self.lesson}): {self.title}"


def _describe(error: BaseException) -> str:
    """'ZeroDivisionError: division by zero (in cube, line 3)': the error and where in the student's code."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = str(Path(__file__).resolve().parents[1])  # the micrograd_plus package
    theirs = [frame for frame in frames if not str(Path(frame.filename).resolve()).startswith(ours)]
    where = f" (in {theirs[-1].name}, line {theirs[-1].lineno})" if theirs else ""
    return f"{type(error).__name__}: {error}{where}"


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
