"""The command line: `python -m micrograd_plus SUBCOMMAND [options]`, or `micrograd-plus SUBCOMMAND [options]`.

All argument parsing lives here, and the one error guard: a user's mistake (a bad option, a missing or
damaged file, a setting a demo refuses, a calculation that overflows) prints one line,
`micrograd-plus SUBCOMMAND: error: ...`, and exits with status 2; Ctrl-C exits with 130. This file only turns
text into arguments and calls a demo; the demos check their settings and do the work.

To add a subcommand, write `_name_options(parser)` (its arguments; None if it has none) and `_run_name(args)`
(it calls the demo), then add one `Subcommand(...)` line to SUBCOMMANDS. A subcommand with actions of its
own, like `exercises list`, lists them as Subcommands in `actions=`.
"""

import argparse
import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .datasets.houses import parse_value
from .demos import attention, fine_tuning, house_prices, moons, predict
from .demos import gpt as gpt_demo
from .exercises import EXERCISES
from .exercises.student_copies import default_source, write_student_copies

# What a user's mistake raises (a file, a value, a setting; a calculation that cannot go on): one line, exit 2.
USER_ERRORS = (OSError, ValueError, TypeError, ArithmeticError, RuntimeError)
OVERFLOW_HINT = "rescale the data (e.g. prices in thousands) or lower --lr"


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its name and help, a function adding its options, and the function that runs it."""

    name: str
    help: str
    options: Callable[[argparse.ArgumentParser], None] | None = None
    run: Callable[[argparse.Namespace], int | None] | None = None
    actions: tuple["Subcommand", ...] = ()  # nested subcommands, for a subcommand with actions
    description: str | None = None  # the --help text above the options (default: the help)
    overflow_hint: str | None = None  # what to change when a calculation overflows


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line, like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); return the exit status."""
    try:
        args, unknown = build_parser().parse_known_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2), already printed
        return int(exit.code or 0)
    if unknown:  # said by the subcommand's parser, so that the message and its --help name the subcommand
        print(
            f"{args.prog}: error: unrecognized arguments: {' '.join(unknown)} (see {args.prog} --help)", file=sys.stderr
        )
        return 2
    return guard(args.run, args, args.prog, args.overflow_hint)


