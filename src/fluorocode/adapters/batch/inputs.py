"""Batch input: claim-line CSV or Parquet, JSON lines of contract encounters, 837s and
FHIR R4 Claims or Bundles.

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

Optional ``payer``: the payer profile id (``fluorocode payers list``), on any of the
encounter's lines (the lines that give one must agree); empty on every line: the
batch's ``--payer``, else the built-in profile of the encounter's program. An encounter
whose profile is not its program's built-in is decided by the rule engine, never in
SQL (``plain_sql``).

837 and FHIR files are read as ``check`` reads them (``ClaimsContext``: the program of
claims naming none, the payer profiles' ``x12_payer_ids`` / ``fhir_payer_ids``), with
the provider of each claim (``adapters.claims.reader``), into claim-line Parquet
(``claims_to_parquet``) before a job reads them.

Every value is read as text, exactly as written: a value ``check`` would refuse (a code
with a space, units ``2.5``) makes the encounter ``rejected`` here too.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluorocode.adapters.claims.model import SourceEncounter
from fluorocode.domain.codes import Program
from fluorocode.errors import ClaimInputError, FieldError
from fluorocode.rules.payers import PROFILE_ID

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
    "payer",
)
REQUIRED = COLUMNS[:10]
#: Columns a file may leave out: they read as empty (the contract's defaults).
OPTIONAL = frozenset(
    {
        "claim_type",
        "program",
        "provider",
        "global_billing",
        "documentation",
        "note",
        "payer",
    }
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
    "payerprofile": "payer",
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


def unreadable(where: str, reason: str) -> ClaimInputError:
    """The error of an input file that cannot be read as a whole."""
    return ClaimInputError([FieldError(where, reason, "unreadable_file")])


#: A path Spark reads (``hdfs:/``, ``s3a:/``; ``Path`` keeps one slash), not a local one.
_REMOTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")


def is_remote(path: Path) -> bool:
    """Whether ``path`` is a URL Spark reads rather than a local file."""
    return _REMOTE.match(str(path)) is not None


def check_local_file(path: Path) -> None:
    """Refuse a local input that is missing or not a regular file, before it is opened:
    a FIFO would block the read and a device would never end it.

    Raises:
        ClaimInputError: naming the path.
    """
    if is_remote(path):
        return
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise unreadable(str(path), f"cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise unreadable(str(path), "not a regular file (a directory, FIFO or device)")


def kind_of(path: Path) -> str:
    """``csv``, ``parquet``, ``jsonl``, ``x12`` or ``fhir``, from the name, else the
    first bytes. A ``.json`` (or unnamed) file whose first 4 KB are a JSON object naming
    a ``resourceType`` is FHIR, as ``check`` decides (``api.claims_format``)."""
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return "parquet"
    if suffixes.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".json.gz")):
        return "jsonl"
    if suffixes.endswith((".837", ".x12", ".edi")):
        return "x12"
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") and b'"resourceType"' in head:
        return "fhir"
    if suffixes.endswith(".json"):
        return "jsonl"
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


def encounter_rows(
    obj: Any, ordinal: int, provider: str = ""
) -> Iterator[dict[str, Any]]:
    """One contract encounter (JSON) as claim-line rows, when it maps onto them exactly.

    An object that does not (not an object, an unknown key, a line that is not an
    object, a non-list of modifiers...) gives one row whose ``source`` is the JSON of
    ``{"encounter": obj}``: the job then checks the object exactly as ``check``
    would, and the report names its fields.
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
            "provider": provider,
            "source": json.dumps({"encounter": obj}),
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
            "provider": provider,
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
            "payer": obj.get("payer"),
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
    "payer",
}
_TEXT = (
    "id",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "note",
    "payer",
)


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


#: The longest line of a JSON lines input: one encounter (its note at most 1,000,000
#: characters, up to 999 lines) fits many times over; a longer one is not read whole.
MAX_JSON_LINE_BYTES = 16 << 20


def jsonl_to_parquet(path: Path, target: Path, n: int) -> Path:
    """JSON lines of encounters as claim-line rows in Parquet (``encounter_rows``).

    Streams: 50,000 rows at a time. ``n`` (the input's position) keeps the encounters
    of different files apart. A line that is not JSON (``jsoncodec``: also one nested
    too deep, or with NaN) is one encounter, refused as ``check`` refuses it.

    Raises:
        ClaimInputError: a line is over ``MAX_JSON_LINE_BYTES``.
    """
    import gzip

    from fluorocode.jsoncodec import decode

    def rows() -> Iterator[dict[str, Any]]:
        ordinal = source_of(n)
        opened = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
        with opened as f:
            number = 0
            while text := f.readline(MAX_JSON_LINE_BYTES + 1):
                number += 1
                if len(text) > MAX_JSON_LINE_BYTES:
                    raise unreadable(
                        str(path),
                        f"line {number} is over {MAX_JSON_LINE_BYTES:,} bytes (one "
                        "encounter per line)",
                    )
                if not text.strip():
                    continue
                ordinal += 1
                try:
                    obj = decode(text)
                except ValueError:  # refused as "not an object", as check does
                    obj = text.decode("utf-8", "replace")
                yield from encounter_rows(obj, ordinal)

    return _write_rows(rows(), target)


