"""``GET /``: the provider's prompt page (server-rendered, plain JavaScript, no build).

The page calls ``/v1/check`` from the browser with the API key the user pastes (kept
in the tab's ``sessionStorage``, or handed over in the address's fragment,
``/#key=KEY``, which never reaches the server or its log).

The form's payer choice lists ``/v1/payers``, read with the same key (none chosen:
the program's built-in profile); a report's ``payer`` block is shown with each
departure applied and its source.

An encounter is entered with a form (``static/encounter-form.js``) or as JSON; every
prompt kind of a report is answered with a form (``static/line-prompts.js`` for the
line questions), and the answers are applied to the encounter and checked again.

Nothing the page checks is written twice. The encounter's shape (fields, code and
modifier forms, modifier count, places of service, claim types, programs, units, line
cap per claim type, dose units, distinct-indication bases) is the JSON Schema the
service publishes at ``/v1/schema``, rendered into the page: the form is built from it
and the page checks an encounter against it before sending. The
plausibility limits of the answers (minutes, dose ranges) and each dose unit's factor
come from ``api.page_settings()``, the engine's own limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fluorocode.api import page_settings

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=Path(__file__).resolve().parent.parent / "templates"
)

#: Only this origin's own files: no inline script, no third party; framed only by the
#: origins ``fluorocode serve --embed-origin`` names (an EHR that embeds the page).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)


def content_policy(embed_origins: tuple[str, ...]) -> str:
    """The page's Content-Security-Policy for these embedding origins."""
    return CSP.format(ancestors=" ".join(embed_origins) or "'none'")


#: "Load the example": an arthroscopy with fluoroscopy in an ASC, nothing documented.
EXAMPLE: dict[str, Any] = {
    "id": "example-knee-0001",
    "date_of_service": "2024-08-15",
    "place_of_service": "24",
    "claim_type": "professional",
    "program": "medicare",
    "billing": {"global_billing": False},
    "lines": [
        {"code": "29880", "modifiers": ["RT"], "units": 1},
        {"code": "76000", "modifiers": [], "units": 1},
    ],
}


@router.get("/", response_class=HTMLResponse)
async def prompt_page(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        "index.html",
        {
            "settings": page_settings(),
            "schema": request.app.state.service.schema,
            "example": EXAMPLE,
        },
    )
    response.headers["Content-Security-Policy"] = request.app.state.service.csp
    return response
