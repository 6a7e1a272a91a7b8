"""The command line: `python -m micrograd_plus SUBCOMMAND [options]`. It only parses and calls a demo."""

import argparse
import sys

from .demos import attention, fine_tuning, house_prices, moons
from .exercises import cli as exercises

# Each demo module adds its own subcommand with add_parser(subparsers).
DEMOS = [house_prices, moons, fine_tuning, attention, exercises]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="micrograd-plus",
        description="micrograd_plus: a scalar autograd engine for learning how neural networks work. Pick a demo:",
    )
    subparsers = parser.add_subparsers(title="subcommands", required=True, metavar="SUBCOMMAND")
    for demo in DEMOS:
        demo.add_parser(subparsers)
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
