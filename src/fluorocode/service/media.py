"""What ``POST /v1/check`` reads and answers: ``Content-Type`` in, ``Accept`` out.

The body is the contract's JSON (``application/json``, or no ``Content-Type`` at all),
an X12 837 (``application/edi-x12``) or a FHIR R4 Claim or Bundle
(``application/fhir+json``); any other type is 415, before the body is read
(``api.CLAIMS_MEDIA_TYPES`` names the three). The answer is JSON unless ``Accept``
prefers the claims file's own format: the corrected 837 for an 837, the Bundle for
FHIR. A type the input cannot give (an 837 out of a Bundle, X12 out of encounters) is
406, also before the body is read. ``Accept`` is read as RFC 9110 has it: media
ranges with ``q`` weights, the most specific range deciding a type's weight, ``q=0``
refusing it; among types of equal weight JSON, the default, wins.

When the answer is a claims file, what the reports decided travels in headers, so an
integrator sees it without parsing the 837 or the Bundle (docs/claims.md, "Over
HTTP"); the values are RFC 9651 structured fields:

- ``Fluorocode-Reports``: the number of reports (encounters checked), an integer;
- ``Fluorocode-Statuses``: a dictionary of each report status and its count, all five
  always present (``clean=1, corrected=2, needs_provider_input=1, no_data=0,
  rejected=0``);
- ``Fluorocode-Claims`` (file answers only): claims ``written`` to the file and
  ``not_written`` (held or rejected: kept back), a dictionary;
- ``Fluorocode-Not-Written`` (file answers with a claim kept back): the ids of the
  first ``MAX_LISTED`` claims kept back, a list of strings (a Display String where an
  id is not printable ASCII).

The two first are sent with a JSON answer of a claims file too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fluorocode.api import CLAIMS_MEDIA_TYPES
from fluorocode.service.errors import HttpError

JSON = CLAIMS_MEDIA_TYPES["json"]
#: The formats a body may be in, by media type.
READS = {media: fmt for fmt, media in CLAIMS_MEDIA_TYPES.items()}
#: The report statuses, in the contract's order (``schemas.Report``).
STATUSES = ("clean", "corrected", "needs_provider_input", "no_data", "rejected")
#: How many kept-back claim ids ``Fluorocode-Not-Written`` lists at most.
MAX_LISTED = 100

#: The headers of a claims file's answer, for the OpenAPI document.
HEADERS: dict[str, Any] = {
    "Fluorocode-Reports": {
        "description": "Claims files only: the number of reports (encounters).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Fluorocode-Statuses": {
        "description": "Claims files only: each report status and how many reports "
        "have it (RFC 9651 dictionary), e.g. `clean=1, corrected=2, "
        "needs_provider_input=1, no_data=0, rejected=0`.",
        "schema": {"type": "string"},
    },
    "Fluorocode-Claims": {
        "description": "When the answer is the 837 or the Bundle: the claims written "
        "to it and those kept back (held or rejected), e.g. `written=3, "
        "not_written=1`.",
        "schema": {"type": "string"},
    },
    "Fluorocode-Not-Written": {
        "description": "When a claim is kept back: the ids of the first "
        f"{MAX_LISTED} claims not in the file (RFC 9651 list of strings), e.g. "
        '`"CLM-1", "CLM-7"`; their reports say why.',
        "schema": {"type": "string"},
    },
}


def _type_of(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def body_format(content_type: str | None) -> str:
    """``json``, ``x12`` or ``fhir`` by the body's ``Content-Type`` (none: ``json``).

    Raises:
        HttpError: 415 for any other media type, naming the three.
    """
    media = _type_of(content_type or "") or JSON
    fmt = READS.get(media)
    if fmt is None:
        offered = ", ".join(READS)
        raise HttpError(
            415,
            f"cannot read a body of type {media[:80]!r}: send one of {offered}",
            headers={"Accept": offered},
        )
    return fmt


def _ranges(accept: str) -> list[tuple[str, float]]:
    """``Accept`` as (media range, weight) pairs; an unreadable weight counts 1."""
    out = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 1.0
        out.append((media.lower(), weight))
    return out


def _weight(media: str, ranges: list[tuple[str, float]]) -> float:
    """The weight of ``media``: the most specific matching range's (0 if none)."""
    kind = media.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for pattern, weight in ranges:
        if pattern == media:
            rank = 2
        elif pattern == f"{kind}/*":
            rank = 1
        elif pattern == "*/*":
            rank = 0
        else:
            continue
        best = max(best, (rank, weight), key=lambda b: b[0])
    return best[1]


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """The type of ``offered`` that ``accept`` prefers (ties and no header: the first).

    Raises:
        HttpError: 406 when ``accept`` refuses every type offered, naming them.
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges = _ranges(accept)
    weights = [_weight(media, ranges) for media in offered]
    best = max(weights)
    if best <= 0:
        raise HttpError(
            406,
            f"cannot answer {accept[:80]!r} for this body: it can be answered as "
            + " or ".join(offered),
        )
    return offered[weights.index(best)]


def _sf_string(text: str) -> str:
    """``text`` as an RFC 9651 String, or a Display String when not printable ASCII."""
    if all(" " <= c <= "~" for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    encoded = "".join(
        chr(b) if 0x20 <= b <= 0x7E and b not in b'%"' else f"%{b:02x}"
        for b in text.encode("utf-8", "replace")
    )
    return '%"' + encoded + '"'


def status_headers(reports: Sequence[dict[str, Any]], file: bool) -> dict[str, str]:
    """The headers of a claims file's answer (module docstring); ``file``: the answer
    is the 837 or the Bundle, whose reports' sources say whether their claim is in."""
    counts = dict.fromkeys(STATUSES, 0)
    for report in reports:
        counts[report["status"]] = counts.get(report["status"], 0) + 1
    headers = {
        "Fluorocode-Reports": str(len(reports)),
        "Fluorocode-Statuses": ", ".join(f"{s}={n}" for s, n in counts.items()),
    }
    if not file:
        return headers
    # one claim, several encounters (dates, places): the claim counts once
    claims: dict[tuple[Any, ...], tuple[str, bool]] = {}
    for report in reports:
        source = report.get("source") or {}
        place = (source.get("transaction"), source.get("segment"), source.get("path"))
        claim = str(source.get("claim") or report.get("encounter_id") or "")
        written = bool(source.get("written"))
        before = claims.get(place, (claim, True))
        claims[place] = (claim, before[1] and written)
    kept_back = [claim for claim, written in claims.values() if not written]
    headers["Fluorocode-Claims"] = (
        f"written={len(claims) - len(kept_back)}, not_written={len(kept_back)}"
    )
    if kept_back:
        headers["Fluorocode-Not-Written"] = ", ".join(
            _sf_string(c) for c in kept_back[:MAX_LISTED]
        )
    return headers
