"""The `exercises` subcommand: list the exercises, write student copies, grade a class.

    python -m micrograd_plus exercises list
    python -m micrograd_plus exercises student-copies OUT [--source FOLDER] [--force] [--hide-solutions]
    python -m micrograd_plus exercises grade SUBMISSIONS [--out grades.csv] [--source FOLDER] [--time-limit S]

The solution notebooks are not installed with the package: by default they are read from
notebooks/exercises/solutions of the source checkout this package runs from; --source names another folder.
"""

import argparse
import sys
from pathlib import Path

from . import EXERCISES
from .student_copies import default_source, write_student_copies


def list_exercises(args: argparse.Namespace) -> int:
    """Print each exercise with its lesson and title."""
    for exercise in EXERCISES:
        print(f"lesson {exercise.lesson}  {exercise.name:<17}  {exercise.title}")
    return 0


def student_copies(args: argparse.Namespace) -> int:
    """Write the student notebooks into args.out; report each file and how many solutions it stubs."""
    source = args.source if args.source is not None else default_source()
    try:
        written = write_student_copies(source, args.out, force=args.force, hide_solutions=args.hide_solutions)
    except (OSError, ValueError) as error:  # a missing folder or a malformed marker: say which, no traceback
        print(f"micrograd-plus exercises student-copies: error: {error}", file=sys.stderr)
        return 1
    for path, count in written:
        plural = "s" if count != 1 else ""
        print(f"wrote {path} ({count} solution{plural} replaced by stub{plural})")
    return 0


def grade_class(args: argparse.Namespace) -> int:
    """Grade every student folder in args.submissions; print a line per notebook, then where the grades are."""
    from .grading import grade
    from .kernels import KernelUnavailable

    try:
        grades = grade(args.submissions, args.out, args.source, args.time_limit, progress=print)
    except (OSError, ValueError, KeyError, KernelUnavailable, ImportError) as error:
        print(f"micrograd-plus exercises grade: error: {error}", file=sys.stderr)
        return 1
    out = Path(args.out)
    print(
        f"graded {len(grades.students)} students in {grades.seconds:.1f} s: wrote {out}, "
        f"{out.with_suffix('.json')} and {out.parent / (out.stem + '-feedback')}/"
    )
    return 0


def add_parser(subparsers) -> None:
    """Register `exercises` with its actions, `list`, `student-copies` and `grade`."""
    parser = subparsers.add_parser("exercises", help="classroom exercises: list them, write student copies, grade")
    actions = parser.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the exercises and their lessons")
    listing.set_defaults(run=list_exercises)
    copies = actions.add_parser(
        "student-copies",
        help="write the exercise notebooks with every solution replaced by a stub",
        description="Copy the solution notebooks into OUT, replacing each '### BEGIN SOLUTION' ... "
        "'### END SOLUTION' block with `raise NotImplementedError()`, and clearing outputs.",
    )
    copies.add_argument("out", metavar="OUT", type=Path, help="folder for the student notebooks (created if missing)")
    copies.add_argument(
        "--source",
        type=Path,
        default=None,
        help=f"folder of solution notebooks (default: {default_source()})",
    )
    copies.add_argument(
        "--force",
        action="store_true",
        help="overwrite notebooks of the same name already in OUT (by default an existing one is an error)",
    )
    copies.add_argument(
        "--hide-solutions",
        action="store_true",
        help="switch off solution() and the last hint in the copies (a locked first cell does it)",
    )
    copies.set_defaults(run=student_copies)
    grading = actions.add_parser(
        "grade",
        help="run every student's notebooks and write grades (CSV, JSON) and a feedback file per student",
        description="SUBMISSIONS holds one folder per student, with the notebooks under the solution notebooks' "
        "names (SUBMISSIONS/alice/01_derivatives.ipynb). Each notebook runs in a fresh kernel.",
    )
    grading.add_argument("submissions", metavar="SUBMISSIONS", type=Path, help="folder of student folders")
    grading.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default: grades.csv)")
    grading.add_argument("--source", type=Path, default=None, help="folder of solution notebooks (default: the repo's)")
    grading.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per notebook cell and per exercise check (default 60)"
    )
    grading.set_defaults(run=grade_class)


__all__ = ["add_parser", "list_exercises", "student_copies", "grade_class"]
