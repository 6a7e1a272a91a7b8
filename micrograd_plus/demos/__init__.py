"""End-to-end demos, each a function that the command line and the notebooks call.

What the demos share lives here: argparse types, the error guard of every subcommand, the check of an
output folder, and the text tables they print.
"""

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["whole_number", "guarded", "output_folder", "format_table", "USER_ERRORS"]

# What a demo raises when its input is wrong (a file, a value) or its computation cannot go on (an overflow,
# a model that does not fit its file): each becomes one line on stderr rather than a traceback.
USER_ERRORS = (OSError, ValueError, TypeError, ArithmeticError, RuntimeError)


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `minimum`, or argparse's usage error naming what was received."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {number}")
        return number

    return parse


def guarded(
    run: Callable[[argparse.Namespace], int | None], overflow_hint: str | None = None
) -> Callable[[argparse.Namespace], int]:
    """Wrap a subcommand's run(args) so that a user's mistake prints one line and exits 2, not a traceback.

    The line reads `micrograd-plus COMMAND: error: MESSAGE` (argparse's own style; COMMAND is the `command`
    the subcommand set with set_defaults). `overflow_hint` says what to change when a calculation overflows
    (an ArithmeticError), e.g. "lower --lr". Ctrl-C stops quietly with exit code 130, the shell's code for it.
    """

    @functools.wraps(run)
    def run_guarded(args: argparse.Namespace) -> int:
        where = " ".join(["micrograd-plus", *([args.command] if getattr(args, "command", None) else [])])
        try:
            return run(args) or 0
        except KeyboardInterrupt:
            print(f"\n{where}: interrupted", file=sys.stderr)
            return 130
        except USER_ERRORS as error:
            message = str(error) or type(error).__name__
            if isinstance(error, ArithmeticError) and overflow_hint:
                happened = "overflowed" if isinstance(error, OverflowError) else "failed"
                message = f"a calculation {happened} ({message}); {overflow_hint}"
            print(f"{where}: error: {message}", file=sys.stderr)
            return 2

    return run_guarded


def output_folder(out: str | os.PathLike, option: str = "out") -> Path:
    """`out` as a folder that exists (created if missing); a ValueError naming `option` if it cannot be one.

    Demos call this before they train, so a wrong --out fails in a second, not after minutes of work.
    """
    folder = Path(out)
    blocker = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if blocker is not None and not blocker.is_dir():
        where = "" if blocker == folder else f" cannot be made: {str(blocker)!r}"
        raise ValueError(
            f"{option} {str(folder)!r}{where} is a file, not a folder; give the name of a folder for the output "
            "files (it is created if missing)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"{option} {str(folder)!r}: cannot create this folder ({error.strerror or error})") from None
    return folder


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], aligns: str, widths: Sequence[int] | None = None
) -> str:
    """Headers and rows as lines of text: column i left- ('<') or right-aligned ('>') in widths[i] characters.

    Without `widths`, each column is as wide as its widest cell, with two spaces before every column but the
    first. A cell wider than its column pushes the rest of its line right rather than being cut.
    """
    if widths is None:
        widths = [
            max(len(str(cell)) for cell in column) + (2 if i else 0) for i, column in enumerate(zip(headers, *rows))
        ]
    if not len(headers) == len(aligns) == len(widths) or set(aligns) - {"<", ">"}:
        raise ValueError(
            f"format_table needs one alignment ('<' or '>') and one width per column: {len(headers)} headers, "
            f"aligns {aligns!r}, {len(widths)} widths"
        )
    lines = []
    for row in [headers, *rows]:
        cells = [f"{str(cell):{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True)]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)