def guard(run: Callable[[argparse.Namespace], int | None], args, where: str, overflow_hint: str | None = None) -> int:
    """run(args), with a user's mistake printed as one line `WHERE: error: MESSAGE` and exit status 2.

    `overflow_hint` says what to change when a calculation overflows (an ArithmeticError). Ctrl-C stops
    quietly with status 130, the shell's code for it. Programming errors (AttributeError, ...) still raise.
    """
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


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand in SUBCOMMANDS."""
    parser = _Parser(
        prog="micrograd-plus",
        description="micrograd_plus: a scalar autograd engine for learning how neural networks work. Pick a demo:",
    )
    _add_subcommands(parser, SUBCOMMANDS, "subcommands", "SUBCOMMAND")
    return parser


def _add_subcommands(parser: argparse.ArgumentParser, subcommands: tuple, title: str, metavar: str) -> None:
    group = parser.add_subparsers(title=title, required=True, metavar=metavar)
    for subcommand in subcommands:
        description = subcommand.description or subcommand.help[0].upper() + subcommand.help[1:] + "."
        child = group.add_parser(subcommand.name, help=subcommand.help, description=description)
        if subcommand.options:
            subcommand.options(child)
        if subcommand.actions:
            _add_subcommands(child, subcommand.actions, "actions", "ACTION")
        else:
            child.set_defaults(run=subcommand.run, prog=child.prog, overflow_hint=subcommand.overflow_hint)


# ---- house-prices and predict ----------------------------------------------------------------------------


def _house_prices_options(parser: argparse.ArgumentParser) -> None:
    d = house_prices.DEFAULT_HYPERPARAMETERS
    parser.add_argument(
        "--data", default=None, metavar="windsor|synthetic|synthetic-nonlinear|PATH.csv",
        help="the sales to learn from (default: windsor, the bundled 546 Windsor sales)",
    )  # fmt: skip
    parser.add_argument("--target", default=None, help="the CSV column to predict (default: price)")
    parser.add_argument("--epochs", type=int, default=None, help=f"passes over the training data (default {d.epochs})")
    parser.add_argument("--lr", type=float, default=None, help=f"Adam's learning rate (default {d.lr})")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="mini-batch size (default: all the training rows in one batch)"
    )
    parser.add_argument(
        "--hidden", type=int, nargs="*", default=None, metavar="SIZE",
        help="hidden layer sizes of an MLP trained beside the linear neuron, e.g. --hidden 8 (default: none)",
    )  # fmt: skip
    parser.add_argument("--activation", default=None, help=f"the hidden layers' activation (default {d.activation})")
    parser.add_argument(
        "--weight-decay", type=float, default=None, help=f"L2 penalty pulling weights to 0 (default {d.weight_decay})"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help=f"seed of the split, the initial weights, the batches (default {d.seed})"
    )  # fmt: skip
    parser.add_argument(
        "--out", default=house_prices.DEFAULT_OUT, help=f"output folder (default ./{house_prices.DEFAULT_OUT}/)"
    )
    parser.add_argument(
        "--quiet", action="store_true",
        help="print nothing: no progress, no report (the report still goes to report.txt)",
    )  # fmt: skip
    parser.add_argument(
        "--load", default=None, metavar="MODEL.json",
        help="reuse a saved model instead of training: its target, seed, split and data (a CSV only if named with "
        "--data), so the same predictions (training options such as --epochs are refused with it)",
    )  # fmt: skip


# The options that set up training; a loaded model was trained already, so --load refuses them.
TRAINING_OPTIONS = ["target", "epochs", "lr", "batch_size", "hidden", "activation", "weight_decay", "seed"]


def _run_house_prices(args: argparse.Namespace) -> None:
    given = {name: getattr(args, name) for name in TRAINING_OPTIONS if getattr(args, name) is not None}
    if args.load is not None:
        if given:
            options = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(
                f"--load reuses a trained model with the settings it was trained with, so {options} would be "
                "ignored; drop them, or leave out --load to train a new model with them"
            )
        house_prices.run_house_prices(args.data, out=args.out, quiet=args.quiet, load=args.load)
        return
    target = given.pop("target", None)
    hyperparameters = dataclasses.replace(house_prices.DEFAULT_HYPERPARAMETERS, **given)  # checks each setting
    house_prices.run_house_prices(args.data, target, hyperparameters, args.out, args.quiet)


def _feature_value(text: str) -> tuple[str, float, str]:
    """An argparse type for `--house NAME=VALUE`: (name, value, the text), values read as the CSV loader reads them."""
    name, separator, value = text.partition("=")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE pairs such as lotsize=5000, got {text!r}")
    try:
        return name.strip(), parse_value(value), text
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error}") from None


def _predict_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="MODEL.json", help="a model.json from house-prices")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--house", nargs="+", type=_feature_value, metavar="NAME=VALUE",
        help="the house's features, e.g. lotsize=5000 bedrooms=3 airco=yes (others: the training average)",
    )  # fmt: skip
    source.add_argument(
        "--csv", metavar="FILE.csv", help="a CSV with one house per row and the model's feature columns"
    )


def _run_predict(args: argparse.Namespace) -> None:
    house = None
    if args.house is not None:
        house, texts = {}, {}
        for name, value, text in args.house:
            if name in house:
                raise ValueError(f"--house gives {name} twice ({texts[name]} and {text}); give each feature once")
            house[name], texts[name] = value, text
    print(predict.predict_report(args.model, house=house, csv=args.csv))


# ---- the other demos: moons, fine-tune, attention --------------------------------------------------------------


def _seed_out_quiet(parser: argparse.ArgumentParser, out: str) -> None:
    """The options of a demo that writes files: --seed, --out (default `out`) and --quiet."""
    parser.add_argument("--seed", type=int, default=0, help="seed for the data and the initial weights (default 0)")
    parser.add_argument("--out", default=out, help=f"folder for the output files (default ./{out}/)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")


def _moons_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=100, help="gradient-descent steps (default 100)")
    parser.add_argument("--seed", type=int, default=1337, help="seed for the initial weights (default 1337)")


def _run_moons(args: argparse.Namespace) -> None:
    moons.train_moons(args.steps, seed=args.seed)


def _fine_tune_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--small", type=int, default=20, help="city B houses to learn from, >= 2 (default 20)")
    parser.add_argument("--pretrain-epochs", type=int, default=30, help="epochs on city A (default 30)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs on city B (default 100)")
    _seed_out_quiet(parser, "fine_tuning_output")


def _run_fine_tune(args: argparse.Namespace) -> None:
    fine_tuning.run_fine_tuning_demo(
        n_small=args.small, pretrain_epochs=args.pretrain_epochs, epochs=args.epochs, seed=args.seed, out=args.out,
        quiet=args.quiet,
    )  # fmt: skip


def _attention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=400, help="training steps per model (default 400)")
    parser.add_argument("--length", type=int, default=6, help="tokens per sequence, >= 2 (default 6)")
    _seed_out_quiet(parser, "attention_output")


def _run_attention(args: argparse.Namespace) -> None:
    attention.run_attention_demo(steps=args.steps, length=args.length, seed=args.seed, out=args.out, quiet=args.quiet)


# ---- gpt ---------------------------------------------------------------------------------------------------

GPT_SAMPLING = ["temperature", "samples", "seed"]  # the settings --load accepts; the others set up training


def _gpt_options(parser: argparse.ArgumentParser) -> None:
    for setting in dataclasses.fields(gpt_demo.GPTConfig):  # each hyperparameter says what it means
        help = f"{setting.metadata['help']} (default {setting.default})"
        parser.add_argument("--" + setting.name.replace("_", "-"), type=setting.type, default=None, help=help)
    out = gpt_demo.DEFAULT_OUT
    parser.add_argument("--out", default=out, help=f"output folder (default ./{out}/)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.add_argument("--load", metavar="MODEL.json", help="sample from a saved model (no training options)")


def _run_gpt(args: argparse.Namespace) -> None:
    settings = [setting.name for setting in dataclasses.fields(gpt_demo.GPTConfig)]
    given = {name: getattr(args, name) for name in settings if getattr(args, name) is not None}
    refused = ["--" + name.replace("_", "-") for name in given if name not in GPT_SAMPLING]
    if args.load is not None and refused:
        raise ValueError(
            f"--load samples from a model as it was trained, so {', '.join(refused)} would be ignored; drop them, "
            "or leave out --load to train a new model with them"
        )
    config = dataclasses.replace(gpt_demo.GPTConfig(), **given)  # checks each setting
    gpt_demo.run_gpt(config, out=args.out, load=args.load, quiet=args.quiet)


# ---- exercises ----------------------------------------------------------------------------------------------


def _path(text: str) -> Path:
    """An argparse type for a path to write: an empty or blank one would mean the current folder, unasked."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} names no file or folder; give one (. is the current folder)")
    return Path(text)


