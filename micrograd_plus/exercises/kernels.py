"""Running a student's notebook for the grader: a fresh kernel per notebook, a time limit per cell, capped output.

The grader never trusts what the kernel says about itself: it reads only the outcome that
sandbox.report() publishes under its MIME type, and judges it in its own process. A cell that runs
past its time limit or kills the kernel (os._exit, a crash) costs a restart: a new kernel replays
the cells that ran before, without the bad one, and grading goes on.
"""

import json
import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import MIME

__all__ = ["NotebookRun", "run_notebook", "require_kernels", "KernelUnavailable"]

OUTPUT_BUDGET = 100_000  # characters of ordinary output kept per cell; the rest is dropped
REPORT_BUDGET = 1_000_000  # characters of one report
GRACE = 5.0  # seconds the grader waits past the in-kernel time limit before it kills the kernel
MAX_RESTARTS = 3


_QUIET = logging.getLogger("micrograd_plus.exercises.kernels")
_QUIET.setLevel(logging.CRITICAL)
_QUIET.propagate = False


class KernelUnavailable(RuntimeError):
    """No Python kernel could be started: the grader's environment, not a student, is at fault."""


def require_kernels() -> None:
    """Raise KernelUnavailable, saying what to install, unless nbclient and ipykernel can be imported."""
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
    except ImportError as error:
        raise KernelUnavailable(
            f"grading runs notebooks with nbclient and ipykernel, and {error.name} is missing: "
            "pip install 'micrograd_plus[classroom]'"
        ) from None


@dataclass
class NotebookRun:
    """What running one notebook gave: each report's outcome (None if none came back) and notes for feedback."""

    outcomes: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Job:
    kind: str  # "cell" (the student's, named by its first line of code) or "report" (an exercise's)
    name: str
    code: str


def run_notebook(
    cells: list[str], reports: list[tuple[str, str]], time_limit: float, private: list[Path]
) -> NotebookRun:
    """Run the student's code `cells` (their sources), then each report ((exercise, code)), in order.

    Each cell and each report gets `time_limit` seconds; after a timeout or a dead kernel the next jobs
    run in a new kernel that first replays the cells that completed. At most MAX_RESTARTS restarts.
    """
    require_kernels()
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    jobs = [_Job("cell", _cell_name(source), source) for source in cells]
    jobs += [_Job("report", name, code) for name, code in reports]
    run = NotebookRun()
    skipped: set[int] = set()
    position, restarts = 0, 0
    with tempfile.TemporaryDirectory(prefix="micrograd-plus-grading-") as workdir:
        while position < len(jobs):
            if restarts > MAX_RESTARTS:
                run.notes.append(f"the notebook stopped its kernel {restarts} times; the rest was not run")
                break
            with _Kernel(workdir, private) as kernel:
                current = position
                try:
                    for current in range(position):  # replay what ran before, in a fresh kernel
                        if jobs[current].kind == "cell" and current not in skipped:
                            kernel.run(jobs[current].code, time_limit)
                    for current in range(position, len(jobs)):
                        job = jobs[current]
                        grace = min(GRACE, time_limit) if job.kind == "report" else 0.0  # the report stops itself first
                        outputs = kernel.run(job.code, time_limit + grace)
                        _record(run, job, outputs)
                        position = current + 1
                except (CellTimeoutError, DeadKernelError) as failure:
                    died = isinstance(failure, DeadKernelError)
                    stopped = "stopped the kernel" if died else f"ran for more than {time_limit:g} s and was stopped"
                    job = jobs[current]
                    if job.kind == "cell":
                        run.notes.append(f"{job.name} {stopped}; the cells after it ran without it")
                        skipped.add(current)
                    else:
                        run.outcomes[job.name] = {
                            "status": "error" if died else "timed out",
                            "message": f"checking your answer {stopped}.",
                        }
                    position = max(position, current + 1)
                    restarts += 1
    return run


def _cell_name(source: str) -> str:
    """How a note names a cell, for a student: by its first line of code (cell numbers count markdown too)."""
    line = next((line.strip() for line in source.splitlines() if line.strip()[:1] not in ("", "#")), "")
    return f"the cell starting `{line if len(line) <= 60 else line[:59] + '…'}`"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks


