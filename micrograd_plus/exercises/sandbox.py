"""What the class grader runs inside a student's kernel: limits and a guard first, then one report per exercise.

`prepare()` is the first cell of every graded kernel, before any of the student's cells. It caps memory
and file sizes, and installs an audit hook (which Python code cannot remove) that refuses to start
processes, send signals (a student's `os.kill(os.getppid(), 9)` would stop the grader), load C code
through ctypes, walk the garbage collector's objects, read the other students' folders, or write
anywhere but the kernel's own scratch folder. This is a guard against ordinary mischief, not a
security sandbox: grade untrusted code in a container or as a user who can read nothing else.

`report()` runs one exercise's collect() on the student's answer and publishes the outcome as plain
JSON under our own MIME type. The grader judges it in its own process; a student who forges a report
must put the right numbers in it, which is as hard as answering correctly.
"""

import json
import os
import sys

__all__ = ["MIME", "prepare", "report"]

MIME = "application/vnd.micrograd-plus.outcome"
_SPAWN = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen"}
_BLOCKED = _SPAWN | {"os.kill", "os.killpg", "pty.spawn", "resource.setrlimit", "resource.prlimit"}
_BLOCKED |= {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook"}
_CHANGES = {"os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod", "os.chown", "os.link"}
_CHANGES |= {"os.symlink", "os.mkdir", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile"}
_LISTS = {"os.listdir", "os.scandir", "glob.glob"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def prepare(workdir: str, private: list[str], memory_bytes: int = 4 << 30, file_bytes: int = 64 << 20) -> None:
    """Cap memory and file size, then guard the kernel (see the module docstring); cannot be undone."""
    try:
        import resource
        import signal

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big file is an OSError, not a dead kernel
    except (ImportError, ValueError, OSError):  # not on this platform: the grader's time limit still holds
        pass
    home = os.path.realpath(workdir)
    hidden = tuple(os.path.realpath(path) for path in private)

    def inside(path: object, folder: str) -> bool:
        try:
            full = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return full == folder or full.startswith(folder.rstrip(os.sep) + os.sep)

    def refuse(what: str) -> None:
        raise PermissionError(f"{what} is not allowed while the grader runs your notebook")

    def guard(event: str, args: tuple) -> None:
        if event in _BLOCKED or event.startswith("ctypes."):
            refuse(event)
        paths = [arg for arg in args if isinstance(arg, (str, bytes, os.PathLike))]
        if event in _LISTS or event == "open":
            if any(inside(path, folder) for path in paths[:1] for folder in hidden):
                refuse(f"reading {os.fsdecode(paths[0])}")
        if event == "open" and paths:
            mode, flags = args[1], args[2]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS
            if writes and not inside(paths[0], home):
                refuse(f"writing {os.fsdecode(paths[0])}")
        elif event in _CHANGES and not all(inside(path, home) for path in paths):
            refuse(f"{event} outside the notebook's own folder")

    sys.addaudithook(guard)


def report(name: str, get_answer, time_limit: float) -> None:
    """Collect exercise `name` on the answer `get_answer()` returns, and publish the outcome (plain data)."""
    from IPython.display import publish_display_data

    from . import get_exercise
    from .checking import ERROR

    try:
        answer = get_answer()
    except NameError as error:
        outcome = {
            "status": ERROR,
            "message": f"the notebook does not define what this exercise checks ({error}); did the cell that "
            "defines it raise an error, or was it renamed?",
        }
    except BaseException as error:
        outcome = {"status": ERROR, "message": f"reading the answer raised {type(error).__name__}"}
    else:
        outcome = get_exercise(name).outcome(answer, time_limit=time_limit, grading=True)
    publish_display_data({MIME: json.dumps({"exercise": name, "outcome": outcome})})
