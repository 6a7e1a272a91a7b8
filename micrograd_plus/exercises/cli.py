"""Placeholder: the `exercises` subcommand is being built (see the open issues)."""


def add_parser(subparsers) -> None:
    pass
