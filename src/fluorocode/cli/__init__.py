"""The ``fluorocode`` command line: parse arguments, call ``fluorocode.api``, render.

Domain errors become a one-line message and exit status 2 in one place (``main``).
"""

from __future__ import annotations

import sys

import click

from fluorocode.cli.audit import audit_group
from fluorocode.cli.check import check_command
from fluorocode.cli.editions import editions_group
from fluorocode.cli.extract import extract_command
from fluorocode.cli.keys import keys_group
from fluorocode.cli.serve import serve_command
from fluorocode.errors import FluorocodeError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fluorocode")
def cli() -> None:
    """Coding compliance for fluoroscopy (CPT 76000) and CMS NCCI edits.

    Example: fluorocode check examples/knee-arthroscopy-with-fluoro.json
    """


cli.add_command(audit_group)
cli.add_command(check_command)
cli.add_command(editions_group)
cli.add_command(extract_command)
cli.add_command(keys_group)
cli.add_command(serve_command)


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
