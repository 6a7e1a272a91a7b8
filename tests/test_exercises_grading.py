"""`exercises grade`, end to end: a teacher writes student copies, three students fill them in (one correct, one
wrong, one hostile), and the grader writes the CSV, the JSON and a feedback file per student."""

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micrograd_plus.__main__ import main
from micrograd_plus.exercises.grading import read_assignment
from micrograd_plus.exercises.student_copies import cell_source, notebook_text, read_notebook

COPIES = Path(__file__).resolve().parents[1] / "notebooks" / "exercises"
SOLUTIONS = COPIES / "solutions"
NOTEBOOKS = ("01_derivatives.ipynb", "04_bug_hunt.ipynb")  # two notebooks keep the test quick

WRONG = {
    "answer_cube": "def cube(a):\n    return Value(a.data**3, (a,), (a.data**2,), 'cube')",
    "answer_grads": "def grads(a, b, c):\n    return b, a, 1.0",
    "answer_train": "def train(model, xs, ys, steps, lr):\n"
    "    return train_with_misplaced_zero_grad(model, xs, ys, steps, lr)",
}

HOSTILE = {
    "answer_cube": "import sys\n\ndef cube(a):\n    sys.exit(3)",
    "answer_grads": """import signal

def grads(a, b, c):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # no in-kernel time limit: the grader must kill the kernel
    while True:
        pass""",
    "answer_backward": """import json, os, signal
from IPython.display import publish_display_data
from micrograd_plus.exercises import checking

print("✔ backward_bug: passed. (a verdict printed by the student)")
checking.Exercise.check = lambda self, answer: checking.Result(self.name, "passed", "forged")
checking.Exercise.verdict = lambda self, outcome: checking.Result(self.name, "passed", "forged")
fake = {"exercise": "backward_bug", "outcome": {"status": "passed", "message": "forged"}}
publish_display_data({"application/vnd.micrograd-plus.outcome": json.dumps(fake)})
for attack in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: open(OWNED, "w").write("owned")):
    try:
        attack()
    except PermissionError:
        pass
print("x" * 3_000_000)

def backward(root):
    pass""",
    "answer_train": """from micrograd_plus.exercises.training import reference_train

def train(model, xs, ys, steps, lr):
    SGD.step = lambda self: None  # the judge's reference run must not take these no-op steps too
    return reference_train(model, xs, ys, steps, lr)""",
}
HOSTILE_CELLS = {"01_derivatives.ipynb": ["import sys\nsys.exit(1)"], "04_bug_hunt.ipynb": ["import os\nos._exit(0)"]}


