"""What an assignment grades, read from the solution notebooks' nbgrader metadata, and its written answers.

Each check cell (nbgrader metadata `grade: true`) names an exercise and the student's answer
(`cube_op.check(cube)`) and carries its points; a markdown answer cell with `grade` and `solution` is a
written answer, left to the teacher: it is "to grade by hand" when the student wrote anything beyond the
stub, in that cell or in markdown cells added after it, and "not attempted" otherwise.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from . import get_exercise
from .checking import NOT_ATTEMPTED
from .student_copies import MARKDOWN_STUB, cell_source, read_notebook, strip_solutions, student_notebook

__all__ = ["Assignment", "Check", "Written", "read_assignment", "nbgrader_metadata", "WRITTEN_TO_GRADE"]

WRITTEN_TO_GRADE = "to grade by hand"


@dataclass(frozen=True)
class Check:
    """One graded check cell: which exercise, the expression for the student's answer, and its points."""

    exercise: str
    answer: str
    points: float


@dataclass(frozen=True)
class Written:
    """A written answer (an nbgrader manually graded markdown cell) and what the student copy holds there."""

    grade_id: str
    points: float
    stub: str


@dataclass(frozen=True)
class Assignment:
    """One solution notebook: its file name, its checks, its written answers, and its student copy's markdown."""

    notebook: str
    checks: tuple[Check, ...]
    written: tuple[Written, ...]
    markdown: frozenset[str] = frozenset()  # the student copy's markdown cells, stripped: any other is the student's

    def written_answers(self, notebook: dict | None) -> list[dict]:
        """Each written answer's status in a student's notebook: to grade by hand if they wrote beyond the stub.

        The answer is looked for in its cell (found by nbgrader grade_id or, in a notebook that lost its metadata,
        by its question), without the question and "YOUR ANSWER HERE"; then in markdown cells added after it.
        """
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        cells = [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []
        answers = []
        for written in self.written:
            at = _answer_cell(written, cells)
            text = cell_source(cells[at]) if at is not None else ""
            answer, message = text if _beyond(text, written.stub) else "", ""
            if not answer:
                answer = _added_markdown(cells, at, self.markdown)
                message = "check the markdown cells after the question" if answer else ""
            answers.append(
                {
                    "grade_id": written.grade_id,
                    "status": WRITTEN_TO_GRADE if answer else NOT_ATTEMPTED,
                    "out_of": written.points,
                    "answer": answer[:2000],
                    "message": message,
                }
            )
        return answers


def nbgrader_metadata(cell: object) -> dict:
    """A cell's nbgrader metadata ({} if it has none, or the notebook is damaged)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def _answer_cell(written: Written, cells: list[dict]) -> int | None:
    """The index of a written answer's cell: by its grade_id, else the markdown cell asking its question."""
    for index, cell in enumerate(cells):
        if nbgrader_metadata(cell).get("grade_id") == written.grade_id:
            return index
    question = next((line.strip() for line in written.stub.splitlines() if line.strip() not in ("", MARKDOWN_STUB)), "")
    for wanted in filter(None, (question, MARKDOWN_STUB)):
        for index, cell in enumerate(cells):
            if cell.get("cell_type") == "markdown" and wanted in cell_source(cell):
                return index
    return None


def _beyond(text: str, stub: str) -> bool:
    """Whether an answer cell holds anything but the stub's lines (the question) and "YOUR ANSWER HERE"."""
    return bool(_lines(text.replace(MARKDOWN_STUB, "")) - _lines(stub))


def _added_markdown(cells: list[dict], at: int | None, known: frozenset[str]) -> str:
    """The text of markdown cells the student added after the answer cell (anywhere, if that cell is gone)."""
    added = []
    for cell in cells[0 if at is None else at + 1 :]:
        text = cell_source(cell).strip() if cell.get("cell_type") == "markdown" else ""
        if text in known and at is not None:
            break  # the next part of the notebook
        if text and text not in known:
            added.append(text)
    return "\n\n".join(added)


def read_assignment(source: str | Path) -> list[Assignment]:
    """The graded exercises of every solution notebook in `source`, from their nbgrader metadata."""
    source = Path(source)
    if source.is_file():
        raise ValueError(f"--source {source} is a file, not a folder; give the folder of solution notebooks")
    if not source.is_dir():
        raise FileNotFoundError(f"the solution notebooks folder {source} does not exist; pass --source")
    assignments = []
    for path in sorted(source.glob("*.ipynb")):
        checks, written = [], []
        notebook = read_notebook(path)
        for index, cell in enumerate(notebook.get("cells", [])):
            meta = nbgrader_metadata(cell)
            if not meta.get("grade"):
                continue
            points = meta.get("points", 0)
            if type(points) not in (int, float) or points < 0:
                raise ValueError(f"{path.name}, cell {index}: nbgrader points must be a number >= 0, got {points!r}")
            if cell.get("cell_type") == "markdown" and meta.get("solution"):
                stub = strip_solutions(cell_source(cell), markdown=True)[0]
                written.append(Written(str(meta.get("grade_id", f"cell-{index}")), float(points), stub))
            elif cell.get("cell_type") == "code":
                checks.append(_check_call(cell_source(cell), float(points), f"{path.name}, cell {index}"))
        if checks or written:
            copy = student_notebook(notebook, path.name)[0]["cells"]
            markdown = frozenset(cell_source(cell).strip() for cell in copy if cell.get("cell_type") == "markdown")
            assignments.append(Assignment(path.name, tuple(checks), tuple(written), markdown))
    if not assignments:
        raise FileNotFoundError(f"found no graded notebooks (nbgrader check cells) in {source}; pass --source")
    names = [check.exercise for assignment in assignments for check in assignment.checks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{source}: each exercise may be graded once, but {repeated} have several check cells")
    return assignments


def _check_call(source: str, points: float, where: str) -> Check:
    """The first `exercise.check(answer)` call in a check cell's code."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "check"
            and isinstance(node.func.value, ast.Name)
            and len(node.args) == 1
        ):
            get_exercise(node.func.value.id)  # a KeyError names the exercises there are
            return Check(node.func.value.id, ast.unparse(node.args[0]), points)
    raise ValueError(f"{where} is a graded cell but calls no exercise's check(answer)")
