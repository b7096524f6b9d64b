"""Batch input: claim-line CSV or Parquet, JSON lines of contract encounters, 837s.

The claim-line columns (contract.md, "Claims files and batches") are
``claim_id, line, date_of_service, place_of_service, claim_type, program, provider,
code, modifiers, units``. Headers are matched loosely: case, spaces, ``-`` and ``_`` do
not matter, and a few common spellings are accepted (``ClaimID``, ``DOS``, ``POS``,
``HCPCS``, ``line_no`` ...). ``modifiers`` holds up to four modifiers joined by ``:``, empty for
none.

Optional documentation columns (the encounter's, on any of its lines; the first
non-empty value in line order counts):

- ``global_billing``: ``true`` / ``false`` (the contract's ``billing.global_billing``);
- ``documentation``: the contract's ``documentation`` object as JSON text;
- ``note``: the clinical note's text.

Every value is read as text, exactly as written: a value ``check`` would refuse (a code
with a space, units ``2.5``) makes the encounter ``rejected`` here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fluorocode.errors import ClaimInputError, FieldError

#: The input columns in the order the job reads them; the first ten are required.
COLUMNS = (
    "claim_id",
    "line",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "provider",
    "code",
    "modifiers",
    "units",
    "global_billing",
    "documentation",
    "note",
)
REQUIRED = COLUMNS[:10]
#: Columns a file may leave out: they read as empty (the contract's defaults).
OPTIONAL = frozenset(
    {"claim_type", "program", "provider", "global_billing", "documentation", "note"}
)

_ALIASES = {
    "claim": "claim_id",
    "claimid": "claim_id",
    "claimnumber": "claim_id",
    "id": "claim_id",
    "lineno": "line",
    "linenumber": "line",
    "lineitem": "line",
    "dos": "date_of_service",
    "servicedate": "date_of_service",
    "dateofservice": "date_of_service",
    "pos": "place_of_service",
    "placeofservice": "place_of_service",
    "claimtype": "claim_type",
    "programme": "program",
    "renderingnpi": "provider",
    "npi": "provider",
    "providerid": "provider",
    "hcpcs": "code",
    "cpt": "code",
    "hcpcscode": "code",
    "procedurecode": "code",
    "modifier": "modifiers",
    "mods": "modifiers",
    "unit": "units",
    "quantity": "units",
    "globalbilling": "global_billing",
}


def normalise_header(name: str) -> str:
    """The canonical column a header names, or the header squashed when none."""
    squashed = re.sub(r"[\s_\-.]+", "", name.strip().lower())
    canonical = {c.replace("_", ""): c for c in COLUMNS}
    return canonical.get(squashed) or _ALIASES.get(squashed) or squashed


def column_map(headers: Sequence[str], where: str) -> dict[str, str]:
    """Canonical column -> the file's header; a missing required column is refused."""
    found: dict[str, str] = {}
    for header in headers:
        name = normalise_header(header)
        if name in COLUMNS and name not in found:
            found[name] = header
    missing = [c for c in REQUIRED if c not in found and c not in OPTIONAL]
    if missing:
        raise ClaimInputError(
            [
                FieldError(
                    where,
                    f"missing column(s) {', '.join(missing)}; a claim-line file has "
                    + ", ".join(REQUIRED),
                    "missing_column",
                )
            ]
        )
    return found


def kind_of(path: Path) -> str:
    """``csv``, ``parquet``, ``jsonl`` or ``x12``, from the name, else the first bytes."""
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return "parquet"
    if suffixes.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz", ".json.gz")):
        return "jsonl"
    if suffixes.endswith((".837", ".x12", ".edi")):
        return "x12"
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PAR1"):
        return "parquet"
    # as api.claims_format: an ISA after NULs / a UTF-16 mark is an 837 the X12
    # reader refuses by name, not a CSV
    bare = (
        head.replace(b"\x00", b"").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
    )
    if head.startswith(b"ISA") or bare.lstrip().startswith(b"ISA"):
        return "x12"
    if head.startswith((b"{", b"[")):
        return "jsonl"
    return "csv"


def encounter_rows(obj: Any, ordinal: int) -> Iterator[dict[str, Any]]:
    """One contract encounter (JSON) as claim-line rows, when it maps onto them exactly.

    An object that does not (not an object, an unknown key, a line that is not an
    object, a non-list of modifiers...) gives one row whose ``source`` is the object's
    JSON: the job then checks the object exactly as ``check`` would, and the report
    names its fields.
    """
    import json

    simple = (
        isinstance(obj, dict)
        and isinstance(obj.get("lines"), list)
        and obj["lines"]
        and all(_simple_line(ln) for ln in obj["lines"])
        and set(obj) <= _TOP
        and all(isinstance(obj.get(k, ""), str) for k in _TEXT)
        and isinstance(obj.get("billing", {}), dict)
        and set(obj.get("billing", {})) <= {"global_billing"}
        and isinstance(obj.get("billing", {}).get("global_billing", False), bool)
        and all(obj.get(k) != "" for k in _TEXT)
    )
    if not simple:
        named = obj if isinstance(obj, dict) else {}
        yield {
            "claim_id": _text(named.get("id")),
            "date_of_service": _text(named.get("date_of_service")),
            "place_of_service": _text(named.get("place_of_service")),
            "provider": "",
            "source": json.dumps(obj),
            "source_ordinal": ordinal,
            "line": "0",
        }
        return
    billing = obj.get("billing", {})
    doc = obj.get("documentation")
    for i, line in enumerate(obj["lines"]):
        yield {
            "claim_id": obj.get("id"),
            "line": str(i + 1),
            "date_of_service": obj.get("date_of_service"),
            "place_of_service": obj.get("place_of_service"),
            "claim_type": obj.get("claim_type"),
            "program": obj.get("program"),
            "provider": "",
            "code": line["code"],
            "modifiers": ":".join(line.get("modifiers", [])),
            "units": str(line["units"]) if "units" in line else None,
            "global_billing": (
                str(billing["global_billing"]).lower()
                if "global_billing" in billing
                else None
            ),
            "documentation": json.dumps(doc) if doc is not None else None,
            "note": obj.get("note"),
            "source": None,
            "source_ordinal": ordinal,
        }


