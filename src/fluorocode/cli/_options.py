"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def home_option(f: F) -> F:
    return click.option(
        "--home",
        type=click.Path(file_okay=False),
        default=None,
        help="Editions directory (default: $FLUOROCODE_HOME, else the user data dir).",
    )(f)


def format_option(
    *choices: str, default: str, help: str | None = None
) -> Callable[[F], F]:
    """``--format`` with the given choices (stored as ``fmt``)."""

    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=default,
            show_default=True,
            help=help,
        )(f)

    return decorate
