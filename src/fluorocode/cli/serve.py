"""``fluorocode serve``: the HTTP service and the provider's page (contract.md, "Over HTTP").

The command line does not import the service (import-linter keeps them independent):
it hands uvicorn the import string of the app factory, which every worker process
imports for itself, and passes the settings through the environment.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

import click

from fluorocode.api import api_keys
from fluorocode.cli._options import home_option
from fluorocode.cli._workers import run_workers
from fluorocode.config import (
    EMBED_ORIGINS_ENV,
    HOME_ENV,
    MAX_BODY_ENV,
    READ_TIMEOUT_ENV,
    resolve_home,
)

APP = "fluorocode.service.app:create_app_from_env"
#: uvicorn's httptools protocol with a bound on header size and time (uvicorn has none).
HTTP = "fluorocode.service.protocol:LimitedHttpToolsProtocol"
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?\Z")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, each with its own socket (SO_REUSEPORT); one per core.",
)
@click.option(
    "--max-body-mb",
    type=click.FloatRange(0.001, 1024),
    default=5.0,
    show_default=True,
    help="Largest request body accepted; larger ones get 413.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Time a client has to send a request's headers, then its body; a slower "
    "one gets 408 and is disconnected.",
)
@click.option(
    "--embed-origin",
    "embed_origins",
    multiple=True,
    metavar="ORIGIN",
    help="An origin (https://ehr.example.org) allowed to show the page in a frame; "
    "repeat for more. Default: none.",
)
@home_option
def serve_command(
    host: str,
    port: int,
    workers: int,
    max_body_mb: float,
    read_timeout: float,
    embed_origins: tuple[str, ...],
    home: str | None,
) -> None:
    """Serve the check API (/v1/...) and the provider's prompt page (/).

    Every /v1/ call needs an API key (Authorization: Bearer KEY): create one with
    'fluorocode keys create NAME'. Open http://HOST:PORT/ for the page, and paste the
    key there (or open http://HOST:PORT/#key=KEY). Checks are recorded in the audit
    trail (<home>/audit.sqlite3) before they are answered. The access log names the
    key, never a note or an encounter's content.

    Limits: request line and headers 64 KiB (431 above); --read-timeout to send the
    headers and then the body (408); --max-body-mb (413). With --workers N, a worker
    that dies is replaced (at most 5 times a minute, else the service stops with
    status 1), and the workers end with the supervisor, even on kill -9.

    Example: fluorocode serve --port 8000 --workers 2
    """
    missing = [m for m in ("fastapi", "uvicorn", "jinja2") if not _installed(m)]
    if missing:
        raise click.ClickException(
            f"the service needs {', '.join(missing)}: pip install 'fluorocode[service]'"
        )
    import uvicorn  # deferred: only this command needs it

    for origin in embed_origins:
        if not _ORIGIN.match(origin):
            raise click.BadParameter(
                f"{origin!r} is not an origin (scheme://host[:port])",
                param_hint="--embed-origin",
            )
    resolved = resolve_home(home)
    os.environ[EMBED_ORIGINS_ENV] = " ".join(embed_origins)
    os.environ[HOME_ENV] = str(resolved)
    os.environ[MAX_BODY_ENV] = str(int(max_body_mb * 1024 * 1024))
    os.environ[READ_TIMEOUT_ENV] = repr(read_timeout)
    if not api_keys(resolved).list():
        click.echo(
            "fluorocode: no API key yet, every /v1/ call will get 401; create one "
            "with: fluorocode keys create NAME" + (f" --home {home}" if home else ""),
            err=True,
        )
    click.echo(f"fluorocode: serving {resolved} on http://{host}:{port}/", err=True)
    options: dict[str, Any] = {
        "access_log": False,  # ours (service.edge) logs without the query string
        "server_header": False,
        "log_level": "info",
        "http": HTTP,
    }
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, **options)
        return
    if port == 0:
        raise click.BadParameter("choose a port: workers share it", param_hint="--port")
    run_workers(APP, host, port, workers, options)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
