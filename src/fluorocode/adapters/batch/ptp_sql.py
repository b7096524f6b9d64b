"""NC01 in SQL: the findings of the encounters decided in SQL (issue 10).

``_sql.routes`` proves which encounters these are (route ``edits``) and ``_sql.PTP_FACTS``
gives one row per edit row, with its one column-1 and one column-2 line. Here each
fact becomes what ``rules.nc01_ptp.PtpRule`` and the engine make of it, as SQL both
DuckDB and Spark run:

- indicator 0: ``ptp.bundled`` (``fail``), the column-2 line ``remove``; the message
  names the column-2 line's PTP-associated modifiers, which cannot bypass it;
- indicator 1 with a bypass modifier on the column-2 line (the payer's, an anatomic one
  only where the column-1 line lacks it: ``rules._modifiers``): ``ptp.bypassed``;
- indicator 1 without: ``ptp.modifier-required`` (``fail``), the line ``hold`` with a
  ``confirm_distinct_service`` prompt.

Nothing is written twice: the messages are the rule's own ``str.format`` templates
(``nc01_ptp.BUNDLED`` ...) compiled into ``concat``; a line reference is whatever
``line_refs`` writes for one line; the evidence JSON and its flattened columns are what
``nc01_ptp.finding_evidence`` and ``rows.evidence_columns`` give for a marked edit row,
with the marks replaced by the row's values. The encounters' lines, with NC03's and
NC02's decisions after NC01's, are ``rule_sql``'s.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from fluorocode.adapters.batch._sql import Dialect
from fluorocode.adapters.batch.editions import TABLES
from fluorocode.adapters.batch.rows import FINDING_SCHEMA, evidence_columns
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import OPEN_DELETION
from fluorocode.domain.codes import (
    ANATOMIC_MODIFIERS,
    PTP_ASSOCIATED_MODIFIERS,
    ModifierIndicator,
    Program,
)
from fluorocode.domain.edits import PtpEdit, Table
from fluorocode.domain.findings import Status
from fluorocode.jsoncodec import encode
from fluorocode.rules import nc01_ptp
from fluorocode.rules.base import line_refs, table_evidence
from fluorocode.rules.engine import edition_block
from fluorocode.rules.payers import baseline

BUNDLED, REQUIRED, BYPASSED = "ptp.bundled", "ptp.modifier-required", "ptp.bypassed"
#: The deletion dates the store reads as none (``edition.optional_date``)
_OPEN = (OPEN_DELETION, 0)

# Marks put where a row's values go; none of them can occur in a template's own text.
_C1, _C2, _RATIONALE, _INDEX = "\x02c1\x03", "\x02c2\x03", "\x02r\x03", "\x02i\x03"
_EFFECTIVE, _DELETION = date(1111, 11, 11), date(1222, 12, 22)


def literal(text: str) -> str:
    """``text`` as an SQL string both engines read alike (quotes and backslashes, which
    they escape differently, as ``chr``)."""
    parts = re.split(r"(['\\])", text)
    sql = [f"chr({ord(p)})" if p in ("'", "\\") else f"'{p}'" for p in parts if p]
    if not sql:
        return "''"
    return sql[0] if len(sql) == 1 else f"concat({', '.join(sql)})"


def marked_sql(text: str, slots: Mapping[str, str]) -> str:
    """``text`` whose marks (the keys of ``slots``) become the SQL expressions."""
    if not slots:
        return literal(text)
    pattern = "|".join(re.escape(m) for m in slots)
    parts: list[str] = []
    at = 0
    for match in re.finditer(pattern, text):
        if match.start() > at:
            parts.append(literal(text[at : match.start()]))
        parts.append(slots[match.group(0)])
        at = match.end()
    if at < len(text):
        parts.append(literal(text[at:]))
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def template_sql(template: str, fields: Mapping[str, str]) -> str:
    """A ``str.format`` template as SQL: its text, and ``fields`` (SQL expressions of
    text) where it names them."""
    parts: list[str] = []
    for text, name, spec, conversion in string.Formatter().parse(template):
        if text:
            parts.append(literal(text))
        if name is not None:
            if spec or conversion or name not in fields:
                raise ValueError(f"template field {{{name}}}: not renderable in SQL")
            parts.append(fields[name])
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def _line_ref(index: str) -> str:
    """How a message names one line (``line_refs`` of one index), for SQL ``index``."""
    text = line_refs([cast(int, _INDEX)])  # one line: only written, never compared
    return marked_sql(text, {_INDEX: f"CAST({index} AS STRING)"})


def _modifier_list(mods: str, accepted: Iterable[str], column1: str | None) -> str:
    """The modifiers of ``mods`` (``:XS:59:``) that are in ``accepted``, sorted, each
    once, joined as a message lists them; with ``column1``, anatomic ones only where
    the column-1 line lacks them (``rules._modifiers.bypass_modifiers``)."""
    cases = []
    for m in sorted(accepted):
        test = f"{mods} LIKE '%:{m}:%'"
        if column1 is not None and m in ANATOMIC_MODIFIERS:
            test += f" AND NOT {column1} LIKE '%:{m}:%'"
        cases.append(f"CASE WHEN {test} THEN '{m}' END")
    return f"concat_ws({literal(nc01_ptp.MODIFIER_SEPARATOR)}, {', '.join(cases)})"


def programs() -> tuple[list[str], frozenset[str]]:
    """The programs whose built-in payer profile NC01-NC03 may be decided in SQL for
    (no departure, no extra bundle, no MUE basis, one set of bypass modifiers), and
    that set."""
    profiles = {p: baseline(p) for p in Program}
    plain = {
        p: prof
        for p, prof in profiles.items()
        if prof.bypass_departure is None
        and not prof.extra_bundles
        and prof.mue_basis is None
    }
    accepted = next(iter(plain.values())).bypass_modifiers if plain else frozenset()
    chosen = sorted(
        p.value for p, prof in plain.items() if prof.bypass_modifiers == accepted
    )
    return chosen, accepted


def quoted(values: Sequence[str]) -> str:
    """``values`` as an SQL list (``''`` when empty: matches no program)."""
    return ", ".join(literal(v) for v in values) or "''"


def outcomes_sql(accepted: frozenset[str]) -> str:
    """``ptp_facts`` with ``tried`` (the column-2 line's PTP-associated modifiers, as
    listed), ``bypass`` (those that bypass the row) and ``outcome`` (the rule id): the
    table ``ptp_outcomes`` the output statements read."""
    tried = _modifier_list("f.mods2", PTP_ASSOCIATED_MODIFIERS, None)
    bypass = _modifier_list("f.mods2", accepted, "f.mods1")
    return f"""
