"""Grade a whole class: `grade(SUBMISSIONS, out="grades.csv")`, behind `micrograd-plus exercises grade`.

Layout: one folder per student, named after the student, holding their exercise notebooks under the
names of the solution notebooks:

    SUBMISSIONS/alice/01_derivatives.ipynb
    SUBMISSIONS/alice/04_bug_hunt.ipynb
    SUBMISSIONS/bob/01_derivatives.ipynb       (a missing notebook: its exercises are "not submitted")

Any other notebook is not graded, but noted with the name it probably meant (see submissions.py).

The solution notebooks (`source`) say what is graded (see assignment.py): the check cells, each naming an
exercise and carrying its points, and the written answers, left to the teacher. Each submitted notebook
runs in a fresh kernel (see kernels.py): the student's cells, then one report per exercise.
The reports are plain data that are judged here, in a process where no student code ever ran.

Written (see grade_files.py): `out` (a CSV, one row per student: points, and each exercise's status and
points), the same name with .json (every message), and a folder `<name>-feedback/` with one text file per
student. A summary for the teacher (ClassGrades.summary()) lists the notebooks that were not graded.
"""

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import get_exercise
from .assignment import Assignment, Check, nbgrader_metadata, read_assignment
from .checking import ERROR, PASSED, Result
from .grade_files import GradeFiles
from .kernels import require_kernels, run_notebook
from .student_copies import cell_source, default_source, read_notebook
from .submissions import find_notebooks, student_folders

__all__ = ["grade", "read_assignment", "Assignment", "ClassGrades", "NOT_SUBMITTED"]

NOT_SUBMITTED = "not submitted"  # no notebook under the expected name; "not attempted" is a stub left as it was


@dataclass
class ClassGrades:
    """Everything grade() found: per student, per exercise, a status, points and the checker's message."""

    exercises: list[Check]
    students: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # for the teacher: notebooks that were not graded
    files: list[Path] = field(default_factory=list)  # what was written: the CSV, the JSON, the feedback folder

    def summary(self) -> str:
        """The end of a run, for the teacher: how many students, the files written, and what was not graded."""
        count, missed = len(self.students), len(self.warnings)
        table, details, feedback = self.files
        wrote = f"wrote {table}, {details} and {feedback}/"
        lines = [f"graded {count} student{'s' * (count != 1)} in {self.seconds:.1f} s: {wrote}"]
        if missed:
            lines.append(f"{missed} notebook{'s' * (missed != 1)} not graded; check:")
            lines += [f"  {warning}" for warning in self.warnings]
        return "\n".join(lines)


