"""The `exercises` subcommand: list the exercises, and write student copies of the exercise notebooks.

    python -m micrograd_plus exercises list
    python -m micrograd_plus exercises student-copies OUT [--source FOLDER] [--force]

The solution notebooks are not installed with the package: by default they are read from
notebooks/exercises of the source checkout this package runs from; --source names another folder.
"""

import argparse
import sys
from pathlib import Path

from . import EXERCISES
from .student_copies import default_source, write_student_copies


def list_exercises(args: argparse.Namespace) -> int:
    """Print each exercise with its lesson and title."""
    for exercise in EXERCISES:
        print(f"lesson {exercise.lesson}  {exercise.name:<14}  {exercise.title}")
    return 0


def student_copies(args: argparse.Namespace) -> int:
    """Write the student notebooks into args.out; report each file and how many solutions it stubs."""
    source = args.source if args.source is not None else default_source()
    try:
        written = write_student_copies(source, args.out, force=args.force)
    except (OSError, ValueError) as error:  # a missing folder or a malformed marker: say which, no traceback
        print(f"micrograd-plus exercises student-copies: error: {error}", file=sys.stderr)
        return 1
    for path, count in written:
        plural = "s" if count != 1 else ""
        print(f"wrote {path} ({count} solution{plural} replaced by stub{plural})")
    return 0


def add_parser(subparsers) -> None:
    """Register `exercises` with its two actions, `list` and `student-copies`."""
    parser = subparsers.add_parser("exercises", help="classroom exercises: list them, or write student copies")
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
    copies.set_defaults(run=student_copies)


__all__ = ["add_parser", "list_exercises", "student_copies"]