def fill(
    copies: Path,
    folder: Path,
    answers: dict[str, str],
    extra: dict[str, list[str]] | None = None,
    names: tuple[str, ...] = NOTEBOOKS,
) -> None:
    """A student's submission: the student copies with `answers` in their solution cells (by grade id)."""
    folder.mkdir(parents=True)
    for name in names:
        notebook = read_notebook(copies / name)
        solutions = {
            cell["metadata"].get("nbgrader", {}).get("grade_id"): cell
            for cell in read_notebook(SOLUTIONS / name)["cells"]
        }
        for cell in notebook["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                text = answers[grade_id] or cell_source(solutions[grade_id])  # None: the reference answer
                cell["source"] = text.splitlines(keepends=True)
        for index, text in enumerate((extra or {}).get(name, [])):
            cell = {"cell_type": "code", "execution_count": None, "id": f"extra-{index}", "metadata": {}, "outputs": []}
            notebook["cells"].append(cell | {"source": text})
        (folder / name).write_text(notebook_text(notebook), encoding="utf-8")


def test_a_teacher_grades_a_class_of_three_students(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(SOLUTIONS / name, source / name)
    assert main(["exercises", "student-copies", str(tmp_path / "copies"), "--source", str(source)]) == 0
    submissions, owned = tmp_path / "submissions", tmp_path / "owned.txt"
    correct = dict.fromkeys(["answer_cube", "answer_grads", "answer_backward", "answer_train", "written_zero_grad"])
    fill(tmp_path / "copies", submissions / "alice", correct)
    fill(tmp_path / "copies", submissions / "bob", WRONG)
    hostile = {key: text.replace("OWNED", repr(str(owned))) for key, text in HOSTILE.items()}
    fill(tmp_path / "copies", submissions / "mallory", hostile, HOSTILE_CELLS)
    capsys.readouterr()

    out = tmp_path / "grades" / "grades.csv"
    started = time.perf_counter()
    argv = ["exercises", "grade", str(submissions), "--out", str(out), "--source", str(source), "--time-limit", "3"]
    assert main(argv) == 0
    seconds = time.perf_counter() - started

    printed = capsys.readouterr().out
    assert [line.split(":")[0] for line in printed.splitlines()[:6]] == [
        f"[{i + 1}/6] {student}/{name}"
        for i, (student, name) in enumerate((s, n) for s in ("alice", "bob", "mallory") for n in NOTEBOOKS)
    ]
    rows = {row["student"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    verdicts = {
        student: [row[name] for name in ("cube_op", "chain_rule", "backward_bug", "zero_grad_bug")]
        for student, row in rows.items()
    }
    assert verdicts == {
        "alice": ["passed", "passed", "passed", "passed"],
        "bob": ["failed", "failed", "not attempted", "failed"],
        "mallory": ["error", "timed out", "failed", "failed"],
    }
    assert {student: (row["points"], row["out_of"]) for student, row in rows.items()} == {
        "alice": ("8", "8"),
        "bob": ("0", "8"),
        "mallory": ("0", "8"),
    }
    assert [rows[s]["written_zero_grad"] for s in ("alice", "bob", "mallory")] == ["to grade by hand"] + [
        "not attempted"
    ] * 2
    assert not owned.exists()  # the guard refused the write (and the kill: this test is still running)

    feedback = {path.stem: path.read_text(encoding="utf-8") for path in (out.parent / "grades-feedback").iterdir()}
    assert sorted(feedback) == ["alice", "bob", "mallory"]
    assert "at a = 2.0 your local derivative is 4.0, but finite differences give 12" in feedback["bob"]
    assert "the loss stays at 0.1718 and the parameters never move, as in the buggy loop" in feedback["bob"]
    assert "your code tried to stop Python (SystemExit: 3" in feedback["mallory"]
    assert "checking your answer ran for more than 3 s and was stopped" in feedback["mallory"]
    assert "root.grad is still 0, and so is every other gradient" in feedback["mallory"]
    assert (
        "note: the cell starting `import os` stopped the kernel; the cells after it ran without it"
        in feedback["mallory"]
    )
    assert "forged" not in json.dumps(feedback)
    details = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert details["students"]["alice"]["notebooks"]["04_bug_hunt.ipynb"]["written"][0]["answer"].startswith("In words")
    print(f"\n{out.read_text(encoding='utf-8')}graded 3 students x 2 notebooks in {seconds:.1f} s")


def test_a_missing_or_damaged_notebook_is_graded_not_a_crash(tmp_path):
    source = tmp_path / "solutions"
    source.mkdir()
    shutil.copy(SOLUTIONS / "04_bug_hunt.ipynb", source)
    (tmp_path / "in" / "carol").mkdir(parents=True)
    (tmp_path / "in" / "dave").mkdir()
    (tmp_path / "in" / "dave" / "04_bug_hunt.ipynb").write_text("{not json")
    out = tmp_path / "grades.csv"
    assert main(["exercises", "grade", str(tmp_path / "in"), "--out", str(out), "--source", str(source)]) == 0
    rows = {row["student"]: row for row in csv.DictReader(out.open())}
    assert (rows["carol"]["zero_grad_bug"], rows["dave"]["zero_grad_bug"]) == ("not submitted", "error")
    dave = (tmp_path / "grades-feedback" / "dave.txt").read_text()
    assert "note: 04_bug_hunt.ipynb could not be read: save it again from Jupyter (details: Expecting property" in dave
    assert dave.count("Expecting property") == 1 and str(tmp_path) not in dave
    header = ["student", "points", "out_of", "zero_grad_bug", "zero_grad_bug points"]
    header += ["written_zero_grad", "written_zero_grad points"]  # the teacher fills in the written answer's points
    assert out.read_text().splitlines()[0] == ",".join(header)
    assert (rows["carol"]["written_zero_grad"], rows["carol"]["written_zero_grad points"]) == ("not submitted", "")
    carol = (tmp_path / "grades-feedback" / "carol.txt").read_text()
    assert carol.startswith("Feedback for carol: 0 of 2 auto-graded points (1 more to grade by hand)\n")


@pytest.mark.parametrize(
    "layout, words",
    [
        ("empty", "holds no student folders; put each student's notebooks in"),
        ("file", "is a file, not a folder of student folders"),
        ("missing", "does not exist"),
        ("no time", "the time limit must be a positive number of seconds, got 0.0"),
    ],
)
def test_a_wrong_submissions_folder_or_time_limit_is_one_clear_line(tmp_path, capsys, layout, words):
    submissions = tmp_path / "in"
    if layout == "empty":
        submissions.mkdir()
    elif layout == "no time":
        (submissions / "alice").mkdir(parents=True)
    elif layout == "file":
        submissions.write_text("")
    limit = "0" if layout == "no time" else "60"
    assert main(["exercises", "grade", str(submissions), "--out", str(tmp_path / "g.csv"), "--time-limit", limit]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_the_assignment_is_read_from_the_solutions_nbgrader_metadata():
    assignments = {a.notebook: a for a in read_assignment(SOLUTIONS)}
    bug_hunt = assignments["04_bug_hunt.ipynb"]
    assert [(c.exercise, c.answer, c.points) for c in bug_hunt.checks] == [("zero_grad_bug", "train", 2.0)]
    assert [(w.grade_id, w.points) for w in bug_hunt.written] == [("written_zero_grad", 1.0)]
    assert "YOUR ANSWER HERE" in bug_hunt.written[0].stub


GUARD = """
import gc, json, os, subprocess, sys
from micrograd_plus.exercises.sandbox import prepare

workdir, private, outside = sys.argv[1:4]
prepare(workdir, [private])
attempts = {
    "write here": lambda: open(os.path.join(workdir, "notes.txt"), "w").write("ok"),
    "write outside": lambda: open(outside, "w"),
    "read private": lambda: open(os.path.join(private, "answers.txt")).read(),
    "list private": lambda: os.listdir(private),
    "remove outside": lambda: os.remove(outside + ".kept"),
    "signal": lambda: os.kill(os.getppid(), 0),
    "spawn": lambda: subprocess.run(["true"]),
    "ctypes": lambda: __import__("ctypes").CDLL(None),
    "gc walk": lambda: gc.get_objects(),
    "raise limits": lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (-1, -1)),
}
results = {}
for name, attempt in attempts.items():
    try:
        attempt()
        results[name] = "allowed"
    except PermissionError:
        results[name] = "refused"
print(json.dumps(results))
"""


def test_the_guard_in_a_graded_kernel_refuses_what_could_harm_the_grader_or_other_students(tmp_path):
    workdir, private = tmp_path / "work", tmp_path / "others"
    workdir.mkdir()
    private.mkdir()
    (private / "answers.txt").write_text("alice's work")
    (tmp_path / "outside.kept").write_text("keep me")
    done = subprocess.run(
        [sys.executable, "-c", GUARD, str(workdir), str(private), str(tmp_path / "outside")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    results = json.loads(done.stdout)
    assert results.pop("write here") == "allowed"
    assert results == dict.fromkeys(results, "refused")
    assert (tmp_path / "outside.kept").exists() and not (tmp_path / "outside").exists()


def test_an_out_that_cannot_be_written_is_refused_before_any_notebook_runs(tmp_path, capsys):
    (tmp_path / "in" / "alice").mkdir(parents=True)
    (tmp_path / "blocker").write_text("a file where a folder should be")
    for out in (tmp_path / "blocker" / "grades.csv", tmp_path / "in"):
        assert main(["exercises", "grade", str(tmp_path / "in"), "--out", str(out)]) != 0
        error = capsys.readouterr()
        assert "--out" in error.err and "[1/" not in error.out


def bug_hunt_only(tmp_path: Path) -> Path:
    """A solutions folder with one notebook, 04_bug_hunt (one check, one written answer): the quickest to grade."""
    source = tmp_path / "solutions"
    source.mkdir()
    shutil.copy(SOLUTIONS / "04_bug_hunt.ipynb", source)
    return source


def test_with_relative_paths_a_notebook_still_cannot_read_a_classmates_work_or_earlier_grades(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the kernel runs elsewhere: a relative private path must not reach it as such
    bug_hunt_only(tmp_path)
    fill(COPIES, tmp_path / "in" / "alice", {}, names=("04_bug_hunt.ipynb",))
    (tmp_path / "grades.json").write_text("{}")  # an earlier run's grades (replaced: --force)
    targets = (tmp_path / "in" / "alice" / "04_bug_hunt.ipynb", tmp_path / "grades.json")
    peeks = [f"# a peek\nopen({str(path)!r}).read()" for path in targets]
    cells = [*peeks, "x = 1\ndef broken(:\n    pass"]
    fill(COPIES, tmp_path / "in" / "mallory", {}, {"04_bug_hunt.ipynb": cells}, names=("04_bug_hunt.ipynb",))
    argv = ["exercises", "grade", "in", "--out", "grades.csv", "--source", "solutions", "--time-limit", "5", "--force"]
    assert main(argv) == 0
    notes = json.loads((tmp_path / "grades.json").read_text())["students"]["mallory"]["notebooks"]
    notes = notes["04_bug_hunt.ipynb"]["notes"]
    quoted = [f"open({str(path)!r}).read()" for path in targets]  # each cell's first line of code, cut at 60
    assert notes == [
        f"the cell starting `{line[:59]}…` raised PermissionError on its line 2: reading {path} is not allowed "
        "while the grader runs your notebook"
        for line, path in zip(quoted, targets, strict=True)
    ] + ["the cell starting `x = 1` raised SyntaxError on its line 2: invalid syntax"]


STRIPPED = "metadata stripped"
WRITTEN_CHANGES = {  # a change to the student copy of 04_bug_hunt: the written answer's status
    "none": "not attempted",
    "the placeholder deleted": "not attempted",
    "the answer below the placeholder": "to grade by hand",
    "the answer instead of the placeholder": "to grade by hand",
    STRIPPED: "not attempted",
    f"the answer below the placeholder, {STRIPPED}": "to grade by hand",
    "the answer in a new cell below": "to grade by hand",
    f"the answer in a new cell below, {STRIPPED}": "to grade by hand",
    "the answer cell deleted, the answer in a new cell": "to grade by hand",
}


@pytest.mark.parametrize("change", WRITTEN_CHANGES)
def test_a_written_answer_is_to_grade_by_hand_wherever_the_student_wrote_it(change):
    assignment = next(a for a in read_assignment(SOLUTIONS) if a.notebook == "04_bug_hunt.ipynb")
    notebook = read_notebook(COPIES / "04_bug_hunt.ipynb")
    cells = notebook["cells"]
    index = next(i for i, cell in enumerate(cells) if "YOUR ANSWER HERE" in cell_source(cell))
    answer = "Right after backward(), zero_grad() wipes the gradients that step() needs."
    text = cell_source(cells[index])
    if "placeholder" in change:
        replacement = {"deleted": "", "below": f"YOUR ANSWER HERE\n\n{answer}", "instead": answer}
        text = text.replace("YOUR ANSWER HERE", next(v for k, v in replacement.items() if k in change))
    cells[index]["source"] = text
    if "new cell" in change:
        cells.append({"cell_type": "markdown", "id": "mine", "metadata": {}, "source": answer})
    if "deleted" in change and "cell" in change:
        del cells[index]
    if STRIPPED in change:
        for cell in cells:
            cell["metadata"] = {}
    [written] = assignment.written_answers(notebook)
    assert written["status"] == WRITTEN_CHANGES[change]
    if "new cell" in change:
        assert written["message"] == "check the markdown cells after the question"
        assert answer in written["answer"]


def test_a_misnamed_or_misplaced_notebook_is_not_submitted_and_the_note_says_what_it_may_be(tmp_path, capsys):
    source = tmp_path / "solutions"
    source.mkdir()
    for name in ("01_derivatives.ipynb", "02_gradient_descent.ipynb", "03_training_loop.ipynb"):
        shutil.copy(SOLUTIONS / name, source)
    submissions = tmp_path / "in"
    misnamed = {  # no notebook under its expected name: none runs, so this test is quick
        "alice": ["alice/01_derivatives.ipynb", ".ipynb_checkpoints/01_derivatives-checkpoint.ipynb"],
        "bob": ["01_derivatives (1).ipynb", "03_Training_Loop.ipynb", "02-gradient-descent.ipynb", "notes.ipynb"],
        "carol": [],
        "__MACOSX": ["alice/._01_derivatives.ipynb"],  # what macOS adds to a zip file
        ".git": [],
    }
    for student, names in misnamed.items():
        (submissions / student).mkdir(parents=True)
        for name in names:
            (submissions / student / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(COPIES / "01_derivatives.ipynb", submissions / student / name)
    (submissions / "loose.ipynb").write_text("{}")
    (submissions / "grades-feedback").mkdir()  # the feedback of an earlier run, with --out inside SUBMISSIONS
    out = submissions / "grades.csv"
    assert main(["exercises", "grade", str(submissions), "--out", str(out), "--source", str(source), "--force"]) == 0
    printed = capsys.readouterr().out
    rows = {row["student"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert {row["cube_op"] for row in rows.values()} == {"not submitted"}
    bob = (submissions / "grades-feedback" / "bob.txt").read_text(encoding="utf-8")
    for note in (
        "01_derivatives (1).ipynb was not graded: did you mean 01_derivatives.ipynb?",
        "03_Training_Loop.ipynb was not graded: did you mean 03_training_loop.ipynb?",
        "02-gradient-descent.ipynb was not graded: did you mean 02_gradient_descent.ipynb?",
        "notes.ipynb was not graded: it is not one of the assignment's notebooks (01_derivatives.ipynb, ",
    ):
        assert note in bob and f"bob: {note}" in printed
    alice = "alice/01_derivatives.ipynb was not graded: did you mean 01_derivatives.ipynb in the student's folder, "
    alice += "not a subfolder?"
    assert alice in (submissions / "grades-feedback" / "alice.txt").read_text() and f"alice: {alice}" in printed
    assert "checkpoint" not in printed and "MACOSX" not in printed
    assert f"{submissions / 'loose.ipynb'} is in no student's folder, so it was not graded" in printed
    assert "graded 3 students in" in printed


def test_one_student_is_one_student(tmp_path, capsys):
    (tmp_path / "in" / "carol").mkdir(parents=True)
    assert main(["exercises", "grade", str(tmp_path / "in"), "--out", str(tmp_path / "g.csv")]) == 0
    assert "graded 1 student in" in capsys.readouterr().out


def test_grades_of_an_earlier_run_are_kept_unless_forced_and_then_replaced_whole(tmp_path, capsys):
    (tmp_path / "in" / "carol").mkdir(parents=True)  # nothing to run: quick
    out, feedback = tmp_path / "grades.csv", tmp_path / "grades-feedback"
    feedback.mkdir()
    (feedback / "a student who left.txt").write_text("stale")
    out.write_text("student,points\ncarol,25\n")  # the teacher added the written answers' points by hand
    argv = ["exercises", "grade", str(tmp_path / "in"), "--out", str(out), "--source", str(bug_hunt_only(tmp_path))]
    assert main(argv) == 2
    error = capsys.readouterr()
    assert "grades.csv and grades-feedback already exist" in error.err and "--force" in error.err
    assert "[1/" not in error.out and out.read_text() == "student,points\ncarol,25\n"
    assert main([*argv, "--force"]) == 0
    assert sorted(path.name for path in feedback.iterdir()) == ["carol.txt"]  # no stale feedback left
    assert out.read_text().startswith("student,points,out_of,")


@pytest.mark.parametrize("blocker", ["grades.json", "grades-feedback/carol.txt", "/proc/g.csv"])
def test_an_output_that_cannot_be_written_is_refused_before_grading_and_nothing_is_written(tmp_path, capsys, blocker):
    if blocker.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    (tmp_path / "in" / "carol").mkdir(parents=True)
    out = Path(blocker) if blocker.startswith("/") else tmp_path / "grades.csv"  # /proc: nobody may write there
    if out.parent != Path("/proc"):
        (tmp_path / blocker).mkdir(parents=True)  # a folder where a file goes
    source = str(bug_hunt_only(tmp_path))
    assert main(["exercises", "grade", str(tmp_path / "in"), "--out", str(out), "--source", source, "--force"]) == 2
    error = capsys.readouterr()
    assert "[1/" not in error.out and "--out" in error.err, error.err
    assert not (tmp_path / "grades.csv").exists()


def test_a_failure_while_writing_leaves_no_partial_set_of_grades(tmp_path, capsys):
    (tmp_path / "in" / ("x" * 252)).mkdir(parents=True)  # a name the file system takes, but not with ".txt" added
    out = tmp_path / "grades.csv"
    source = str(bug_hunt_only(tmp_path))
    assert main(["exercises", "grade", str(tmp_path / "in"), "--out", str(out), "--source", source]) == 2
    assert "File name too long" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in", "solutions"]