@dataclass(frozen=True, slots=True)
class ClaimsContext:
    """How ``check`` reads a claims file, so a batch reads it the same way.

    Attributes:
        program: the program of claims that name none (``Checker.claims_program``).
        x12_payer_ids: an 837's NM109 (loop 2010BB) -> payer profile id.
        fhir_payer_ids: a FHIR insurer identifier (system, value) -> profile id.
        payer_programs: each known profile's base program (None: any well-formed
            payer is accepted, as ``parse_encounter`` without profiles).
        default_payer: the payer of claims that name none (``--payer``).
    """

    program: str = "medicare"
    x12_payer_ids: Mapping[str, str] = field(default_factory=dict)
    fhir_payer_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    payer_programs: Mapping[str, Program] | None = None
    default_payer: str | None = None


def plain_sql(default_payer: str | None, ordinals: bool = True) -> str:
    """What else a line needs for its encounter to be decided in SQL, as an SQL
    condition (DuckDB and Spark) over the job's typed lines (``payer``,
    ``program_n``, the key columns, ``source_ordinal``):

    - the payer the line gives, else ``default_payer``, else none, leaves the
      encounter under its program's built-in profile, the only one the SQL decides
      for (a built-in id is its program's name, ``rules.payers.BUILTIN``): a payer
      naming the other program, a user profile or an invalid id goes to the engine,
      which applies or rejects it as ``check`` does;
    - no other encounter (another ``source_ordinal``) has the same claim id, date
      and provider: the output rows cannot tell such encounters apart, so the engine
      counts their statuses (``summary``). ``ordinals`` false says every line has
      ``source_ordinal`` 0 (CSV and Parquet claim lines only): the condition then
      always holds, and its window over every line, half the cost of reading a
      batch, is left out.

    Raises:
        ValueError: ``default_payer`` is not a profile id.
    """
    if default_payer is None:
        fallback = "program_n"
    elif PROFILE_ID.fullmatch(default_payer) is None:
        raise ValueError(f"{default_payer!r} is not a payer profile id")
    else:
        fallback = f"'{default_payer}'"
    payer = f"coalesce(nullif(payer, ''), {fallback}) = program_n"
    if not ordinals:
        return payer
    key = (
        "PARTITION BY coalesce(claim_id, ''), coalesce(date_of_service, ''), "
        "coalesce(provider, '')"
    )
    return (
        f"{payer} AND min(source_ordinal) OVER ({key})"
        f" = max(source_ordinal) OVER ({key})"
    )


def source_of(n: int) -> int:
    """The first ``source_ordinal`` of the ``n``-th input (0-based) converted here:
    the input's number times 10^12 (CSV and Parquet lines have 0)."""
    return (n + 1) * 10**12


def claims_to_parquet(
    paths: Sequence[Path], folder: Path, context: ClaimsContext
) -> list[Path]:
    """``paths`` with each 837 and FHIR file replaced by its claim-line Parquet in
    ``folder`` (``x12_to_parquet``, ``fhir_to_parquet``); the positions are kept, so
    the encounters of different files stay apart.

    Raises:
        ClaimInputError: a local path is missing or not a regular file.
        X12ParseError, FhirMappingError: a claims file cannot be read as a whole.
    """
    for path in paths:
        check_local_file(path)
    out = []
    for n, path in enumerate(paths):
        kind = kind_of(path)
        if kind == "x12":
            path = x12_to_parquet(path, folder / f"claims-{n}.parquet", n, context)
        elif kind == "fhir":
            path = fhir_to_parquet(path, folder / f"claims-{n}.parquet", n, context)
        out.append(path)
    return out


