"""Options shared by several commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fluorocode.domain.codes import Program

F = TypeVar("F", bound=Callable[..., Any])

#: ``--program`` and the PROGRAM argument: any case; the callback gets the canonical name.
PROGRAM: click.Choice[str] = click.Choice(
    [p.value for p in Program], case_sensitive=False
)
QUARTER_PATTERN = re.compile(r"(\d{4})-?Q([1-4])")


def quarter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A quarter in any case (``2024q3``, ``2024-Q3``) as the store names it (``2024Q3``)."""
    match = QUARTER_PATTERN.fullmatch(value.strip().upper())
    if match is None:
        raise click.BadParameter(f"{value!r} is not a quarter such as 2024Q3")
    return f"{match[1]}Q{match[2]}"


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
