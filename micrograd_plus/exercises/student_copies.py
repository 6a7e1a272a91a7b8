"""Student copies: the solution notebooks with every marked solution replaced by a stub.

The solution notebooks (notebooks/exercises/solutions/) are the single source, marked the way nbgrader
reads them, so `nbgrader generate_assignment` accepts them too:

    def cube(a):
        ### BEGIN SOLUTION
        return Value(a.data**3, (a,), (3 * a.data**2,), "cube")
        ### END SOLUTION

becomes, in the student copy, at the same indentation,

        # YOUR CODE HERE
        raise NotImplementedError()

so the student's function exists, and check() reports it as "not attempted" until it is written.
In markdown cells the answer becomes "YOUR ANSWER HERE". A code solution must sit inside a function
or class: at the top level of a cell its stub would stop the whole notebook. Lines between
`### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS` (what nbgrader's autograder asserts) are removed, and
so are whole cells tagged `solutions-only` (the banner saying the notebook holds the solutions). Cells
nbgrader locks (read-only and check cells) are marked non-editable, as nbgrader marks them.

Every solution notebook's introduction ends with the same paragraph, INSTRUCTIONS. With `hide_solutions`,
each copy starts with a locked cell that calls show_solutions(False): solution() and the last hint then say
the teacher switched them off, and the copy's INSTRUCTIONS become HIDDEN_INSTRUCTIONS, which do not
promise them. (A nudge, not a lock: the reference solutions are in the installed package's source.)
Notebooks are read and written as plain JSON (nbformat 4), so this needs nothing beyond Python.
"""

import copy
import json
from pathlib import Path

from ..files import OutputFolder, read_input, write_atomically

