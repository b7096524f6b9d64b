"""The ``fluorocode`` command line: parse arguments, call ``fluorocode.api``, render.

Domain errors become a one-line message and exit status 2 in one place (``main``).
Each command's module is imported only when that command runs (or help lists it), so
``fluorocode check`` does not pay for the server, the batch engines or the audit trail
(issue 11).
"""

from __future__ import annotations

import importlib
import sys

import click

from fluorocode.errors import FluorocodeError

#: Every command: its name, and the module and attribute that define it.
COMMANDS = {
    "audit": ("fluorocode.cli.audit", "audit_group"),
    "batch": ("fluorocode.cli.batch", "batch_command"),
    "check": ("fluorocode.cli.check", "check_command"),
    "editions": ("fluorocode.cli.editions", "editions_group"),
    "extract": ("fluorocode.cli.extract", "extract_command"),
    "keys": ("fluorocode.cli.keys", "keys_group"),
    "payers": ("fluorocode.cli.payers", "payers_group"),
    "replay": ("fluorocode.cli.replay", "replay_command"),
    "report": ("fluorocode.cli.report", "report_command"),
    "serve": ("fluorocode.cli.serve", "serve_command"),
}


class _LazyGroup(click.Group):
    """A group that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attr = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fluorocode")
def cli() -> None:
    """Coding compliance for fluoroscopy (CPT 76000) and CMS NCCI edits.

    Example: fluorocode check examples/knee-arthroscopy-with-fluoro.json
    """


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except FluorocodeError as exc:
        click.echo(f"fluorocode: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
