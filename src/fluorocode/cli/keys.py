"""``fluorocode keys``: create, list and revoke the service's API keys."""

from __future__ import annotations

import json

import click

from fluorocode.api import api_keys
from fluorocode.cli._options import format_option, home_option


@click.group("keys")
def keys_group() -> None:
    """Manage the API keys the service accepts (stored hashed under the home).

    Example: fluorocode keys create scribe-prod
    """


@keys_group.command("create")
@click.argument("name")
@click.option(
    "--audit", is_flag=True, help="Also allow reading the audit trail (GET /v1/audit)."
)
@home_option
def create_command(name: str, audit: bool, home: str | None) -> None:
    """Create a key called NAME and print it, once: only its hash is kept.

    The key goes to standard output alone; store it now, it cannot be shown again.

    Example: fluorocode keys create scribe-prod
    """
    scopes = ("check", "audit") if audit else ("check",)
    token = api_keys(home).create(name, scopes)
    click.echo(token)
    click.echo(
        f"fluorocode: key {name!r} created ({', '.join(scopes)}); it is shown only "
        "this once. Send it as: Authorization: Bearer KEY",
        err=True,
    )


@keys_group.command("list")
@format_option("json", "table", default="table")
@home_option
def list_command(fmt: str, home: str | None) -> None:
    """List the keys: name, when made, scopes, first characters (never the key).

    Example: fluorocode keys list
    """
    keys = api_keys(home).list()
    if fmt == "json":
        click.echo(json.dumps([k.to_dict() for k in keys], indent=2))
        return
    if not keys:
        click.echo("no keys; create one with: fluorocode keys create NAME")
    for k in keys:
        click.echo(f"{k.name}  {k.created}  {','.join(k.scopes)}  {k.hint}…")


@keys_group.command("revoke")
@click.argument("name")
@home_option
def revoke_command(name: str, home: str | None) -> None:
    """Revoke the key called NAME; a running service refuses it within 10 ms.

    Example: fluorocode keys revoke scribe-prod
    """
    api_keys(home).revoke(name)
    click.echo(f"revoked {name}")
