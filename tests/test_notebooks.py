"""The notebooks: committed without outputs, free of library code, and each one runs top to bottom.

Each notebook runs in a fresh python3 kernel (this interpreter: jupyter_client starts the kernel with
sys.executable) with its working directory in tmp_path, so files it saves never land in the repo.
Solution notebooks must pass every check(); the student copies the CLI writes must run with every
check() reporting "not attempted" instead of crashing.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from micrograd_plus.exercises.student_copies import write_student_copies

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "exercises" / "solutions").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell: a hang fails the test instead of stalling CI
VERDICT = re.compile(r"^\S+ (\w+): (passed|failed|not attempted|error)\.", re.MULTILINE)


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell raises
    return notebook


def output_text(notebook: nbformat.NotebookNode) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                texts.append(output.data.get("text/plain", ""))
    return "\n".join(texts)


def verdicts(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return VERDICT.findall(output_text(notebook))


def names(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(NOTEBOOKS)) for path in paths]


def test_the_course_has_its_lessons_and_exercises():
    assert len(LESSONS) >= 4
    assert len(SOLUTIONS) >= 4
    assert [path.name[:2] for path in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=names(LESSONS + SOLUTIONS))
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {index} has an execution count: clear outputs"


def code_of(cell: nbformat.NotebookNode) -> str:
    # IPython magics (%matplotlib inline) are not Python: leave them out of the parse
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))


@pytest.mark.parametrize("path", LESSONS, ids=names(LESSONS))
def test_lesson_defines_no_library_code(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(code_of(cell))):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)), (
                f"cell {index} defines {node.name}: reusable code belongs in the micrograd_plus package"
            )
    assert "from micrograd_plus" in "".join(cell.source for cell in notebook.cells), "a lesson uses the package"


@pytest.mark.parametrize("path", LESSONS, ids=names(LESSONS))
def test_lesson_runs_top_to_bottom(path, tmp_path):
    notebook = execute(path, tmp_path)
    assert any(cell.get("outputs") for cell in notebook.cells)


@pytest.mark.parametrize("path", SOLUTIONS, ids=names(SOLUTIONS))
def test_solution_notebook_runs_and_every_check_passes(path, tmp_path):
    found = verdicts(execute(path, tmp_path))
    assert found, "a solution notebook should call check() at least once"
    assert all(status == "passed" for _, status in found), found


@pytest.mark.parametrize("path", SOLUTIONS, ids=names(SOLUTIONS))
def test_student_copy_runs_with_checks_not_attempted(path, tmp_path):
    students = tmp_path / "students"
    written = dict(write_student_copies(path.parent, students))
    copy = students / path.name
    assert written[copy] >= 1, "each exercise notebook should mark at least one solution"
    source = copy.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in source and "END SOLUTION" not in source
    found = verdicts(execute(copy, tmp_path))
    assert found and all(status == "not attempted" for _, status in found), found
    check_cells = [cell for cell in nbformat.read(copy, as_version=4).cells if ".check(" in cell.source]
    assert len(found) == len(check_cells)