def grade(
    submissions: str | Path,
    out: str | Path = "grades.csv",
    source: str | Path | None = None,
    time_limit: float = 60.0,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> ClassGrades:
    """Grade every student's notebooks in `submissions`; write `out` (CSV), its .json and its feedback folder.

    `time_limit` is in seconds, per cell of a notebook and per exercise check. `progress` receives one line
    per notebook. Nothing a student's notebook does stops the run; each problem is reported in its grade.
    Earlier grades at `out` are an error unless `force` (see grade_files.py).
    """
    started = time.perf_counter()
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit < math.inf:
        raise ValueError(f"the time limit must be a positive number of seconds, got {time_limit!r}")
    submissions, out = Path(submissions), Path(out)
    assignments = read_assignment(default_source() if source is None else source)
    files = GradeFiles(out, force)  # checked before any work
    students, warnings = student_folders(submissions, skip=(files.feedback.resolve(),))
    require_kernels()
    # what a student's code may not read while it runs: the other students' work, the grades, the solutions;
    # resolved here, since the kernel runs in a folder of its own, where a relative path means another place
    private = [path.resolve() for path in (submissions, *files.paths, Path(source or default_source()))]
    grades = ClassGrades([check for assignment in assignments for check in assignment.checks], warnings=warnings)
    total, done = len(students) * len(assignments), 0
    for student, folder in students:
        found, notes = find_notebooks(folder, [assignment.notebook for assignment in assignments])
        record = grades.students[student] = {"notebooks": {}, "notes": notes}
        grades.warnings.extend(f"{student}: {note}" for note in notes)
        for assignment in assignments:
            began = time.perf_counter()
            notebook = _grade_notebook(assignment, found.get(assignment.notebook), time_limit, private)
            record["notebooks"][assignment.notebook] = notebook
            done += 1
            if progress is not None:
                passed = sum(e["status"] == PASSED for e in notebook["exercises"])
                graded = f"{passed} of {len(notebook['exercises'])} passed" if assignment.notebook in found else ""
                progress(
                    f"[{done}/{total}] {student}/{assignment.notebook}: {graded or NOT_SUBMITTED} "
                    f"({time.perf_counter() - began:.1f} s)"
                )
        exercises = [e for nb in record["notebooks"].values() for e in nb["exercises"]]
        record["points"] = sum(e["points"] for e in exercises)
        record["out_of"] = sum(e["out_of"] for e in exercises)
        record["by_hand"] = sum(w["out_of"] for nb in record["notebooks"].values() for w in nb["written"])
    grades.seconds = time.perf_counter() - started
    files.write(grades, assignments)
    grades.files = files.paths
    return grades


def _grade_notebook(assignment: Assignment, path: Path | None, time_limit: float, private: list[Path]) -> dict:
    """Run one student's notebook (None: not submitted) and judge each exercise; written answers are read from it."""
    notes: list[str] = []
    outcomes: dict[str, object] = {}
    notebook: dict | None = None
    if path is None:
        missing = {"status": NOT_SUBMITTED, "message": f"{assignment.notebook} was not submitted.", "points": 0.0}
        exercises = [{"exercise": check.exercise, **missing, "out_of": check.points} for check in assignment.checks]
        written = [{**answer, "status": NOT_SUBMITTED} for answer in assignment.written_answers(None)]
        return {"exercises": exercises, "written": written, "notes": notes}
    try:
        notebook = read_notebook(path)
        cells = _code_cells(notebook)
    except (OSError, ValueError) as error:
        notebook = None
        # the decoder's own words, once; read_notebook's message would show the teacher's path to the student
        details = error.strerror if isinstance(error, OSError) else str(error.__context__ or error)
        notes.append(f"{assignment.notebook} could not be read: save it again from Jupyter (details: {details})")
        broken = {"status": ERROR, "message": "the notebook could not be read (see the note below)."}
        outcomes = {check.exercise: broken for check in assignment.checks}
    else:
        reports = [
            (
                check.exercise,
                "from micrograd_plus.exercises.sandbox import report\n"
                f"report({check.exercise!r}, lambda: ({check.answer}), {time_limit!r})",
            )
            for check in assignment.checks
        ]
        run = run_notebook(cells, reports, time_limit, private)
        outcomes, notes = run.outcomes, run.notes
    exercises = []
    for check in assignment.checks:
        result = get_exercise(check.exercise).verdict(outcomes.get(check.exercise))
        if check.exercise not in outcomes:
            result = Result(check.exercise, ERROR, "the notebook stopped before this exercise could be checked.")
        exercises.append(
            {
                **asdict(result),
                "points": check.points if result.passed else 0.0,
                "out_of": check.points,
            }
        )
    return {"exercises": exercises, "written": assignment.written_answers(notebook), "notes": notes}


def _code_cells(notebook: dict) -> list[str]:
    """The source of each code cell to run: all but the check cells, which the reports replace."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("the notebook has no list of cells; is it damaged?")
    code = [cell for cell in notebook["cells"] if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    return [cell_source(cell) for cell in code if not _is_check(nbgrader_metadata(cell))]


def _is_check(meta: dict) -> bool:
    return bool(meta.get("grade") and not meta.get("solution"))