SELECT f.*, {tried} AS tried, {bypass} AS bypass,
       CASE WHEN f.indicator = {int(ModifierIndicator.NOT_ALLOWED)} THEN '{BUNDLED}'
            WHEN {bypass} <> '' THEN '{BYPASSED}'
            ELSE '{REQUIRED}' END AS outcome
FROM ptp_facts f
"""


def _message() -> str:
    fields = {
        "c1": "f.column1",
        "c2": "f.column2",
        "rationale": "f.rationale",
        "refs1": _line_ref("f.idx1"),
        "refs2": _line_ref("f.idx2"),
    }
    where = template_sql(nc01_ptp.WHERE, fields)
    tried = template_sql(nc01_ptp.BUNDLED_TRIED, {"listed": "f.tried"})
    bundled = template_sql(
        nc01_ptp.BUNDLED,
        {**fields, "tried": f"CASE WHEN f.tried = '' THEN '' ELSE {tried} END"},
    )
    bypassed = template_sql(nc01_ptp.BYPASSED, {"where": where, "listed": "f.bypass"})
    required = template_sql(nc01_ptp.REQUIRED, {**fields, "where": where})
    return (
        f"CASE f.outcome WHEN '{BUNDLED}' THEN {bundled} "
        f"WHEN '{BYPASSED}' THEN {bypassed} ELSE {required} END"
    )


def _iso(column: str) -> str:
    """A YYYYMMDD integer column as ISO text (``date.isoformat``)."""
    text = f"CAST({column} AS STRING)"
    return (
        f"concat(substr({text}, 1, 4), '-', substr({text}, 5, 2), '-', "
        f"substr({text}, 7, 2))"
    )


def _evidence_variants(
    editions: Sequence[CompiledEdition],
    used: Iterable[tuple[int, str]],
    rationales: Iterable[str],
) -> list[tuple[str, dict[str, str]]]:
    """Per (edition, table, indicator, open deletion): the condition on ``f`` and the
    SQL of each evidence column of ``FINDING_SCHEMA``."""
    claim_type = {ptp: t for t, (ptp, _) in TABLES.items()}
    rationale_json = " ".join(
        f"WHEN {literal(r)} THEN {literal(encode(r).decode()[1:-1])}"
        for r in sorted(rationales)
    )
    raw = {
        _C1: "f.column1",
        _C2: "f.column2",
        _RATIONALE: "f.rationale",
        _EFFECTIVE.isoformat(): _iso("f.effective"),
        _DELETION.isoformat(): _iso("f.deletion"),
    }
    # in the JSON text, a mark reads as the JSON encoder writes it
    as_json = {
        encode(mark).decode()[1:-1]: sql
        for mark, sql in {
            **raw,
            _RATIONALE: f"CASE f.rationale {rationale_json} END",
        }.items()
    }
    variants = []
    for edition, tbl in sorted(used):
        table = Table(tbl)
        block = edition_block(editions[edition], claim_type[table])
        where_table = table_evidence(block, table)
        for indicator in (ModifierIndicator.NOT_ALLOWED, ModifierIndicator.ALLOWED):
            for open_ in (True, False):
                edit = PtpEdit(
                    _C1,
                    _C2,
                    _EFFECTIVE,
                    None if open_ else _DELETION,
                    indicator,
                    _RATIONALE,
                )
                evidence = nc01_ptp.finding_evidence(edit, where_table)
                columns = evidence_columns(evidence, block.get("quarter"))
                sql = {}
                for name, value in columns.items():
                    sql[name] = _value_sql(
                        value, as_json if name == "evidence" else raw
                    )
                deletion = f"f.deletion IN ({', '.join(map(str, _OPEN))})"
                condition = (
                    f"f.edition = {edition} AND f.tbl = {literal(tbl)} AND "
                    f"f.indicator = {int(indicator)} AND "
                    + (deletion if open_ else f"NOT {deletion}")
                )
                variants.append((condition, sql))
    return variants


def _value_sql(value: Any, slots: Mapping[str, str]) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)"
    return marked_sql(str(value), slots)


def findings_sql(
    dialect: Dialect,
    editions: Sequence[CompiledEdition],
    used: Iterable[tuple[int, str]],
    rationales: Iterable[str],
) -> str:
    """The ``findings`` rows (``FINDING_SCHEMA``) of the ``ptp`` encounters.

    ``used``: the (edition, PTP table) pairs of ``ptp_facts``; ``rationales``: its
    distinct rationales (their JSON is written once, by the JSON encoder).
    """
    variants = _evidence_variants(editions, used, rationales)
    status = (
        f"CASE f.outcome WHEN '{BYPASSED}' THEN '{Status.BYPASSED.value}' "
        f"ELSE '{Status.FAIL.value}' END"
    )
    computed = {
        "claim_id": "f.claim_id",
        "date_of_service": "f.date_of_service",
        "provider": "f.provider",
        "finding": "CAST(f.finding AS BIGINT)",
        "rule": "f.outcome",
        "status": status,
        "lines": dialect.of("f.line1", "f.line2"),
        "message": _message(),
        "citation": literal(nc01_ptp.CITATION),
    }
    return f"SELECT {finding_columns(computed, variants)} FROM ptp_outcomes f"


def finding_columns(
    computed: Mapping[str, str], variants: Sequence[tuple[str, Mapping[str, str]]]
) -> str:
    """The ``FINDING_SCHEMA`` columns of a findings SELECT: ``computed`` ones as given,
    the others per variant (``WHEN condition THEN its SQL``), cast to the schema's type."""
    types = {f.name: f.type for f in FINDING_SCHEMA}
    select = []
    for name in FINDING_SCHEMA.names:
        if name in computed:
            select.append(f"{computed[name]} AS {name}")
            continue
        cases = " ".join(f"WHEN {c} THEN {sql[name]}" for c, sql in variants)
        kind = "BIGINT" if str(types[name]) == "int64" else "STRING"
        body = f"CASE {cases} END" if cases else "NULL"
        select.append(f"CAST({body} AS {kind}) AS {name}")
    return ", ".join(select)
