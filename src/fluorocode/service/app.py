"""The application factory: ``create_app(home)`` builds the whole service.

One app serves one home directory: its editions, its API keys and its audit trail.
Each uvicorn worker process builds its own app (``create_app_from_env``), with its own
audit writer thread; they share the files. The lifespan opens the audit trail and warms
the editions before the first request, and writes what is queued on shutdown.

A worker of ``fluorocode serve`` also settles its garbage collector once warm
(``settle_gc``): what start-up made (the frameworks, the schemas, the editions) is
frozen out of every later collection, and a collection waits for 20,000 new objects
rather than 700. Before, a full collection walked some 70,000 start-up objects every few
seconds under load and stopped the process for 25-130 ms: the p99 (issue 11). And it
hands the GIL over every ``SWITCH_INTERVAL`` seconds rather than 5 ms: the event loop
and the audit writer wait for it behind a busy check thread each time they wake (a
commit's acknowledgement waited 2.5-3.7 ms, most of it for the GIL).

Settings for ``create_app_from_env`` (set by ``fluorocode serve``):
``FLUOROCODE_HOME``, ``FLUOROCODE_MAX_BODY_BYTES``, ``FLUOROCODE_READ_TIMEOUT``
(seconds to receive a request's headers, then its body) and
``FLUOROCODE_EMBED_ORIGINS`` (space-separated origins allowed to frame the page).
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema

from fluorocode.api import (
    EMBED_ORIGINS_ENV,
    MAX_BODY_ENV,
    AuditLog,
    AuditWriter,
    Checker,
    EditionInfo,
    KeyStore,
    api_keys,
    audit_log,
    encounter_json_schema,
)
from fluorocode.errors import FluorocodeError
from fluorocode.service import errors
from fluorocode.service.auth import SECURITY_SCHEMES
from fluorocode.service.check_endpoint import CheckEndpoint
from fluorocode.service.checking import CheckThreads
from fluorocode.service.edge import DEFAULT_MAX_BODY, EdgeMiddleware
from fluorocode.service.protocol import DEFAULT_READ_TIMEOUT, read_timeout
from fluorocode.service.routes import health, page, v1
from fluorocode.service.schemas import BODY_MODELS, ENCOUNTER

HERE = Path(__file__).resolve().parent
#: Net new objects between two young-generation collections (CPython's default: 700).
#: A check's objects die by reference counting before this many pile up, so they are
#: no longer promoted to older generations on their way, and full collections are rare.
GC_YOUNG_THRESHOLD = 20_000
#: Seconds a thread holds the GIL while another waits (CPython's default: 0.005).
SWITCH_INTERVAL = 0.001
#: Threads a process checks on (``CheckThreads``): checks hold the GIL, so more add
#: switching, not throughput.
CHECK_THREADS = 2


def settle_gc() -> None:
    """Freeze what exists now out of later garbage collections; collect less often;
    hand the GIL over sooner (module docstring).

    Called once a worker is warm: the objects made so far live as long as the process,
    and a full collection no longer walks them. Process-wide, so only for a worker
    process (``create_app_from_env``), not for an app embedded in another program.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    sys.setswitchinterval(SWITCH_INTERVAL)