def _error_note(cell: str, error: dict) -> str:
    """'CELL raised NAME on its line N: MESSAGE', the line read from IPython's traceback ("Cell In[7], line 2")."""
    trace = _ANSI.sub("", "\n".join(map(str, error.get("traceback") or [])))
    frames = re.findall(r"Cell In\[(\d+)\], line (\d+)", trace)  # outermost first: the first is this cell
    line = next((number for run, number in reversed(frames) if run == frames[0][0]), None) if frames else None
    message = re.sub(r"\s*\([^()]*, line \d+\)$", "", str(error.get("evalue", "")))  # SyntaxError's "(x.py, line 2)"
    where, said = f" on its line {line}" if line else "", f": {message[:300]}" if message else ""
    return f"{cell} raised {str(error.get('ename', 'an error'))[:80]}{where}{said}"


def _record(run: NotebookRun, job: _Job, outputs: list[dict]) -> None:
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if job.kind == "cell":
        run.notes.extend(_error_note(job.name, error) for error in errors[:1])
        return
    for output in outputs:
        payload = output.get("data", {}).get(MIME) if output.get("output_type") == "display_data" else None
        if isinstance(payload, str) and len(payload) <= REPORT_BUDGET:
            try:
                report = json.loads(payload)
            except ValueError:
                continue
            if isinstance(report, dict) and report.get("exercise") == job.name:
                run.outcomes[job.name] = report.get("outcome")
                return
    ename = f" ({str(errors[0].get('ename'))[:80]})" if errors else ""
    run.outcomes[job.name] = {
        "status": "error",
        "message": f"no result came back from the notebook's kernel{ename}; does the notebook change how cells run?",
    }


class _Kernel:
    """A fresh python3 kernel in `workdir`, with a clean environment, its output to /dev/null, and the guard on."""

    def __init__(self, workdir: str, private: list[Path]):
        from nbclient import NotebookClient
        from nbformat.v4 import new_code_cell, new_notebook

        class CappedClient(NotebookClient):
            used = 0

            def output(self, outs, msg, display_id, cell_index):
                content = msg.get("content", {})
                data = content.get("data") or {}
                size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in data.values())
                if MIME not in data:
                    self.used += size + len("".join(map(str, content.get("traceback") or [])))
                    if self.used > OUTPUT_BUDGET:
                        return None  # a flood: dropped, as is all later output of this cell
                return super().output(outs, msg, display_id, cell_index)

            def handle_comm_msg(self, outs, msg, cell_index):
                return None  # widgets are not graded

        self.cell = new_code_cell("")
        self.client = CappedClient(
            new_notebook(cells=[self.cell]),
            log=_QUIET,  # a timeout or a dead kernel is reported in the student's grade, not as a log line
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": workdir}},
        )
        self.workdir, self.private = workdir, private

    def __enter__(self) -> "_Kernel":
        try:
            self.context = self.client.setup_kernel(
                env=_environment(self.workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.context.__enter__()
        except Exception as error:
            raise KernelUnavailable(
                f"could not start a Python kernel to run the notebooks ({type(error).__name__}: {error}); "
                "install ipykernel and nbclient (pip install 'micrograd_plus[classroom]')"
            ) from None
        prelude = (
            "from micrograd_plus.exercises.sandbox import prepare\n"
            f"prepare({self.workdir!r}, {[str(path) for path in self.private]!r})"
        )
        outputs = self.run(prelude, 60.0)
        if any(output.get("output_type") == "error" for output in outputs):
            self.__exit__(None, None, None)
            raise KernelUnavailable(f"the kernel could not import micrograd_plus: {outputs}")
        return self

    def run(self, code: str, timeout: float) -> list[dict]:
        """Execute `code`; its outputs. Raises nbclient's CellTimeoutError or DeadKernelError."""
        self.cell.source, self.cell.outputs = code, []
        self.client.used = 0
        self.client.timeout = max(1, round(timeout))
        self.client.execute_cell(self.cell, 0)
        return list(self.cell.outputs)

    def __exit__(self, *exc_info) -> None:
        try:
            self.context.__exit__(None, None, None)
        except Exception:  # a kernel that is already gone
            pass


def _environment(workdir: str) -> dict[str, str]:
    """The kernel's environment: no secrets of the teacher's, a home of its own, and our package importable."""
    keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    home = Path(workdir)
    env.update(
        HOME=str(home),
        TMPDIR=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    return env
