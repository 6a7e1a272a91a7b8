"""Placeholder: this demo is being built (see the open issues)."""


def add_parser(subparsers) -> None:
    pass