class ServiceState:
    """What the routes share: the checker, the keys, the audit trail and its writer."""

    def __init__(
        self, checker: Checker, keys: KeyStore, audit: AuditLog, csp: str
    ) -> None:
        self.checker = checker
        self.keys = keys
        self.audit = audit
        self.csp = csp
        #: the encounter's JSON Schema with this checker's line cap: /v1/schema, the
        #: OpenAPI document's request body and the page's constraints
        self.schema = encounter_json_schema(checker.max_lines)
        self._writer: AuditWriter | None = None
        self._checks: CheckThreads | None = None
        self._lock = threading.Lock()
        self.warm_error: str | None = None

    @property
    def writer(self) -> AuditWriter:
        """The audit writer, started on first use if the lifespan did not run."""
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = AuditWriter(self.audit)
        return self._writer

    @property
    def checks(self) -> CheckThreads:
        """The threads checks run on, started on first use."""
        if self._checks is None:
            with self._lock:
                if self._checks is None:
                    self._checks = CheckThreads(CHECK_THREADS)
        return self._checks

    def warm(self) -> list[EditionInfo]:
        try:
            infos = self.checker.warm()
        except Exception as exc:  # readiness reports it; the service stays up
            self.warm_error = f"editions could not be opened ({type(exc).__name__})"
            return []
        self.warm_error = None
        return infos

    def keys_error(self) -> str | None:
        """Why the API keys cannot be checked (no path: readiness is public), or None."""
        try:
            self.keys.list()
        except FluorocodeError as exc:
            return f"the API key file cannot be read ({type(exc).__name__})"
        return None

    def close(self) -> None:
        """Finish the checks under way, write what is queued and stop the threads (a
        later request starts others)."""
        with self._lock:
            checks, self._checks = self._checks, None
            writer, self._writer = self._writer, None
        if checks is not None:
            checks.close()
        if writer is not None:
            writer.close()


def _version() -> str:
    try:
        return version("fluorocode")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def create_app(
    home: str | os.PathLike[str] | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    embed_origins: tuple[str, ...] = (),
    own_process: bool = False,
) -> FastAPI:
    """The service for the editions, keys and audit trail under ``home``.

    Args:
        home: the home directory (``--home``, else ``$FLUOROCODE_HOME``, else the user
            data directory).
        max_body: the largest request body accepted, in bytes (413 above).
        read_timeout: seconds from a request's start to the end of its body (408
            after).
        embed_origins: origins allowed to show the page in a frame (none by default).
        own_process: the app has the process to itself (a worker of ``fluorocode
            serve``): its garbage collector is settled once warm (``settle_gc``).
    """
    checker = Checker(home)
    state = ServiceState(
        checker,
        api_keys(checker.home),
        audit_log(checker.home),
        page.content_policy(embed_origins),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.writer  # noqa: B018 - open the audit trail now: fail at start, not later
        await anyio.to_thread.run_sync(state.warm)
        if own_process:
            settle_gc()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(state.close)

    app = FastAPI(
        title="fluorocode",
        version=_version(),
        summary="Coding compliance for fluoroscopy (CPT 76000) and CMS NCCI edits.",
        description=(
            "The check contract over HTTP (contract.md). Every `/v1/` call needs "
            "`Authorization: Bearer KEY` (create keys with `fluorocode keys create "
            "NAME`), except `GET /v1/schema`: the JSON Schema of an encounter is "
            "public, like this document. Errors are JSON naming the field at fault."
        ),
        lifespan=lifespan,
        docs_url=None,  # the bundled UIs load scripts from a CDN; the JSON is enough
        redoc_url=None,
    )
    app.state.service = state
    app.include_router(v1.router)
    app.include_router(health.router)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    errors.install(app)
    app.add_middleware(
        EdgeMiddleware,
        keys=state.keys,
        max_body=max_body,
        read_timeout=read_timeout,
        direct={("POST", "/v1/check"): CheckEndpoint(state)},
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _, defs = models_json_schema(
                [(m, "validation") for m in BODY_MODELS],
                ref_template="#/components/schemas/{model}",
            )
            schema["components"]["schemas"].update(defs.get("$defs", {}))
            # the one definition of an encounter, as published at /v1/schema
            schema["components"]["schemas"][ENCOUNTER] = copy.deepcopy(state.schema)
            schema["components"]["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def create_app_from_env() -> FastAPI:
    """The app ``fluorocode serve`` runs in each worker (settings from the env)."""
    # the access log names none of these: skip looking them up for every line (the
    # logging HOWTO's "Optimization"); the caller's file and line took 12 of a line's
    # 20 µs, on the event loop
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    logger = logging.getLogger("fluorocode.service")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    max_body = int(os.environ.get(MAX_BODY_ENV, DEFAULT_MAX_BODY))
    origins = tuple(os.environ.get(EMBED_ORIGINS_ENV, "").split())
    return create_app(
        None,
        max_body=max_body,
        read_timeout=read_timeout(),
        embed_origins=origins,
        own_process=True,
    )
