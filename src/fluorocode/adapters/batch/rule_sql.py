"""NC03 and NC02 in SQL, after NC01, and the lines of the ``edits`` encounters (issue 10).

``_sql.routes`` proves which encounters are decided here (route ``edits``): besides
NC01 (``ptp_sql``) only NC03 (add-on codes) and NC02 (MUEs) can speak to them, under
the built-in payer profile (no MUE basis). The engine runs NC01, then NC03, then NC02,
each on the lines the rules before it left *live* (not removed); this runs the same
steps set-wise, one table each:

- ``rule_states``: each line's NC01 decision (the strongest of the rows it is
  column 2 of: remove > hold) and whether NC01 asked it a ``confirm_distinct_service``
  question (a ``modifier-required`` row);
- ``aoc_out`` (NC03, ``rules.nc03_aoc``): each live add-on line with AOC rows in force
  on the date and no live other line whose code is one of their primaries. Status
  ``info`` (no action) when there are other live lines and not every row is type 1,
  else ``fail`` and the line is removed. Every add-on line judges the same live lines
  (the rule's outcome is merged after it);
- ``mue_out`` (NC02, ``rules.nc02_mue``): the lines still live, per code over its MUE:
  MAI 1 cuts each line over the value to it (``modify``), MAI 2 keeps units in line
  order until the value is used up (the rest cut, or removed at 0), MAI 3 holds every
  line with a ``confirm_units`` question.

Each looks only at the encounters ``_sql.routes`` marks ``addon`` (NC03) or ``mue``
(NC02): in the others no line is an add-on code, or no code's units on the date exceed
its MUE even before NC01 removes a line, so the rule has nothing to say.

Findings follow the engine's order: NC01's (``ptp_sql``), then NC03's by line, then
NC02's by the code's first live line (MAI 1: one per line, else one per code). A
line's action is the strongest decided (remove > hold > modify > keep), its units
NC02's when it cut them, its questions NC01's then NC02's unless it is removed, its
rules the finding ids naming it, each once, in finding order. The report status is
``needs_provider_input`` with a hold, else ``corrected`` with a change, else ``clean``:
every ``fail`` decided here comes with an action (a removal, hold or cut), so no
other case arises.

Messages are the rules' own templates (``nc03_aoc.PRIMARY_MISSING`` ...), compiled by
``ptp_sql.template_sql``; evidence is what the rules' ``finding_evidence`` gives for
marked values, the marks replaced by the row's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fluorocode.adapters.batch._sql import Dialect
from fluorocode.adapters.batch.ptp_sql import (
    BUNDLED,
    REQUIRED,
    finding_columns,
    literal,
    marked_sql,
    template_sql,
)
from fluorocode.adapters.batch.rows import LINE_SCHEMA, evidence_columns
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import OPEN_DELETION
from fluorocode.domain.codes import ClaimType, MueAdjudication
from fluorocode.domain.edits import AocEdit, MueEdit, Table
from fluorocode.domain.findings import Action, PromptKind, ReportStatus, Status
from fluorocode.jsoncodec import encode
from fluorocode.rules import nc02_mue, nc03_aoc
from fluorocode.rules.base import guidance_codes, table_evidence
from fluorocode.rules.engine import edition_block

AOC_RULE, MUE_RULE = nc03_aoc.AddOnRule.emits[0], nc02_mue.MueRule.emits[0]
_KEEP, _MODIFY, _HOLD, _REMOVE = (
    a.rank for a in (Action.KEEP, Action.MODIFY, Action.HOLD, Action.REMOVE)
)

# Marks put where a row's values go: no template or edition text holds them.
_CODE, _PRIMARY, _RATIONALE, _LIST = "\x02c\x03", "\x02p\x03", "\x02r\x03", "\x02l\x03"
_NUMBER = 918273645  # an integer mark (MUE value, AOC edit type)


def _json(text: str) -> str:
    """``text`` as the JSON encoder writes it inside a string."""
    return encode(text).decode()[1:-1]


#: Each line's NC01 decision (``ptp_rank``: an ``Action.rank``) and question.
STATES = f"""
SELECT e.*, coalesce(p.ptp_rank, {_KEEP}) AS ptp_rank, coalesce(p.asked, 0) AS asked
FROM edit_lines e LEFT JOIN (
  SELECT ekey, line2 AS line_no,
         max(CASE outcome WHEN '{BUNDLED}' THEN {_REMOVE}
                          WHEN '{REQUIRED}' THEN {_HOLD} ELSE {_KEEP} END) AS ptp_rank,
         max(CASE WHEN outcome = '{REQUIRED}' THEN 1 ELSE 0 END) AS asked
  FROM ptp_outcomes GROUP BY ekey, line2
) p ON p.ekey = e.ekey AND p.line_no = e.line_no
"""


def aoc_sql(dialect: Dialect) -> str:
    """``aoc_out``: one row per NC03 finding, with its place among the encounter's,
    the other live lines' codes (``others``) and the rows' evidence JSON (``rows``)."""
    element = encode(nc03_aoc.row_evidence(AocEdit(_CODE, _PRIMARY, _NUMBER))).decode()
    row_json = marked_sql(
        element,
        {
            _json(_CODE): "r.code",
            _json(_PRIMARY): "r.primary_code",
            str(_NUMBER): "CAST(r.edit_type AS STRING)",
        },
    )
    separator = literal(encode([0, 0]).decode()[2:-2])
    rows_json = dialect.joined(dialect.ordered_list("j", "primary_code"), separator)
    others = dialect.joined(
        dialect.ordered_list("o.code", "o.idx"), literal(nc03_aoc.OTHERS_SEPARATOR)
    )
    return f"""