def x12_to_parquet(
    path: Path, target: Path, n: int, context: ClaimsContext | str
) -> Path:
    """The encounters of an 837 file as claim-line rows in Parquet (``_claim_rows``).

    ``context``: how ``check`` would read it, or just the program of claims whose
    SBR09 names none (then no payer profile is read). Line numbers are the LX numbers
    when they are distinct whole numbers, else the lines' positions.

    Raises:
        X12ParseError: the file cannot be read as a whole.
    """
    from fluorocode.adapters.claims.reader import x12_provided

    ctx = context if isinstance(context, ClaimsContext) else ClaimsContext(context)

    def pairs() -> Iterator[tuple[str, SourceEncounter]]:
        with open(path, "rb") as f:
            yield from x12_provided(f, str(path), ctx.program, ctx.x12_payer_ids)

    return _write_rows(_claim_rows(pairs(), n, ctx, "line"), target)


def fhir_to_parquet(path: Path, target: Path, n: int, context: ClaimsContext) -> Path:
    """The encounters of a FHIR R4 Claim or Bundle file as claim-line rows in Parquet
    (``_claim_rows``). Line numbers are the items' ``sequence`` when distinct whole
    numbers, else the items' positions.

    Raises:
        FhirMappingError: not JSON (line and column named), or not a Claim or a
            Bundle of Claims -- as ``check`` refuses it.
    """
    from fluorocode.adapters.claims.errors import FhirMappingError
    from fluorocode.adapters.claims.reader import fhir_encounters
    from fluorocode.errors import JsonDocumentError
    from fluorocode.jsoncodec import decode

    try:
        doc = decode(path.read_bytes())
    except JsonDocumentError as exc:
        raise FhirMappingError(
            str(path), f"line {exc.line}, column {exc.column}", exc.reason
        ) from None
    pairs = fhir_encounters(doc, str(path), context.program, context.fhir_payer_ids)
    return _write_rows(_claim_rows(pairs, n, context, "sequence"), target)


def _claim_rows(
    pairs: Iterable[tuple[str, SourceEncounter]],
    n: int,
    ctx: ClaimsContext,
    number: str,
) -> Iterator[dict[str, Any]]:
    """Claim-line rows of encounters read from a claims file, with their provider.

    An encounter the contract accepts as read (no reading error, not an inpatient
    bill, ``parse_encounter`` content under the context's payer profiles) becomes
    plain rows, which the SQL may decide; any other carries, on each of its lines, its
    ``SourceEncounter`` as JSON (``source``, ``{"claim": ...}``), so the engine checks
    it as ``check`` does and the report names the file's places. ``number``: the key
    of a source line's number (``line``: the LX; ``sequence``: the FHIR item's).
    """
    import json

    from fluorocode.adapters.claims.reader import to_json

    ordinal = source_of(n)
    for provider, enc in pairs:
        ordinal += 1
        lines = enc.encounter.get("lines") or []
        numbers = _line_numbers(enc.source, len(lines), number)
        plain = list(encounter_rows(enc.encounter, ordinal, provider))
        if (
            not (enc.errors or enc.not_subject)
            and _accepted(enc.encounter, ctx)
            and all(r["source"] is None for r in plain)
            and all(numbers)
        ):
            for row, at in zip(plain, numbers, strict=True):
                yield {**row, "line": at}
            continue
        source = json.dumps({"claim": to_json(enc)})
        obj = enc.encounter
        for i, line in enumerate(lines or [{}]):
            line = line if isinstance(line, dict) else {}
            mods = line.get("modifiers")
            yield {
                "claim_id": _text(obj.get("id")),
                "line": numbers[i] if i < len(numbers) and numbers[i] else str(i + 1),
                "date_of_service": _text(obj.get("date_of_service")),
                "place_of_service": _text(obj.get("place_of_service")),
                "claim_type": _text(obj.get("claim_type")),
                "program": _text(obj.get("program")),
                "provider": provider,
                "code": _text(line.get("code")),
                "modifiers": ":".join(mods)
                if isinstance(mods, list) and all(isinstance(m, str) for m in mods)
                else None,
                "units": None if line.get("units") is None else str(line.get("units")),
                "payer": _text(obj.get("payer")),
                "source": source,
                "source_ordinal": ordinal,
            }


def _line_numbers(source: Mapping[str, Any], n: int, key: str) -> list[str]:
    """The lines' numbers in the file when distinct, else positions; ``""`` where
    a number is not a whole number of at most 18 digits."""
    given = [str(ln.get(key, "")) for ln in source.get("lines", [])]
    if len(given) != n or len(set(given)) < n:
        given = [str(i + 1) for i in range(n)]
    return [x if x.isdigit() and len(x) <= 18 else "" for x in given]


def _accepted(obj: Any, ctx: ClaimsContext) -> bool:
    """``parse_encounter`` accepts it as ``api.check_source`` parses it."""
    from fluorocode.domain.encounter_input import parse_encounter

    try:
        parse_encounter(obj, payers=ctx.payer_programs, default_payer=ctx.default_payer)
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
