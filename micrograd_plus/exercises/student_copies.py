"""Student copies: the solution notebooks with every marked solution replaced by a stub.

The solution notebooks mark each answer with nbgrader's convention:

    def cube(a):
        ### BEGIN SOLUTION
        return Value(a.data**3, (a,), (3 * a.data**2,), "cube")
        ### END SOLUTION

and the student copy gets, at the same indentation,

        # YOUR CODE HERE
        raise NotImplementedError()

so the student's function exists, and check() reports it as "not attempted" until it is written.
In markdown cells the answer becomes "YOUR ANSWER HERE". A code solution must sit inside a
function or class: at the top level of a cell its stub would stop the whole notebook.
Notebooks are read and written as plain JSON (nbformat 4), so this needs nothing beyond Python.
"""

import copy
import json
from pathlib import Path

from ..files import OutputFolder, save_json

__all__ = ["BEGIN_SOLUTION", "END_SOLUTION", "strip_solutions", "student_notebook", "write_student_copies"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"


def default_source() -> Path:
    """notebooks/exercises of the repository this package was imported from (a source checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks" / "exercises"


def strip_solutions(source: str, where: str = "cell", markdown: bool = False) -> tuple[str, int]:
    """`source` with each BEGIN/END SOLUTION block replaced by a stub, and how many blocks were replaced."""
    lines = source.split("\n")
    kept: list[str] = []
    count = 0
    begin_line = 0
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        if marker.startswith(BEGIN_SOLUTION):
            if begin_line:
                raise ValueError(
                    f"{where}, line {number}: '{BEGIN_SOLUTION}' inside the solution opened on line {begin_line}; "
                    f"close that one with '{END_SOLUTION}' first"
                )
            begin_line = number
            count += 1
            indent = line[: len(line) - len(line.lstrip())]
            if markdown:
                kept.append(indent + MARKDOWN_STUB)
            elif not indent:
                raise ValueError(
                    f"{where}, line {number}: a solution at the top level of a code cell would stop the student's "
                    "notebook at this cell; put it inside a function (def answer(): ...) so that check() can "
                    "report 'not attempted'"
                )
            else:
                kept.extend(indent + stub for stub in CODE_STUB)
        elif marker.startswith(END_SOLUTION):
            if not begin_line:
                raise ValueError(f"{where}, line {number}: '{END_SOLUTION}' without a '{BEGIN_SOLUTION}' before it")
            begin_line = 0
        elif not begin_line:
            kept.append(line)
    if begin_line:
        raise ValueError(f"{where}, line {begin_line}: '{BEGIN_SOLUTION}' has no '{END_SOLUTION}' after it")
    return "\n".join(kept), count


def student_notebook(notebook: dict, name: str = "notebook") -> tuple[dict, int]:
    """A copy of a notebook (nbformat 4 JSON as a dict) with solutions stubbed and outputs cleared."""
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4 or not isinstance(notebook.get("cells"), list):
        raise ValueError(
            f"{name} is not an nbformat 4 notebook (expected a JSON object with 'nbformat': 4 and 'cells')"
        )
    student = copy.deepcopy(notebook)
    total = 0
    for index, cell in enumerate(student["cells"]):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        stubbed, count = strip_solutions(text, f"{name}, cell {index}", markdown=cell.get("cell_type") == "markdown")
        total += count
        cell["source"] = stubbed.splitlines(keepends=True)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return student, total


def write_student_copies(source: Path, out: Path, force: bool = False) -> list[tuple[Path, int]]:
    """Write a student copy of every notebook in `source` into `out`; return (path, solutions replaced) for each.

    Notebooks already in `out` may hold a student's work: unless `force`, any existing target is an error.
    """
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise FileNotFoundError(f"the solution notebooks folder {source} does not exist; pass --source with the folder")
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"found no .ipynb notebooks in {source}; pass --source with the solution notebooks")
    if out.resolve() == source.resolve():
        raise ValueError(f"OUT ({out}) is the solutions folder itself; writing there would erase the solutions")
    output = OutputFolder(out, [path.name for path in notebooks], "OUT")  # a folder we can write into, or an error now
    existing = [out / path.name for path in notebooks if (out / path.name).exists()]
    if existing and not force:
        names = ", ".join(path.name for path in existing)
        raise FileExistsError(
            f"{out} already holds {names}; a student's work may be in them, so nothing was written. "
            "Choose another folder, or pass --force to overwrite them"
        )
    students = []
    for path in notebooks:  # convert all before writing any, so a bad marker leaves no half-written folder
        with path.open(encoding="utf-8") as file:
            notebook = json.load(file)
        students.append((path.name, *student_notebook(notebook, path.name)))
    with output.writing() as staging:  # all the notebooks, or none
        for name, notebook, _ in students:
            save_json(staging / name, notebook)
    return [(out / name, count) for name, _, count in students]
