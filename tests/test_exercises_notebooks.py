"""The exercise notebooks: the solutions are the source, the committed student versions are generated from them,
and nbgrader accepts the source (generate_assignment) and grades it (autograde) as our own grader does.

(tests/test_notebooks.py runs every solution notebook, all checks passing, and a student copy of each.)
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_plus.exercises import EXERCISES
from micrograd_plus.exercises.grading import read_assignment
from micrograd_plus.exercises.student_copies import (
    HIDDEN_INSTRUCTIONS,
    INSTRUCTIONS,
    SOLUTIONS_ONLY,
    cell_source,
    notebook_text,
    read_notebook,
    student_notebook,
)

EXERCISE_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks" / "exercises"
SOLUTIONS = EXERCISE_NOTEBOOKS / "solutions"
REGENERATE = "python -m micrograd_plus exercises student-copies notebooks/exercises --force"


def test_the_committed_student_versions_are_exactly_the_generated_copies():
    solutions = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
    students = sorted(path.name for path in EXERCISE_NOTEBOOKS.glob("*.ipynb"))
    assert students == solutions, f"one student version per solution notebook; run {REGENERATE}"
    for name in solutions:
        expected = notebook_text(student_notebook(read_notebook(SOLUTIONS / name), name)[0])
        assert (EXERCISE_NOTEBOOKS / name).read_text(encoding="utf-8") == expected, (
            f"notebooks/exercises/{name} is out of date with solutions/{name}: run {REGENERATE}"
        )


@pytest.mark.parametrize("name", sorted(path.name for path in SOLUTIONS.glob("*.ipynb")))
def test_a_solution_notebook_says_so_and_its_student_version_holds_no_answer(name):
    cells = read_notebook(SOLUTIONS / name)["cells"]
    banner = [cell for cell in cells if SOLUTIONS_ONLY in cell["metadata"].get("tags", [])]
    assert len(banner) == 1 and "Solutions: the teacher's copy" in cell_source(banner[0])
    assert f"](../{name})" in cell_source(banner[0])  # it links to the student version
    student = (EXERCISE_NOTEBOOKS / name).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "teacher's copy"):
        assert marker not in student


def test_every_exercise_is_graded_once_with_points_and_every_answer_is_an_nbgrader_solution_cell():
    assignments = read_assignment(SOLUTIONS)
    graded = [check.exercise for assignment in assignments for check in assignment.checks]
    assert sorted(graded) == sorted(exercise.name for exercise in EXERCISES)
    assert all(check.points > 0 for assignment in assignments for check in assignment.checks)
    assert [w.grade_id for a in assignments for w in a.written] == ["written_zero_grad"]
    for path in SOLUTIONS.glob("*.ipynb"):
        cells = read_notebook(path)["cells"]
        for index, cell in enumerate(cells):
            meta = cell["metadata"].get("nbgrader", {})
            if "### BEGIN SOLUTION" in cell_source(cell):
                assert meta.get("solution"), f"{path.name}, cell {index}: an answer outside an nbgrader solution cell"
            if ".check(" in cell_source(cell) and cell["cell_type"] == "code":
                assert meta.get("grade") and meta.get("locked"), f"{path.name}, cell {index}: an unlocked check"
        first_code = next(cell for cell in cells if cell["cell_type"] == "code")
        assert first_code["metadata"]["nbgrader"]["locked"], f"{path.name}: the imports cell should be locked"


NBGRADER = """
import sys
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader

config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
config.CourseDirectory.root = "."
api = NbGraderAPI(config=config)
results = [api.generate_assignment("exercises")]
results += [api.autograde("exercises", student) for student in sys.argv[1:] if results[-1]["success"]]
if not results[-1]["success"]:
    sys.exit(results[-1].get("error", "") + results[-1].get("log", ""))
"""


def nbgrader(course: Path, *students: str) -> None:
    """nbgrader generate_assignment, then autograde for each student: one process (its import takes seconds)."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", NBGRADER, *students], cwd=course, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_nbgrader_generates_the_assignment_and_autogrades_it_like_our_grader(tmp_path):
    pytest.importorskip("nbgrader")
    course = tmp_path / "course"
    shutil.copytree(SOLUTIONS, course / "source" / "exercises")
    shutil.copy(EXERCISE_NOTEBOOKS / "nbgrader_config.py", course)
    release = course / "release" / "exercises"
    graded = ["01_derivatives.ipynb", "04_bug_hunt.ipynb"]  # two notebooks keep the test quick
    for student in ("teacher", "blank"):
        (course / "submitted" / student / "exercises").mkdir(parents=True)
        for name in graded:
            origin = SOLUTIONS if student == "teacher" else EXERCISE_NOTEBOOKS  # ours: same cells as nbgrader's
            shutil.copy(origin / name, course / "submitted" / student / "exercises" / name)
    nbgrader(course, "teacher", "blank")
    for path in SOLUTIONS.glob("*.ipynb"):  # nbgrader's student version has the same cells as ours
        theirs = [cell_source(cell) for cell in read_notebook(release / path.name)["cells"]]
        ours = [cell_source(cell) for cell in read_notebook(EXERCISE_NOTEBOOKS / path.name)["cells"]]
        assert theirs == ours, path.name

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("teacher", "blank"):
            submission = gradebook.find_submission("exercises", student)
            scores[student] = {
                grade.name: (grade.score, grade.max_score, grade.needs_manual_grade)
                for notebook in submission.notebooks
                if notebook.name + ".ipynb" in graded
                for grade in notebook.grades
            }
    points = {check.exercise: check.points for a in read_assignment(SOLUTIONS) for check in a.checks}
    expected = {f"check_{name}": points[name] for name in ("cube_op", "chain_rule", "backward_bug", "zero_grad_bug")}
    assert {k: v[0] for k, v in scores["teacher"].items() if k.startswith("check_")} == expected
    assert all(v[0] == 0 for k, v in scores["blank"].items() if k.startswith("check_"))
    assert scores["teacher"]["written_zero_grad"] == (0.0, 1.0, True)  # left to the teacher, as ours leaves it
    assert json.loads((release / graded[0]).read_text())["cells"][0]["cell_type"] == "markdown"


def test_every_exercise_notebook_gives_the_same_instructions_and_hidden_copies_promise_no_solution():
    for words in ("delete the `raise NotImplementedError()` line", "`hint()`", "`solution()` shows a reference answer"):
        assert words in INSTRUCTIONS
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        notebook = read_notebook(path)
        assert cell_source(notebook["cells"][0]).endswith("\n\n" + INSTRUCTIONS), f"{path.name}: not INSTRUCTIONS"
        hidden = student_notebook(notebook, path.name, hide_solutions=True)[0]
        markdown = "\n".join(cell_source(cell) for cell in hidden["cells"] if cell["cell_type"] == "markdown")
        assert HIDDEN_INSTRUCTIONS in markdown and "`solution()` shows" not in markdown, path.name
