"""What keeps a checker standing whatever the answer does: short quotes, a time limit, a pristine library.

- `short(value)` quotes at most a short prefix of a student's value, and never fails (a hostile __repr__,
  a list of a million floats).
- `time_limit(seconds)` stops an answer that runs too long (an endless loop) with TimeLimitExceeded, a
  BaseException, so that `except Exception:` in the answer does not swallow it.
- `pristine_library()` puts micrograd_plus (and math, builtins) back as they were imported while the
  reference computations run, then restores whatever the notebook changed: an answer that replaced
  SGD.step with a no-op cannot make the reference run take no-op steps too.
"""

import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FunctionType, ModuleType

__all__ = ["short", "cap", "TimeLimitExceeded", "time_limit", "take_snapshot", "pristine_library"]

SHORT = 60  # characters of a student's value that a message may quote
CAP = 800  # characters of a whole message


def short(value: object, limit: int = SHORT) -> str:
    """repr(value), cut to `limit` characters (with '…'); never raises (but KeyboardInterrupt)."""
    try:
        text = repr(value)
        if type(text) is not str:
            raise TypeError("__repr__ returned a non-string")
    except KeyboardInterrupt:
        raise
    except BaseException:  # a hostile or broken __repr__
        try:
            text = f"<{type(value).__name__} object whose repr() fails>"
        except BaseException:
            text = "<an object whose repr() fails>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cap(text: object, limit: int = CAP) -> str:
    """str(text) cut to `limit` characters, with '…' when cut."""
    text = text if type(text) is str else short(text, limit)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TimeLimitExceeded(BaseException):
    """The answer ran past its time limit (a BaseException, so `except Exception` in it cannot swallow it)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after `seconds`; a no-op off the main thread or without SIGALRM."""
    usable = (
        seconds is not None
        and math.isfinite(seconds)
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f"ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---- a pristine library for the reference computations -----------------------------------------

_WATCHED_STDLIB = ("math", "builtins")
_snapshot: list[tuple[object, dict]] = []


def _ours(name: str) -> bool:
    return name == "micrograd_plus" or name.startswith("micrograd_plus.")


def _state() -> list[tuple[object, dict]]:
    """(object, its attributes) for our modules, their classes and functions, and math/builtins."""
    state: list[tuple[object, dict]] = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or not (_ours(name) or name in _WATCHED_STDLIB):
            continue
        namespace = vars(module)
        state.append((module, dict(namespace)))
        if not _ours(name):
            continue
        for value in list(namespace.values()):
            if isinstance(value, type) and _ours(getattr(value, "__module__", "") or ""):
                state.append((value, dict(vars(value))))
                state.extend(_function_state(v) for v in vars(value).values() if isinstance(v, FunctionType))
            elif isinstance(value, FunctionType) and _ours(value.__module__ or ""):
                state.append(_function_state(value))
    return state


def _function_state(function: FunctionType) -> tuple[object, dict]:
    # a function can be changed in place: f.__code__ = other.__code__
    return function, {"__code__": function.__code__, "__defaults__": function.__defaults__}


def _restore(state: list[tuple[object, dict]]) -> None:
    for owner, saved in state:
        if isinstance(owner, FunctionType):
            for key, value in saved.items():
                if getattr(owner, key) is not value:
                    setattr(owner, key, value)
            continue
        current = vars(owner)
        for key in [key for key in current if key not in saved]:
            _delete(owner, key)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                _assign(owner, key, value)


_MISSING = object()


def _assign(owner: object, key: str, value: object) -> None:
    if isinstance(owner, ModuleType):
        vars(owner)[key] = value
    else:
        try:
            setattr(owner, key, value)
        except (AttributeError, TypeError):  # a slot that cannot be set (e.g. __dict__): it cannot be patched
            pass


def _delete(owner: object, key: str) -> None:
    if isinstance(owner, ModuleType):
        vars(owner).pop(key, None)
    else:
        try:
            delattr(owner, key)
        except (AttributeError, TypeError):
            pass


def take_snapshot() -> None:
    """Remember the library as it is now (called once, when micrograd_plus.exercises is imported)."""
    if not _snapshot:
        _snapshot.extend(_state())


@contextmanager
def pristine_library() -> Iterator[None]:
    """Inside the block the library is as it was imported; afterwards, as the notebook had made it."""
    if not _snapshot:
        yield
        return
    notebook = _state()
    _restore(_snapshot)
    try:
        yield
    finally:
        _restore(notebook)
