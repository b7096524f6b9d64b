"""Build an in-memory edition (``MemoryEdits``) from rows written as YAML or Python lists.

An edition spec is a mapping of tables to rows; a table that is absent is not in the
edition (its rules report ``no_data``), an empty list is a table with no rows::

    ptp:                       # practitioner and outpatient-hospital tables alike
      - [29880, 76000, 2000-01-01, null, 1, Standards of medical/surgical practice]
    ptp_practitioner: [...]    # one table only (same row shape)
    ptp_outpatient_hospital: [...]
    mue: [[76000, 3, 3, "Clinical: Data"]]          # also mue_practitioner, ...
    aoc: [[77002, 20610, 1]]                         # add-on, primary, edit type
    pfs: [[76000, A, "1", XXX]]                      # code, status, PC/TC, global
    quarter: 2024Q3                                  # optional
    demo: false                                      # optional

PTP rows are ``[column 1, column 2, effective, deletion or null, indicator, rationale]``.
A spec may say ``extends: fixture`` to start from the shared fixture edition
(``tests/rule_cases/_edition.yaml``), ``drop`` whole tables of it, and add its own rows.
The names ``fixture`` and ``demo`` (the built-in demo edition) stand for themselves.

Codes may be written bare (YAML reads ``29880`` as a number); quote any code that starts
with ``0``, which YAML could read as an octal number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fluorocode.adapters.store.demo import demo_edition
from fluorocode.domain.codes import ModifierIndicator, MueAdjudication, Program
from fluorocode.domain.edits import (
    AocEdit,
    EditionInfo,
    EditLookup,
    MueEdit,
    PfsIndicators,
    PtpEdit,
    SourceFile,
    Table,
)
from fluorocode.domain.memory_edits import MemoryEdits, table_counts

CASES_DIR = Path(__file__).resolve().parent.parent / "rule_cases"
FIXTURE_FILE = CASES_DIR / "_edition.yaml"

_PTP_KEYS = {
    "ptp": (Table.PTP_PRACTITIONER, Table.PTP_OUTPATIENT_HOSPITAL),
    "ptp_practitioner": (Table.PTP_PRACTITIONER,),
    "ptp_outpatient_hospital": (Table.PTP_OUTPATIENT_HOSPITAL,),
}
_MUE_KEYS = {
    "mue": (Table.MUE_PRACTITIONER, Table.MUE_OUTPATIENT_HOSPITAL),
    "mue_practitioner": (Table.MUE_PRACTITIONER,),
    "mue_outpatient_hospital": (Table.MUE_OUTPATIENT_HOSPITAL,),
}
_SPEC_KEYS = {
    *_PTP_KEYS,
    *_MUE_KEYS,
    "aoc",
    "pfs",
    "quarter",
    "demo",
    "extends",
    "drop",
    "about",
}


def code(value: Any) -> str:
    """A code as text: ``29880`` and ``"29880"`` both give ``"29880"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10000:
        return str(value)
    raise ValueError(f"code {value!r}: write it as text (quote codes starting with 0)")


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def ptp_row(row: list[Any]) -> PtpEdit:
    c1, c2, effective, deletion, indicator, rationale = row
    start = _date(effective)
    assert start is not None, f"PTP row {row}: effective date required"
    return PtpEdit(
        code(c1),
        code(c2),
        start,
        _date(deletion),
        ModifierIndicator(int(indicator)),
        str(rationale),
    )


def mue_row(row: list[Any]) -> MueEdit:
    c, value, mai, rationale = row
    return MueEdit(code(c), int(value), MueAdjudication(int(mai)), str(rationale))


def aoc_row(row: list[Any]) -> AocEdit:
    addon, primary, edit_type = row
    return AocEdit(code(addon), code(primary), int(edit_type))


def pfs_row(row: list[Any]) -> PfsIndicators:
    c, status, pctc, global_days = row
    return PfsIndicators(code(c), str(status), str(pctc), str(global_days))


@cache
def fixture_spec() -> Mapping[str, Any]:
    """The shared fixture edition, as written in ``_edition.yaml``."""
    spec = yaml.safe_load(FIXTURE_FILE.read_text("utf-8"))
    assert isinstance(spec, dict)
    return spec


def _resolve(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A spec with ``extends`` and ``drop`` applied: plain tables of rows."""
    unknown = set(spec) - _SPEC_KEYS
    assert not unknown, f"unknown edition keys: {sorted(unknown)}"
    base = spec.get("extends")
    if base is None:
        out = {}
    elif base == "fixture":
        out = {
            k: (list(v) if isinstance(v, list) else v)
            for k, v in fixture_spec().items()
        }
    else:
        raise AssertionError(f"an edition can only extend 'fixture', not {base!r}")
    for key in spec.get("drop", ()):  # from the base, before the spec's own rows
        assert key in _SPEC_KEYS, f"cannot drop {key!r}"
        out.pop(key, None)
        if key in ("ptp", "mue"):  # dropping a family drops its per-table lists too
            for table_key in (*_PTP_KEYS, *_MUE_KEYS):
                if table_key.startswith(key + "_"):
                    out.pop(table_key, None)
    for key, value in spec.items():
        if key in ("extends", "drop"):
            continue
        if isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + value
        else:
            out[key] = value
    return out


def build_edition(spec: str | Mapping[str, Any] | None = None) -> EditLookup:
    """The edition a spec describes; ``None`` is the shared fixture edition."""
    if spec is None or spec == "fixture":
        return _fixture_edition()
    if spec == "demo":
        return demo_edition()
    if isinstance(spec, str):
        raise AssertionError(f"unknown edition {spec!r} (fixture, demo, or a mapping)")
    return _build(_resolve(spec))


@cache
def _fixture_edition() -> MemoryEdits:
    return _build(_resolve(fixture_spec()))


def _build(spec: Mapping[str, Any]) -> MemoryEdits:
    ptp: dict[Table, list[PtpEdit]] = {}
    for key, tables in _PTP_KEYS.items():
        if key in spec:
            rows = [ptp_row(r) for r in spec[key] or ()]
            for table in tables:
                ptp.setdefault(table, []).extend(rows)
    mues: dict[Table, dict[str, MueEdit]] = {}
    for key, tables in _MUE_KEYS.items():
        if key in spec:
            rows_by_code = {m.code: m for m in (mue_row(r) for r in spec[key] or ())}
            for table in tables:
                mues.setdefault(table, {}).update(rows_by_code)
    aoc = [aoc_row(r) for r in spec["aoc"] or ()] if "aoc" in spec else None
    pfs = (
        {p.code: p for p in (pfs_row(r) for r in spec["pfs"] or ())}
        if "pfs" in spec
        else None
    )
    digest = hashlib.sha256(
        json.dumps(spec, sort_keys=True, default=str).encode()
    ).hexdigest()
    counts = table_counts(ptp, mues, aoc, pfs)
    info = EditionInfo(
        program=Program.MEDICARE,
        quarter=str(spec.get("quarter", "2024Q3")),
        version="test",
        demo=bool(spec.get("demo", False)),
        tables=counts,
        sources=tuple(
            SourceFile("tests/rule_cases", digest, rows, table)
            for table, rows in counts.items()
        ),
    )
    return MemoryEdits(info=info, ptp=ptp, mues=mues, aoc=aoc, pfs_rows=pfs)