WITH live AS (
  SELECT * FROM rule_states WHERE ptp_rank < {_REMOVE}
    AND ekey IN (SELECT ekey FROM routes WHERE addon)
),
inforce AS (
  SELECT s.ekey, s.idx, s.code, a.primary_code, a.edit_type
  FROM live s JOIN aoc a ON a.edition = s.edition AND a.addon = s.code
  WHERE (a.effective IS NULL OR a.effective <= s.dosint)
    AND (a.deletion IS NULL OR a.deletion IN (0, {OPEN_DELETION})
         OR a.deletion >= s.dosint)
),
judged AS (
  SELECT r.ekey, r.idx, bool_and(r.edit_type = 1) AS listed_only,
         count(o.idx) AS primaries
  FROM inforce r LEFT JOIN live o
    ON o.ekey = r.ekey AND o.code = r.primary_code AND o.idx <> r.idx
  GROUP BY r.ekey, r.idx
),
missing AS (
  SELECT j.ekey, j.idx, j.listed_only FROM judged j WHERE j.primaries = 0
),
evidence AS (
  SELECT ekey, idx, {rows_json} AS rows FROM (
    SELECT r.ekey, r.idx, r.primary_code, {row_json} AS j,
           row_number() OVER (PARTITION BY r.ekey, r.idx ORDER BY r.primary_code) AS n
    FROM inforce r JOIN missing m ON m.ekey = r.ekey AND m.idx = r.idx
  ) x WHERE n <= {nc03_aoc.EVIDENCE_ROWS}
  GROUP BY ekey, idx
),
other AS (
  SELECT m.ekey, m.idx, count(o.idx) AS n, {others} AS others
  FROM missing m JOIN live o ON o.ekey = m.ekey AND o.idx <> m.idx
  GROUP BY m.ekey, m.idx
),
ptp_found AS (
  SELECT ekey, count(*) AS n FROM ptp_outcomes GROUP BY ekey
)
SELECT s.ekey, s.claim_id, s.date_of_service, s.provider, s.idx, s.line_no, s.code,
       s.edition,
       CASE WHEN coalesce(o.n, 0) > 0 AND NOT m.listed_only THEN '{Status.INFO.value}'
            ELSE '{Status.FAIL.value}' END AS status,
       coalesce(o.others, '') AS others, e.rows,
       coalesce(f.n, 0) + row_number() OVER (PARTITION BY s.ekey ORDER BY s.idx) - 1
         AS finding
