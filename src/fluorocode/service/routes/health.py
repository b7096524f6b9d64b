"""``/healthz`` (the process answers) and ``/readyz`` (checks can run and be recorded).

Both are public, so a reason for not being ready names what cannot serve, never a
file's path or an error's message.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from fluorocode.service import schemas

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Alive", response_model=schemas.Health)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    summary="Ready: an edition is loaded, the audit trail is writable, the keys "
    "can be read",
    response_model=schemas.Readiness,
    responses={503: {"model": schemas.Readiness, "description": "Not ready"}},
)
async def readyz(request: Request) -> JSONResponse:
    service = request.app.state.service
    reasons = []
    infos = await anyio.to_thread.run_sync(service.checker.editions)
    if not infos:
        reasons.append("no edition can be opened")
    if service.warm_error:
        reasons.append(service.warm_error)
    if not service.writer.alive:
        reasons.append("the audit trail is not writable")
    keys_error = await anyio.to_thread.run_sync(service.keys_error)
    if keys_error:
        reasons.append(keys_error)
    body = {
        "status": "not_ready" if reasons else "ready",
        "editions": [
            {"program": i.program.value, "quarter": i.quarter, "demo": i.demo}
            for i in infos
        ],
        "reasons": reasons,
    }
    return JSONResponse(body, 503 if reasons else 200)
