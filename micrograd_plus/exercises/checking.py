"""The machinery every exercise shares: an Exercise with check(), hint() and solution(), and its Result.

A check has two halves, so that a verdict never rests on anything the student's code could have changed:

- `collect(answer)` runs the student's answer and returns what it did as plain data (numbers, lists,
  strings): the *evidence*. It may raise `Wrong` at once (the answer has the wrong shape).
- `judge(evidence)` compares that plain data with reference computations and returns a success message,
  or raises `Wrong` saying what is off and by how much. It runs with a pristine library, and it must
  check everything a pass needs: forging evidence that passes is as hard as answering correctly.

`Exercise.check(answer)` runs both here; the class grader runs `outcome()` inside the student's kernel
and `verdict()` in its own process, so the only thing that crosses over is plain data. check() never
raises (except KeyboardInterrupt): a stub that still raises NotImplementedError is "not attempted", an
answer that runs too long is "timed out", a crash or an exit is an "error", and numbers that overflow
are a failure ("it diverges").
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
from .safety import TimeLimitExceeded, cap, pristine_library, short
from .safety import time_limit as time_limit_of

__all__ = [
    "Exercise",
    "Result",
    "Text",
    "Wrong",
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "ERROR",
    "TIMED_OUT",
    "STATUSES",
    "show_solutions",
    "library_backward_forbidden",
]

PASSED = "passed"
FAILED = "failed"
NOT_ATTEMPTED = "not attempted"
ERROR = "error"
TIMED_OUT = "timed out"
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, ERROR, TIMED_OUT)
EVIDENCE = "evidence"  # the outcome of an answer that ran: plain data for judge()

_MARKS = {PASSED: "✔", FAILED: "✘", NOT_ATTEMPTED: "…", ERROR: "!", TIMED_OUT: "⧗"}
_settings = {"solutions": True}


def show_solutions(shown: bool = True) -> None:
    """Switch solution() and the last hint of every exercise on or off (a teacher's student copies call this)."""
    _settings["solutions"] = bool(shown)


class Wrong(Exception):
    """Raised by a checker: the answer runs but is wrong; the message says what and by how much."""


class Text(str):
    """A str that Jupyter displays as plain text (its repr is itself, without quotes or \\n escapes)."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Result:
    """The verdict of one check(): `status` is one of PASSED, FAILED, NOT_ATTEMPTED, ERROR, TIMED_OUT."""

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

    def _ipython_display_(self) -> None:
        # shown as display data, not as the cell's result: nbgrader reads a check cell's result as partial credit
        from IPython.display import display

        display(Text(str(self)))


@dataclass(frozen=True, repr=False)
class Exercise:
    """One classroom exercise: check(answer) gives a Result, hint(n) the n-th hint, solution() the reference code."""

    name: str
    title: str
    lesson: str
    collect: Callable[[object], object]
    judge: Callable[[object], str]
    hints: tuple[str, ...]
    reference: Callable
    time_limit: float = 30.0  # seconds an answer may run in check()

    def check(self, answer: object) -> Result:
        """Run the student's `answer` (usually a function they wrote) and judge what it did; never raises."""
        return self.verdict(self.outcome(answer))

    def outcome(self, answer: object, time_limit: float | None = None, grading: bool = False) -> dict:
        """What `answer` did, as plain data: {"status": "evidence", "evidence": ...} or a status and a message.

        With `grading`, an answer that is the library's own reference solution is a failure.
        """
        try:
            if grading and _is_reference(answer, self.reference):
                raise Wrong(
                    f"this is the library's reference solution ({self.reference.__qualname__}), not an answer "
                    "of your own: write it yourself"
                )
            with time_limit_of(self.time_limit if time_limit is None else time_limit):
                evidence = self.collect(answer)
            return {"status": EVIDENCE, "evidence": evidence}
        except KeyboardInterrupt:
            raise
        except TimeLimitExceeded as error:
            return _outcome(TIMED_OUT, f"your code {error}: is there an endless loop? Fix it and run check() again.")
        except NotImplementedError as error:
            return _not_implemented(error)
        except Wrong as wrong:
            return _outcome(FAILED, _message(wrong))
        except OverflowError as error:
            return _outcome(
                FAILED,
                f"the numbers grew too big for a float ({_describe(error)}): with your answer the computation diverges",
            )
        except SystemExit as error:
            return _outcome(
                ERROR,
                f"your code tried to stop Python ({_describe(error)}); an answer must return a value instead. Remove "
                "the exit and run check() again.",
            )
        except BaseException as error:  # the student's code crashed: say where, as feedback, not a traceback
            return _outcome(ERROR, f"your code raised {_describe(error)}. Fix it and run check() again.")

    def verdict(self, outcome: object) -> Result:
        """The Result of an outcome (possibly reported by another process: only judge() can make it a pass)."""
        if not isinstance(outcome, dict) or outcome.get("status") not in (EVIDENCE, *STATUSES[1:]):
            return Result(self.name, ERROR, "the results of your answer could not be read.")
        if outcome["status"] != EVIDENCE:
            return Result(self.name, outcome["status"], cap(outcome.get("message", "")))
        try:
            with pristine_library():
                message = self.judge(outcome.get("evidence"))
            return Result(self.name, PASSED, cap(message))
        except KeyboardInterrupt:
            raise
        except Wrong as wrong:
            return Result(self.name, FAILED, cap(_message(wrong)))
        except (OverflowError, ZeroDivisionError) as error:
            return Result(self.name, FAILED, cap(f"with your answer the computation diverges ({error})"))
        except Exception as error:  # malformed evidence: only a forged or broken report gets here
            return Result(self.name, ERROR, cap(f"the results of your answer could not be read ({short(error)})."))

    def hint(self, level: int = 1) -> Text:
        """The hint number `level` (1 is the gentlest); the last one almost gives the answer away."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"{self.name} has hints 1 to {len(self.hints)}, got {short(level)}")
        if level > len(self.hints):
            more = "; solution() shows a reference answer." if _settings["solutions"] else "."
            return Text(f"There are only {len(self.hints)} hints{more}")
        if level == len(self.hints) and not _settings["solutions"]:
            return Text(f"Your teacher has switched off the last hint and solution(); hints 1 to {level - 1} are on.")
        return Text(f"Hint {level} of {len(self.hints)}: {self.hints[level - 1]}")

    def solution(self) -> Text:
        """The reference solution's source code (unless a teacher switched solutions off)."""
        if not _settings["solutions"]:
            return Text("Your teacher has switched off solution() for this class; hint() still helps.")
        return Text(inspect.getsource(self.reference))

    def __repr__(self) -> str:
        return f"Exercise {self.name!r} (lesson {self.lesson}): {self.title}"


def _outcome(status: str, message: str) -> dict:
    return {"status": status, "message": cap(message)}


def _message(error: BaseException) -> str:
    try:
        return cap(str(error))
    except BaseException:  # a Wrong raised by the student with a hostile message
        return "(the failure message could not be shown)"


def _not_implemented(error: NotImplementedError) -> dict:
    library = _raised_in_library(error)
    if library is None:  # the student's own stub
        return _outcome(
            NOT_ATTEMPTED, "Replace `raise NotImplementedError()` with your answer, then run check() again."
        )
    name = library.split(".")[-1]
    return _outcome(
        ERROR,
        f"{library}() raised NotImplementedError: your class does not define {name}(), so the base class's "
        f"placeholder ran. Write def {name}(self) in your class (check the spelling), then run check() again.",
    )


def _is_reference(answer: object, reference: Callable) -> bool:
    """True if `answer` is the reference itself, shares its code, or is a class whose methods are all its."""
    if answer is reference:
        return True
    code = getattr(answer, "__code__", None)
    if code is not None and code is getattr(reference, "__code__", None):
        return True
    if isinstance(answer, type) and isinstance(reference, type):
        own = [name for name, value in vars(reference).items() if inspect.isfunction(value)]
        return bool(own) and all(getattr(answer, name, None) is getattr(reference, name) for name in own)
    return False


_PACKAGE = Path(__file__).resolve().parents[1]  # micrograd_plus: frames here are ours, not the student's


def _in_package(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(_PACKAGE)


def _describe(error: BaseException) -> str:
    """'ZeroDivisionError: division by zero (in cube, line 3)': the error and where in the student's code."""
    try:
        frames = traceback.extract_tb(error.__traceback__)
        theirs = [frame for frame in frames if not _in_package(frame.filename)]
        where = f" (in {cap(theirs[-1].name, 40)}, line {theirs[-1].lineno})" if theirs else ""
    except Exception:
        where = ""
    detail = _message(error)
    return f"{type(error).__name__}: {cap(detail, 200)}{where}" if detail else f"{type(error).__name__}{where}"


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
        raise Wrong(f"check() expects {what}, got {type(answer).__name__}: {short(answer)}. Pass the name, without ().")
    return answer


def as_number(value: object, what: str) -> float:
    """A finite float from `value`, else Wrong naming `what` it was meant to be."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise Wrong(f"{what} should be a plain number (a float), got {type(value).__name__}: {short(value)}")
    number = math.fsum((float(value),))  # exactly a float, even from a float subclass
    if not math.isfinite(number):
        raise Wrong(f"{what} is {number!r}; it should be a finite number")
    return number


def as_numbers(values: object, count: int, what: str) -> list[float]:
    """`count` finite floats from a list or tuple, else Wrong saying what was received."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise Wrong(
            f"{what} should be a list or tuple of {count} numbers, got {type(values).__name__}: {short(values)}"
        )
    if len(values) != count:
        raise Wrong(f"{what} should hold {count} numbers, got {len(values)}: {short(values)}")
    return [as_number(v, f"{what}[{i}]") for i, v in enumerate(values)]


def floats(data: object, *shape: int) -> list:
    """Evidence read back: nested lists of floats with exactly this shape (ValueError otherwise).

    judge() reads its evidence through this, so a malformed or truncated report can never pass.
    """
    if not shape:
        if type(data) not in (int, float):
            raise ValueError(f"expected a number, got {type(data).__name__}")
        return float(data)
    if type(data) is not list or len(data) != shape[0]:
        raise ValueError(f"expected a list of {shape[0]}, got {type(data).__name__}")
    return [floats(item, *shape[1:]) for item in data]
