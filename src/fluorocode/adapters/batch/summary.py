"""``summary.json``: what a batch found, counted from its own output tables.

The counting statements are plain SQL over the views ``out_lines`` and
``out_findings``, so DuckDB and Spark count the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: SQL -> rows; each engine passes its own runner.
Query = Callable[[str], list[tuple[Any, ...]]]

ENCOUNTERS = """
SELECT status, count(*) FROM (
  SELECT DISTINCT claim_id, date_of_service, provider, status FROM out_lines
) e GROUP BY status ORDER BY status
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
        "encounters_checked_by_rules": counts.get("engine", 0),
        "encounters_decided_in_sql": counts.get("encounters", 0)
        - counts.get("engine", 0),
        # of those, the ones with PTP edits, decided with NC01's findings (ptp_sql)
        "encounters_with_edits_decided_in_sql": counts.get("ptp", 0),
        "encounters_by_status": {s: n for s, n in query(ENCOUNTERS)},
        "lines_by_action": {a: n for a, n in query(ACTIONS)},
        "findings_by_rule": [
            {"rule": r, "status": s, "count": n} for r, s, n in query(RULES)
        ],
        "editions": [q for (q,) in query(EDITIONS)],
        "seconds": round(seconds, 3),
        "lines_per_second": round(lines / seconds) if seconds > 0 else None,
    }