def _run_exercises_list(args: argparse.Namespace) -> None:
    for exercise in EXERCISES:
        print(f"lesson {exercise.lesson}  {exercise.name:<17}  {exercise.title}")


def _student_copies_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", type=_path, help="folder for the student notebooks (created if missing)")
    parser.add_argument(
        "--source", type=Path, default=None, help=f"folder of solution notebooks (default: {default_source()})"
    )
    parser.add_argument(
        "--force", action="store_true",
        help="overwrite notebooks of the same name already in OUT (by default an existing one is an error)",
    )  # fmt: skip
    parser.add_argument(
        "--hide-solutions", action="store_true",
        help="switch off solution() and the last hint in the copies (a locked first cell does it)",
    )  # fmt: skip


def _run_student_copies(args: argparse.Namespace) -> None:
    source = args.source if args.source is not None else default_source()
    for path, count in write_student_copies(source, args.out, force=args.force, hide_solutions=args.hide_solutions):
        plural = "s" if count != 1 else ""
        print(f"wrote {path} ({count} solution{plural} replaced by stub{plural})")


def _grade_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS", type=Path, help="a folder with one folder per student")
    parser.add_argument("--out", type=_path, default=Path("grades.csv"), help="the CSV to write (default: grades.csv)")
    parser.add_argument(
        "--source", type=Path, default=None, help=f"folder of solution notebooks (default: {default_source()})"
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, metavar="SECONDS",
        help="seconds each notebook cell and each exercise check may run (default: 60)",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="replace an earlier run's grades (by default: an error)")