_TOP = {
    "id",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "billing",
    "lines",
    "documentation",
    "note",
}
_TEXT = ("id", "date_of_service", "place_of_service", "claim_type", "program", "note")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _simple_line(line: Any) -> bool:
    """A line whose every value round-trips through the text columns unchanged."""
    if not isinstance(line, dict) or set(line) - {"code", "modifiers", "units"}:
        return False
    mods = line.get("modifiers", [])
    units = line.get("units", 1)
    return (
        isinstance(line.get("code"), str)
        and ":" not in line["code"]
        and isinstance(mods, list)
        and all(
            isinstance(m, str) and m and ":" not in m and "|" not in m for m in mods
        )
        and isinstance(units, int)
        and not isinstance(units, bool)
    )


def jsonl_to_parquet(path: Path, target: Path, n: int) -> Path:
    """JSON lines of encounters as claim-line rows in Parquet (``encounter_rows``).

    Streams: 50,000 rows at a time. ``n`` (the input's position) keeps the encounters
    of different files apart.
    """
    import gzip
    import json

    def rows() -> Iterator[dict[str, Any]]:
        ordinal = n * 10**12
        opened = (
            gzip.open(path, "rt", encoding="utf-8")
            if path.suffix == ".gz"
            else open(path, encoding="utf-8")
        )
        with opened as f:
            for text in f:
                if not text.strip():
                    continue
                ordinal += 1
                try:
                    obj = json.loads(text)
                except ValueError:
                    obj = text  # not JSON: refused as "not an object", as check does
                yield from encounter_rows(obj, ordinal)

    return _write_rows(rows(), target)


def x12_to_parquet(path: Path, target: Path, n: int, program: str) -> Path:
    """The encounters of an 837 file as claim-line rows in Parquet.

    An encounter the contract accepts as read (no reading error, not an inpatient
    bill, ``parse_encounter`` content) becomes plain rows, which the SQL may decide;
    any other carries, on each of its lines, its ``SourceEncounter`` as JSON
    (``source``, tagged ``x12``), so the engine checks it as ``check`` does and the
    report names the file's segments. Line numbers are the LX numbers when they are
    distinct whole numbers, else the lines' positions.

    Raises:
        X12ParseError: the file cannot be read as a whole.
    """
    import json

    from fluorocode.adapters.claims.reader import to_json, x12_encounters
    from fluorocode.domain.encounter_input import parse_encounter

    def rows() -> Iterator[dict[str, Any]]:
        ordinal = n * 10**12
        with open(path, "rb") as f:
            for enc in x12_encounters(f, str(path), program):
                ordinal += 1
                lx = [str(ln.get("line", "")) for ln in enc.source.get("lines", [])]
                lines = enc.encounter.get("lines") or []
                if len(lx) != len(lines) or len(set(lx)) < len(lx):
                    lx = [str(i + 1) for i in range(len(lines))]
                lx = [x if x.isdigit() and len(x) <= 18 else "" for x in lx]
                plain = list(encounter_rows(enc.encounter, ordinal))
                if not (enc.errors or enc.not_subject) and _accepted(
                    enc.encounter, parse_encounter
                ):
                    if all(r["source"] is None for r in plain) and all(lx):
                        for row, number in zip(plain, lx, strict=True):
                            yield {**row, "line": number}
                        continue
                source = json.dumps({"x12": to_json(enc)})
                obj = enc.encounter
                for i, line in enumerate(lines or [{}]):
                    line = line if isinstance(line, dict) else {}
                    mods = line.get("modifiers")
                    yield {
                        "claim_id": _text(obj.get("id")),
                        "line": lx[i] if i < len(lx) and lx[i] else str(i + 1),
                        "date_of_service": _text(obj.get("date_of_service")),
                        "place_of_service": _text(obj.get("place_of_service")),
                        "claim_type": _text(obj.get("claim_type")),
                        "program": _text(obj.get("program")),
                        "provider": "",
                        "code": _text(line.get("code")),
                        "modifiers": ":".join(mods)
                        if isinstance(mods, list)
                        and all(isinstance(m, str) for m in mods)
                        else None,
                        "units": None
                        if line.get("units") is None
                        else str(line.get("units")),
                        "source": source,
                        "source_ordinal": ordinal,
                    }

    return _write_rows(rows(), target)


def _accepted(obj: Any, parse: Any) -> bool:
    from fluorocode.errors import ClaimInputError

    try:
        parse(obj)
    except ClaimInputError:
        return False
    return True


def _write_rows(rows: Iterator[dict[str, Any]], target: Path) -> Path:
    """Claim-line rows into one Parquet file, 50,000 at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [*COLUMNS, "source", "source_ordinal"]
    schema = pa.schema(
        [(c, pa.string()) for c in names[:-1]] + [("source_ordinal", pa.int64())]
    )
    chunk: list[dict[str, Any]] = []
    with pq.ParquetWriter(target, schema) as writer:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= 50_000:
                writer.write_table(pa.Table.from_pylist(chunk, schema))
                chunk = []
        writer.write_table(pa.Table.from_pylist(chunk, schema))
    return target
