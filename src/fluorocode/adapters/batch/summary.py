"""``summary.json``: what a batch found, counted from its own output tables.

The counting statements are plain SQL over the views ``out_lines`` and
``out_findings`` and the job's own ``lines`` and ``routes``, so DuckDB and Spark count
the same way.

Encounters are counted as the job checked them (its ``ekey``), never merged by claim
id: two different encounters with the same claim id, date and provider (from two JSON
lines, two files of claims) are two. The output rows cannot tell such encounters apart,
so the job sends them all to the rule engine (``inputs.plain_sql``), which counts
each encounter's status as it writes it (``counts["status:S"]``); the encounters
decided in SQL then have keys of their own, counted from the output rows. ``claims``
counts (input file, claim id, provider) over the ``claim_id`` column: CSV and Parquet
lines are one source (their encounters span files, as contract.md's key says); an
837 or FHIR claim on several dates counts once per date, its encounters' ids being
``CLM01@date``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: SQL -> rows; each engine passes its own runner.
Query = Callable[[str], list[tuple[Any, ...]]]

#: The statuses of the encounters decided in SQL: the output rows of every key no
#: encounter of the engine has.
ENCOUNTERS_IN_SQL = """
SELECT o.status, count(*) FROM (
  SELECT DISTINCT coalesce(claim_id, '') AS claim_id,
         coalesce(date_of_service, '') AS dos, provider, status
  FROM out_lines
) o
LEFT JOIN (
  SELECT DISTINCT coalesce(l.claim_id, '') AS claim_id,
         coalesce(l.date_of_service, '') AS dos, l.provider
  FROM lines l JOIN routes r ON r.ekey = l.ekey AND r.route = 'engine'
) g ON g.claim_id = o.claim_id AND g.dos = o.dos AND g.provider = o.provider
WHERE g.claim_id IS NULL
GROUP BY o.status
"""
#: Claims: (input file, claim id, provider); ``inputs.source_of`` numbers the files.
CLAIMS = """
SELECT count(*) FROM (
  SELECT DISTINCT floor(source_ordinal / 1000000000000) AS source,
         coalesce(claim_id, '') AS claim_id, provider
  FROM lines
) c
"""
ACTIONS = (
    "SELECT coalesce(action, 'none'), count(*) FROM out_lines GROUP BY 1 ORDER BY 1"
)
RULES = """
SELECT rule, status, count(*) FROM out_findings GROUP BY rule, status ORDER BY rule, status
"""
EDITIONS = "SELECT DISTINCT edition FROM out_lines WHERE edition IS NOT NULL ORDER BY 1"


def summarise(
    query: Query, engine: str, counts: dict[str, int], seconds: float
) -> dict[str, Any]:
    lines = counts.get("lines", 0)
    return {
        "engine": engine,
        "lines": lines,
        "encounters": counts.get("encounters", 0),
        "claims": query(CLAIMS)[0][0],
        "encounters_checked_by_rules": counts.get("engine", 0),
        "encounters_decided_in_sql": counts.get("encounters", 0)
        - counts.get("engine", 0),
        # of those, the ones NCCI edits (NC01-NC03) speak to (ptp_sql, rule_sql)
        "encounters_with_edits_decided_in_sql": counts.get("ptp", 0),
        "encounters_by_status": _by_status(query, counts),
        "lines_by_action": {a: n for a, n in query(ACTIONS)},
        "findings_by_rule": [
            {"rule": r, "status": s, "count": n} for r, s, n in query(RULES)
        ],
        "editions": [q for (q,) in query(EDITIONS)],
        "seconds": round(seconds, 3),
        "lines_per_second": round(lines / seconds) if seconds > 0 else None,
    }


def _by_status(query: Query, counts: dict[str, int]) -> dict[str, int]:
    """Encounters by report status: the engine's, as it counted them, and those
    decided in SQL, from the output rows."""
    statuses = {
        key.removeprefix("status:"): n
        for key, n in counts.items()
        if key.startswith("status:")
    }
    for status, n in query(ENCOUNTERS_IN_SQL):
        statuses[status] = statuses.get(status, 0) + n
    return dict(sorted(statuses.items()))