def _run_grade(args: argparse.Namespace) -> None:
    from .exercises.grading import grade  # imports nbclient, which only grading needs

    grades = grade(args.submissions, args.out, args.source, args.time_limit, progress=print, force=args.force)
    print(grades.summary())


SUBCOMMANDS = (
    Subcommand(
        "house-prices",
        "the main job: learn house prices from the 1987 Windsor sales and explain the weights",
        _house_prices_options,
        _run_house_prices,
        overflow_hint=OVERFLOW_HINT,
        description="Train a linear neuron (and, with --hidden, an MLP) on house sales, compare it with two "
        "baselines, and explain each weight in real units. Plots, the model and its graph go into --out.",
    ),  # fmt: skip
    Subcommand(
        "predict",
        "predict prices with a model saved by house-prices",
        _predict_options,
        _run_predict,
        overflow_hint=OVERFLOW_HINT,
        description="Predict prices with a saved model, for one house (--house) or every row of a CSV (--csv).",
    ),  # fmt: skip
    Subcommand("moons", "train an MLP on the two-moons toy set (micrograd's demo)", _moons_options, _run_moons),
    Subcommand(
        "fine-tune",
        "pre-train on city A's house prices, fine-tune on 20 houses from city B",
        _fine_tune_options,
        _run_fine_tune,
    ),  # fmt: skip
    Subcommand(
        "attention",
        "self-attention finds the flagged number in a sequence; mean pooling cannot",
        _attention_options,
        _run_attention,
    ),  # fmt: skip
    Subcommand(
        "gpt",
        "the capstone: a tiny GPT learns first names, beats the bigram, and invents new names",
        _gpt_options,
        _run_gpt,
        overflow_hint="lower --lr",
    ),  # fmt: skip
    Subcommand(
        "exercises",
        "classroom exercises: list them, write student copies, grade a class",
        actions=(
            Subcommand("list", "list the exercises and their lessons", run=_run_exercises_list),
            Subcommand(
                "student-copies",
                "write the exercise notebooks with every solution replaced by a stub",
                _student_copies_options,
                _run_student_copies,
                description="Copy the solution notebooks into OUT, replacing each '### BEGIN SOLUTION' ... "
                "'### END SOLUTION' block with `raise NotImplementedError()`, and clearing outputs.",
            ),
            Subcommand(
                "grade",
                "run every student's notebooks; write grades (CSV, JSON) and a feedback file per student",
                _grade_options,
                _run_grade,
                description="SUBMISSIONS holds one folder per student with the notebooks under the solution "
                "notebooks' names (SUBMISSIONS/alice/01_derivatives.ipynb). Each runs in a fresh kernel, with a "
                "time limit per cell and per check; the checks are judged outside it.",
            ),
        ),
    ),  # fmt: skip
)


if __name__ == "__main__":
    sys.exit(main())