__all__ = [
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "INSTRUCTIONS",
    "HIDDEN_INSTRUCTIONS",
    "SOLUTIONS_ONLY",
    "default_source",
    "strip_solutions",
    "student_notebook",
    "write_student_copies",
    "notebook_text",
    "read_notebook",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
SOLUTIONS_ONLY = "solutions-only"  # the tag of cells that only the solution notebooks keep
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"
_HOW = (
    "Write your answer where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run\n"
    "the check cell below it: it answers at once, and names what is off. Stuck? `hint()` gives a first nudge,\n"
)
INSTRUCTIONS = _HOW + "`hint(2)` and `hint(3)` more; `solution()` shows a reference answer."
HIDDEN_INSTRUCTIONS = _HOW + "`hint(2)` more (your teacher switched off the last hint and `solution()` for this class)."
HIDE_SOLUTIONS_CELL = (
    "# Set by your teacher: solution() and the last hint of each exercise are switched off in this class.\n"
    "from micrograd_plus.exercises import show_solutions\n"
    "\n"
    "show_solutions(False)"
)


def default_source() -> Path:
    """notebooks/exercises/solutions of the repository this package was imported from (a source checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks" / "exercises" / "solutions"


def strip_solutions(source: str, where: str = "cell", markdown: bool = False) -> tuple[str, int]:
    """`source` with each BEGIN/END SOLUTION block replaced by a stub (and hidden tests removed); how many stubs."""
    lines = source.split("\n")
    kept: list[str] = []
    count = 0
    opened: tuple[str, int] | None = None  # (the END marker awaited, the line of its BEGIN)
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        begin = next((pair for pair in _REGIONS if marker.startswith(pair[0])), None)
        end = next((pair for pair in _REGIONS if marker.startswith(pair[1])), None)
        if begin:
            if opened:
                kind = "solution" if opened[0] == END_SOLUTION else "hidden tests"
                raise ValueError(
                    f"{where}, line {number}: '{begin[0]}' inside the {kind} opened on line {opened[1]}; "
                    f"close that one with '{opened[0]}' first"
                )
            opened = (begin[1], number)
            if begin[0] == BEGIN_SOLUTION:
                count += 1
                kept.extend(_stub(line, where, number, markdown))
        elif end:
            if not opened or opened[0] != end[1]:
                raise ValueError(f"{where}, line {number}: '{end[1]}' without a '{end[0]}' before it")
            opened = None
        elif not opened:
            kept.append(line)
    if opened:
        begin = next(pair[0] for pair in _REGIONS if pair[1] == opened[0])
        raise ValueError(f"{where}, line {opened[1]}: '{begin}' has no '{opened[0]}' after it")
    return "\n".join(kept), count


_REGIONS = ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN))


def _stub(line: str, where: str, number: int, markdown: bool) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    if markdown:
        return [indent + MARKDOWN_STUB]
    if not indent:
        raise ValueError(
            f"{where}, line {number}: a solution at the top level of a code cell would stop the student's "
            "notebook at this cell; put it inside a function (def answer(): ...) so that check() can "
            "report 'not attempted'"
        )
    return [indent + stub for stub in CODE_STUB]


def student_notebook(notebook: dict, name: str = "notebook", hide_solutions: bool = False) -> tuple[dict, int]:
    """A copy of a notebook (nbformat 4 JSON as a dict) with solutions stubbed and outputs cleared."""
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4 or not isinstance(notebook.get("cells"), list):
        raise ValueError(
            f"{name} is not an nbformat 4 notebook (expected a JSON object with 'nbformat': 4 and 'cells')"
        )
    student = copy.deepcopy(notebook)
    cells = []
    total = 0
    for index, cell in enumerate(student["cells"]):
        if not isinstance(cell, dict):
            raise ValueError(f"{name}, cell {index} is not a JSON object; is the notebook damaged?")
        metadata = cell.setdefault("metadata", {})
        if SOLUTIONS_ONLY in metadata.get("tags", []):
            continue
        stubbed, count = strip_solutions(
            cell_source(cell), f"{name}, cell {index}", markdown=cell.get("cell_type") == "markdown"
        )
        if hide_solutions and cell.get("cell_type") == "markdown":
            stubbed = stubbed.replace(INSTRUCTIONS, HIDDEN_INSTRUCTIONS)
        total += count
        cell["source"] = stubbed.splitlines(keepends=True)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        nbgrader = metadata.get("nbgrader", {})
        if nbgrader.get("locked") or (nbgrader.get("grade") and not nbgrader.get("solution")):
            metadata.update(editable=False, deletable=False)  # as nbgrader's LockCells marks them
        elif nbgrader.get("solution"):
            metadata["deletable"] = False
        cells.append(cell)
    if hide_solutions:
        cells.insert(1 if cells else 0, _hide_solutions_cell())
    student["cells"] = cells
    return student, total


def cell_source(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _hide_solutions_cell() -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "teacher-settings",
        "metadata": {"editable": False, "deletable": False},
        "outputs": [],
        "source": HIDE_SOLUTIONS_CELL.splitlines(keepends=True),
    }


def read_notebook(path: Path) -> dict:
    """The JSON of the notebook at `path`; a ValueError naming the file if it is not readable JSON."""
    try:  # read within files.INPUT_LIMIT: a huge file, or a device, is refused before it is read whole
        return json.loads(read_input(path, "a notebook (.ipynb)").decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start}); is it a notebook?"
        ) from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a readable notebook: its JSON is damaged ({error})") from None


def notebook_text(notebook: dict) -> str:
    """A notebook as Jupyter writes it (sorted keys, one-space indent), so saving it again changes nothing."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_student_copies(
    source: Path, out: Path, force: bool = False, hide_solutions: bool = False
) -> list[tuple[Path, int]]:
    """Write a student copy of every notebook in `source` into `out`; return (path, solutions replaced) for each.

    Notebooks already in `out` may hold a student's work: unless `force`, any existing target is an error.
    """
    source, out = Path(source), Path(out)
    if source.is_file():
        raise ValueError(
            f"--source {source} is a file, not a folder; give the folder that holds the solution notebooks"
        )
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
    for path in notebooks:  # convert all before writing any, so a bad notebook leaves no half-written folder
        students.append((path.name, *student_notebook(read_notebook(path), path.name, hide_solutions)))
    with output.writing() as staging:  # all the notebooks, or none
        for name, notebook, _ in students:
            write_atomically(staging / name, notebook_text(notebook))
    return [(out / name, count) for name, _, count in students]