FROM missing m
JOIN live s ON s.ekey = m.ekey AND s.idx = m.idx
JOIN evidence e ON e.ekey = m.ekey AND e.idx = m.idx
LEFT JOIN other o ON o.ekey = m.ekey AND o.idx = m.idx
LEFT JOIN ptp_found f ON f.ekey = m.ekey
"""


#: ``mue_out``: one row per line NC02 looks at (a live line of a code over its MUE),
#: with the code's MUE row, its day total, its first live line, the line's decision
#: (``mue_rank``), new units (``cut``, or null) and its finding's place.
MUE_SQL = f"""
WITH live AS (
  SELECT s.* FROM rule_states s
  LEFT JOIN aoc_out a ON a.ekey = s.ekey AND a.idx = s.idx
                     AND a.status = '{Status.FAIL.value}'
  WHERE s.ptp_rank < {_REMOVE} AND a.ekey IS NULL
    AND s.ekey IN (SELECT ekey FROM routes WHERE mue)
),
over AS (
  SELECT c.*, m.value, m.mai, m.rationale FROM (
    SELECT ekey, code, edition, mue_table, min(idx) AS first_idx, sum(units) AS total
    FROM live GROUP BY ekey, code, edition, mue_table
  ) c JOIN mue_rows m ON m.edition = c.edition AND m.tbl = c.mue_table
                     AND m.code = c.code
  WHERE c.total > m.value
),
judged AS (
  SELECT s.ekey, s.claim_id, s.date_of_service, s.provider, s.idx, s.line_no,
         s.units, o.code, o.edition, o.mue_table, o.first_idx, o.total, o.value,
         o.mai, o.rationale,
         greatest(0, least(s.units, o.value - coalesce(sum(s.units) OVER (
           PARTITION BY s.ekey, s.code ORDER BY s.idx
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS kept
  FROM live s JOIN over o ON o.ekey = s.ekey AND o.code = s.code
),
decided AS (
  SELECT j.*,
    CASE j.mai
      WHEN {int(MueAdjudication.LINE)} THEN
        CASE WHEN j.units > j.value THEN {_MODIFY} ELSE {_KEEP} END
      WHEN {int(MueAdjudication.DATE_OF_SERVICE_POLICY)} THEN
        CASE WHEN j.kept = 0 THEN {_REMOVE}
             WHEN j.kept < j.units THEN {_MODIFY} ELSE {_KEEP} END
      ELSE {_HOLD} END AS mue_rank,
    CASE WHEN j.mai = {int(MueAdjudication.LINE)} AND j.units > j.value THEN j.value
         WHEN j.mai = {int(MueAdjudication.DATE_OF_SERVICE_POLICY)} AND j.kept > 0
              AND j.kept < j.units THEN j.kept END AS cut,
    -- the finding this line is named by: its own (MAI 1), else its code's
    CASE WHEN j.mai = {int(MueAdjudication.LINE)}
         THEN CASE WHEN j.units > j.value THEN j.idx END
         ELSE j.first_idx END AS finding_idx
  FROM judged j
),
numbered AS (
  SELECT ekey, first_idx, finding_idx,
         row_number() OVER (PARTITION BY ekey ORDER BY first_idx, finding_idx) - 1
           AS n
  FROM (SELECT DISTINCT ekey, first_idx, finding_idx FROM decided
        WHERE finding_idx IS NOT NULL) d
),
before AS (
  SELECT ekey, count(*) AS n FROM (
    SELECT ekey FROM ptp_outcomes UNION ALL SELECT ekey FROM aoc_out
  ) b GROUP BY ekey
)
SELECT d.*, coalesce(b.n, 0) + x.n AS finding
FROM decided d
LEFT JOIN numbered x ON x.ekey = d.ekey AND x.first_idx = d.first_idx
                    AND x.finding_idx = d.finding_idx
LEFT JOIN before b ON b.ekey = d.ekey
"""


def _columns_sql(
    evidence: Mapping[str, Any],
    quarter: str | None,
    json_slots: Mapping[str, str],
    raw_slots: Mapping[str, str],
) -> dict[str, str]:
    """The SQL of each evidence column of ``FINDING_SCHEMA`` for marked ``evidence``:
    the JSON text with ``json_slots``, the flattened columns with ``raw_slots`` (an
    integer column holding ``_NUMBER`` reads ``raw_slots[str(_NUMBER)]``)."""
    out = {}
    for name, value in evidence_columns(evidence, quarter).items():
        if value is None:
            out[name] = "NULL"
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, int):
            out[name] = raw_slots.get(str(value), f"CAST({value} AS BIGINT)")
        else:
            out[name] = marked_sql(
                str(value), json_slots if name == "evidence" else raw_slots
            )
    return out


def aoc_findings_sql(
    dialect: Dialect, editions: Sequence[CompiledEdition], used: Iterable[int]
) -> str:
    """The ``findings`` rows of ``aoc_out``; ``used``: its editions."""
    variants = []
    for edition in sorted(used):
        block = edition_block(editions[edition], ClaimType.PROFESSIONAL)
        evidence = nc03_aoc.finding_evidence(
            [AocEdit(_CODE, _PRIMARY, _NUMBER)], table_evidence(block, Table.AOC)
        )
        text = encode(evidence).decode()
        element = encode(nc03_aoc.row_evidence(AocEdit(_CODE, _PRIMARY, _NUMBER)))
        assert text.count(element.decode()) == 1
        marked = dict(evidence, aoc=_LIST)  # the rows' JSON is ``aoc_out.rows``
        columns = _columns_sql(marked, block.get("quarter"), {}, {})
        columns["evidence"] = marked_sql(
            text.replace(element.decode(), _LIST), {_LIST: "f.rows"}
        )
        variants.append((f"f.edition = {edition}", columns))
    fields = {"code": "f.code", "index": "CAST(f.idx AS STRING)"}
    kind = (
        f"CASE WHEN f.code IN ({', '.join(literal(c) for c in sorted(guidance_codes()))})"
        f" THEN {literal(nc03_aoc.GUIDANCE_ADDON)} ELSE {literal(nc03_aoc.ADDON)} END"
    )
    info = template_sql(nc03_aoc.CONTRACTOR_DEFINED, {**fields, "others": "f.others"})
    missing = template_sql(nc03_aoc.PRIMARY_MISSING, {**fields, "kind": kind})
    computed = {
        "claim_id": "f.claim_id",
        "date_of_service": "f.date_of_service",
        "provider": "f.provider",
        "finding": "CAST(f.finding AS BIGINT)",
        "rule": literal(AOC_RULE),
        "status": "f.status",
        "lines": dialect.of("f.line_no"),
        "message": f"CASE WHEN f.status = '{Status.INFO.value}' THEN {info} "
        f"ELSE {missing} END",
        "citation": literal(nc03_aoc.CITATION),
    }
    return f"SELECT {finding_columns(computed, variants)} FROM aoc_out f"


def mue_findings_sql(
    dialect: Dialect,
    editions: Sequence[CompiledEdition],
    used: Iterable[tuple[int, str, int]],
    rationales: Iterable[str],
) -> str:
    """The ``findings`` rows of ``mue_out``. ``used``: its (edition, MUE table, MAI)
    triples; ``rationales``: its distinct rationales (their JSON written by the JSON
    encoder)."""
    claim_type = {mue: t for t, (_, mue, _) in _engine_tables().items()}
    rationale_json = " ".join(
        f"WHEN {literal(r)} THEN {literal(_json(r))}" for r in sorted(rationales)
    )
    raw = {_CODE: "f.code", _RATIONALE: "f.rationale", str(_NUMBER): "f.value"}
    as_json = {
        _json(_CODE): "f.code",
        _json(_RATIONALE): f"CASE f.rationale {rationale_json} END",
        str(_NUMBER): "CAST(f.value AS STRING)",
    }
    variants = []
    for edition, tbl, mai in sorted(used):
        table = Table(tbl)
        block = edition_block(editions[edition], claim_type[table])
        mue = MueEdit(_CODE, _NUMBER, MueAdjudication(mai), _RATIONALE)
        evidence = nc02_mue.finding_evidence(mue, table_evidence(block, table))
        columns = _columns_sql(evidence, block.get("quarter"), as_json, raw)
        columns["mue_value"] = "CAST(f.value AS BIGINT)"
        condition = (
            f"f.edition = {edition} AND f.mue_table = {literal(tbl)} AND f.mai = {mai}"
        )
        variants.append((condition, columns))
    text = {
        "code": "f.code",
        "index": "CAST(f.idx AS STRING)",
        "units": "CAST(f.units AS STRING)",
        "total": "CAST(f.total AS STRING)",
        "value": "CAST(f.value AS STRING)",
        "rationale": "f.rationale",
    }
    message = (
        f"CASE f.mai WHEN {int(MueAdjudication.LINE)} "
        f"THEN {template_sql(nc02_mue.PER_LINE, text)} "
        f"WHEN {int(MueAdjudication.DATE_OF_SERVICE_POLICY)} "
        f"THEN {template_sql(nc02_mue.PER_DAY_POLICY, text)} "
        f"ELSE {template_sql(nc02_mue.PER_DAY_JUDGMENT, text)} END"
    )
    computed = {
        "claim_id": "f.claim_id",
        "date_of_service": "f.date_of_service",
        "provider": "f.provider",
        "finding": "CAST(f.finding AS BIGINT)",
        "rule": literal(MUE_RULE),
        "status": f"'{Status.FAIL.value}'",
        "lines": "f.lines",
        "message": message,
        "citation": literal(nc02_mue.CITATION),
    }
    # one row per finding: a MAI-1 line over the value, or a code's lines
    lines = dialect.ordered_list("line_no", "idx")
    return f"""
SELECT {finding_columns(computed, variants)} FROM (
  SELECT ekey, claim_id, date_of_service, provider, code, edition, mue_table, mai,
         value, rationale, total, finding, min(idx) AS idx, min(units) AS units,
         {lines} AS lines
  FROM mue_out WHERE finding IS NOT NULL AND (mai <> {int(MueAdjudication.LINE)}
                                              OR finding_idx = idx)
  GROUP BY ekey, claim_id, date_of_service, provider, code, edition, mue_table, mai,
           value, rationale, total, finding
) f
"""


def _engine_tables() -> dict[ClaimType, tuple[Table, Table, str]]:
    from fluorocode.rules.engine import _TABLES

    return _TABLES


def lines_sql(dialect: Dialect, quarters: Mapping[int, str]) -> str:
    """The ``lines`` rows (``LINE_SCHEMA``) of the ``edits`` encounters."""
    cases = " ".join(f"WHEN {i} THEN {literal(q)}" for i, q in quarters.items())
    quarter = f"CASE s.edition {cases} END" if cases else "CAST(NULL AS STRING)"
    rank = (
        "greatest(s.ptp_rank, CASE WHEN a.status = "
        f"'{Status.FAIL.value}' THEN {_REMOVE} ELSE {_KEEP} END, "
        f"coalesce(m.mue_rank, {_KEEP}))"
    )
    action = (
        f"CASE s.rank WHEN {_REMOVE} THEN '{Action.REMOVE.value}' "
        f"WHEN {_HOLD} THEN '{Action.HOLD.value}' "
        f"WHEN {_MODIFY} THEN '{Action.MODIFY.value}' ELSE '{Action.KEEP.value}' END"
    )
    distinct = literal(PromptKind.CONFIRM_DISTINCT_SERVICE.value)
    units = literal(PromptKind.CONFIRM_UNITS.value)
    asked_units = f"s.mue_rank = {_HOLD}"
    prompts = (
        f"CASE WHEN s.rank = {_REMOVE} THEN {dialect.empty_strings} "
        f"WHEN s.asked = 1 AND {asked_units} THEN {dialect.of(distinct, units)} "
        f"WHEN s.asked = 1 THEN {dialect.of(distinct)} "
        f"WHEN {asked_units} THEN {dialect.of(units)} "
        f"ELSE {dialect.empty_strings} END"
    )
    status = (
        f"CASE WHEN s.holds > 0 THEN '{ReportStatus.NEEDS_PROVIDER_INPUT.value}' "
        f"WHEN s.changes > 0 THEN '{ReportStatus.CORRECTED.value}' "
        f"ELSE '{ReportStatus.CLEAN.value}' END"
    )
    columns = {
        "claim_id": "s.claim_id",
        "date_of_service": "s.date_of_service",
        "provider": "s.provider",
        "place_of_service": "s.place_of_service",
        "line": "s.line_no",
        "code": "s.code",
        "submitted_modifiers": "s.modifiers",
        "action": action,
        "modifiers": "coalesce(s.modifiers, '')",
        "units": "coalesce(s.cut, s.units)",
        "rules": f"coalesce(r.rules, {dialect.empty_strings})",
        "prompts": prompts,
        "status": status,
        "edition": quarter,
    }
    assert list(columns) == LINE_SCHEMA.names
    select = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    return f"""
WITH decided AS (
  SELECT s.ekey, s.claim_id, s.date_of_service, s.provider, s.place_of_service,
         s.line_no, s.code, s.modifiers, s.units, s.edition, s.asked,
         m.mue_rank, m.cut, {rank} AS rank
  FROM rule_states s
  LEFT JOIN aoc_out a ON a.ekey = s.ekey AND a.idx = s.idx
  LEFT JOIN mue_out m ON m.ekey = s.ekey AND m.idx = s.idx
),
named AS (
  SELECT ekey, line1 AS line_no, outcome AS rule, finding FROM ptp_outcomes
  UNION ALL SELECT ekey, line2, outcome, finding FROM ptp_outcomes
  UNION ALL SELECT ekey, line_no, '{AOC_RULE}', finding FROM aoc_out
  UNION ALL SELECT ekey, line_no, '{MUE_RULE}', finding FROM mue_out
    WHERE finding IS NOT NULL
),
r AS (
  SELECT ekey, line_no, {dialect.ordered_list("rule", "first")} AS rules FROM (
    SELECT ekey, line_no, rule, min(finding) AS first FROM named
    GROUP BY ekey, line_no, rule
  ) n GROUP BY ekey, line_no
),
flags AS (
  SELECT ekey, max(CASE WHEN rank = {_HOLD} THEN 1 ELSE 0 END) AS holds,
         max(CASE WHEN rank IN ({_MODIFY}, {_REMOVE}) THEN 1 ELSE 0 END) AS changes
  FROM decided GROUP BY ekey
),
s AS (
  -- grouped and joined back: a third cheaper than the same maxima as windows
  SELECT d.*, f.holds, f.changes FROM decided d JOIN flags f ON f.ekey = d.ekey
)
SELECT {select}
FROM s LEFT JOIN r ON r.ekey = s.ekey AND r.line_no = s.line_no
"""
