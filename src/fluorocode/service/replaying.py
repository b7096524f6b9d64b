"""What a ``POST /v1/replay`` worker thread does: read the body, replay, render.

The body (docs/replay.md) is ``{"edition": "medicare/2024Q4", "encounters": [...]}``
or ``{"edition": ..., "audit": {"since": ..., "after": ..., "limit": ...}}``; the
answer is ``fluorocode replay --format json``'s object. An audit replay reads only the
calling key's own records, a page at a time (``limit``, default and at most 1,000),
and says where the next page starts (``next_after``, null at the end). A replay is a
what-if, not a check anyone bills from: it is not recorded in the audit trail.
"""

from __future__ import annotations

from typing import Any

from fluorocode.api import AuditLog, Checker, replay
from fluorocode.errors import FieldError
from fluorocode.service.checking import read_json, render
from fluorocode.service.errors import HttpError

_KEYS = frozenset(("edition", "encounters", "audit"))
_AUDIT_KEYS = frozenset(("since", "after", "limit"))
MAX_AUDIT_PAGE = 1_000


def replay_body(checker: Checker, audit: AuditLog, body: bytes, key_name: str) -> bytes:
    """The answer to one replay request (module docstring); 422 names the field."""
    doc = read_json(body)
    if not isinstance(doc, dict):
        raise _bad("$", "must be a JSON object", "wrong_type")
    for name in sorted(doc.keys() - _KEYS):
        raise _bad(name, "unknown field", "unknown_field")
    edition = doc.get("edition")
    if not isinstance(edition, str):
        raise _bad(
            "edition", "required: an edition such as medicare/2024Q4", "required"
        )
    if ("encounters" in doc) == ("audit" in doc):
        raise _bad("$", "give encounters or audit, one of them", "required")
    if "encounters" in doc:
        encounters = doc["encounters"]
        if not isinstance(encounters, list) or not encounters:
            raise _bad("encounters", "must be a non-empty array", "wrong_type")
        run = replay(edition, encounters, checker=checker)
        return render(_answer(run))
    page = doc["audit"]
    if not isinstance(page, dict):
        raise _bad("audit", "must be an object", "wrong_type")
    for name in sorted(page.keys() - _AUDIT_KEYS):
        raise _bad(f"audit.{name}", "unknown field", "unknown_field")
    since = page.get("since")
    if since is not None and not isinstance(since, str):
        raise _bad("audit.since", "must be an ISO date or time", "wrong_type")
    after = _whole(page, "after", 0, 0, 2**63 - 1)
    limit = _whole(page, "limit", MAX_AUDIT_PAGE, 1, MAX_AUDIT_PAGE)
    run = replay(
        edition,
        checker=checker,
        audit=audit,
        since=since,
        key_name=key_name,
        after=after,
        limit=limit,
    )
    answer = _answer(run)
    last = run.last_record
    answer["next_after"] = last if run.summary.checked == limit else None
    return render(answer)


def _answer(run: Any) -> dict[str, Any]:
    blocks: dict[str, list[dict[str, Any]]] = {"changed": [], "not_replayable": []}
    for item in run:
        if item.kind != "unchanged":
            blocks[item.kind].append(item.to_dict())
    return {"summary": run.summary.to_dict(), **blocks}


def _whole(page: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = page.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise _bad(f"audit.{name}", f"must be a whole number {low}-{high}", "invalid")
    return value


def _bad(field: str, message: str, kind: str) -> HttpError:
    return HttpError(422, f"{field}: {message}", [FieldError(field, message, kind)])
