"""Finding a class's notebooks in SUBMISSIONS: one folder per student, and what looks misnamed or misplaced.

A notebook is graded only under its solution notebook's name, directly in the student's folder. Any other
notebook gets a note, for the student and the teacher, with the name it probably meant: names are compared
ignoring case, "-" against "_", and the suffixes of a second download (" (1)") or a Jupyter copy ("-Copy1");
a notebook one subfolder down (alice/alice/01_derivatives.ipynb, from unzipping) is found too.
Folders that hold no student are skipped: hidden ones (.ipynb_checkpoints, .git), macOS's __MACOSX, and the
grader's own output folder when --out lies inside SUBMISSIONS.
"""

import re
from pathlib import Path

__all__ = ["student_folders", "find_notebooks"]

NOT_STUDENTS = {"__MACOSX"}


def _skipped(folder: Path, skip: tuple[Path, ...] = ()) -> bool:
    return folder.name.startswith(".") or folder.name in NOT_STUDENTS or folder.resolve() in skip


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ipynb" and p.is_file())


def student_folders(submissions: Path, skip: tuple[Path, ...] = ()) -> tuple[list[tuple[str, Path]], list[str]]:
    """(name, folder) of each student in `submissions`, and a warning for each notebook outside every folder.

    `skip`: resolved folders that are not students' (the grader's own output).
    """
    if submissions.is_file():
        raise ValueError(f"SUBMISSIONS {submissions} is a file, not a folder of student folders")
    if not submissions.is_dir():
        raise FileNotFoundError(f"the submissions folder {submissions} does not exist")
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not _skipped(p, skip))
    if not folders:
        raise FileNotFoundError(
            f"{submissions} holds no student folders; put each student's notebooks in {submissions}/STUDENT/"
        )
    warnings = [
        f"{path} is in no student's folder, so it was not graded; put it in {submissions}/STUDENT/"
        for path in _notebooks(submissions)
    ]
    return [(folder.name, folder) for folder in folders], warnings


def find_notebooks(folder: Path, expected: list[str]) -> tuple[dict[str, Path], list[str]]:
    """The notebooks in a student's `folder` named as `expected`, and a note on each other notebook found."""
    found = {path.name: path for path in _notebooks(folder) if path.name in expected}
    others = [path for path in _notebooks(folder) if path.name not in found]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not _skipped(p)):
        others.extend(_notebooks(sub))
    meant = {_key(name): name for name in expected}
    notes = []
    for path in others:
        shown = path.relative_to(folder).as_posix()
        guess = meant.get(_key(path.name))
        if guess is None:
            reason = f"it is not one of the assignment's notebooks ({', '.join(expected)})"
        elif guess in found:
            reason = f"{guess} was"
        else:
            reason = f"did you mean {guess}" + (
                " in the student's folder, not a subfolder?" if path.parent != folder else "?"
            )
        notes.append(f"{shown} was not graded: {reason}")
    return found, notes


def _key(name: str) -> str:
    """A notebook's name as compared: "02-Gradient-Descent (1).ipynb" and "02_gradient_descent.ipynb" agree."""
    stem = re.sub(r"(\s*\(\d+\)|-copy\d*)$", "", Path(name).stem.strip().lower())
    return re.sub(r"[\s_-]+", "_", stem)
