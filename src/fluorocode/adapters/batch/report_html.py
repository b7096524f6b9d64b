"""The practice self-audit report: one static, offline HTML page of a batch's output.

Charts are drawn with plotly (the ``[report]`` extra); plotly.js is inlined once, so
the page opens with no network. What an auditor looks at (issue 10):

1. 76000 lines and how they ended (kept, modified, held, removed), per provider and per
   place of service;
2. the use of the bypass modifiers 59/XE/XS/XP/XU per provider, against the batch's
   distribution: a provider far above the others is what an audit samples first
   (outlier: above the batch's 75th percentile + 1.5 x IQR);
3. the edits hit most often (rule, and for PTP/MUE the edit row);
4. dollars at risk (lines held or removed) from the PFS RVUs and conversion factor, when
   an RVU file is given (the compiled editions do not hold RVUs).

All numbers come from DuckDB over ``lines.parquet`` / ``findings.parquet``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import duckdb

from fluorocode.adapters._files import write_private
from fluorocode.adapters.batch.csv_input import read_failure, sql_string
from fluorocode.adapters.batch.inputs import unreadable
from fluorocode.adapters.batch.rows import FINDING_SCHEMA, LINE_SCHEMA

#: The columns of a PFS RVU file (TSV) the dollars chart reads.
RVU_COLUMNS = ("hcpcs_code", "mod", "rvu_non_sum", "rvu_fac_sum", "cf")
BYPASS = ("59", "XE", "XS", "XP", "XU")
ENDED = {"keep": "kept", "modify": "modified", "hold": "held", "remove": "removed"}
COLORS = {
    "kept": "#2e7d32",
    "modified": "#1565c0",
    "held": "#ef6c00",
    "removed": "#c62828",
}


def _figure_html(fig: Any, div_id: str) -> str:
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _ended_chart(db: duckdb.DuckDBPyConnection, by: str, title: str, div: str) -> str:
    import plotly.graph_objects as go

    rows = db.execute(
        f"""SELECT coalesce({by}, '(none)') AS k, action, count(*) FROM lines
            WHERE code = '76000' AND action IS NOT NULL
            GROUP BY ALL ORDER BY k"""
    ).fetchall()
    keys = sorted({r[0] for r in rows})
    fig = go.Figure()
    for action, label in ENDED.items():
        counts = {k: n for k, a, n in rows if a == action}
        fig.add_bar(
            name=label,
            x=keys,
            y=[counts.get(k, 0) for k in keys],
            marker_color=COLORS[label],
        )
    fig.update_layout(barmode="stack", title=title, xaxis_type="category", height=420)
    return _figure_html(fig, div)


def _bypass_chart(db: duckdb.DuckDBPyConnection) -> tuple[str, list[tuple[Any, ...]]]:
    import plotly.graph_objects as go

    mods = ", ".join(f"'{m}'" for m in BYPASS)
    rows = db.execute(
        f"""SELECT provider, count(*) AS lines,
                   count(*) FILTER (WHERE len(list_intersect(
                       string_split(coalesce(submitted_modifiers, ''), ':'), [{mods}])) > 0)
                     AS bypass
            FROM lines GROUP BY provider ORDER BY provider"""
    ).fetchall()
    rates = [(p, n, b, b / n if n else 0.0) for p, n, b in rows]
    values = sorted(r for *_, r in rates)
    fence = 0.0
    if values:
        q1 = values[len(values) // 4]
        q3 = values[(3 * len(values)) // 4]
        fence = q3 + 1.5 * (q3 - q1)
    outliers = [r for r in rates if r[3] > fence and r[2] > 0]
    fig = go.Figure()
    fig.add_box(
        y=[r[3] * 100 for r in rates],
        name="all providers",
        boxpoints="all",
        text=[r[0] for r in rates],
        hovertemplate="%{text}: %{y:.1f}%",
    )
    fig.add_scatter(
        x=["outliers"] * len(outliers),
        y=[r[3] * 100 for r in outliers],
        text=[r[0] for r in outliers],
        mode="markers+text",
        textposition="middle right",
        marker={"color": "#c62828", "size": 10},
        name="outliers",
    )
    fig.update_layout(
        title="Lines carrying 59/XE/XS/XP/XU, % of each provider's lines",
        yaxis_title="% of lines",
        height=420,
    )
    return _figure_html(fig, "bypass"), sorted(outliers, key=lambda r: -r[3])


def _edits_chart(db: duckdb.DuckDBPyConnection) -> str:
    import plotly.graph_objects as go

    rows = db.execute(
        """SELECT rule || coalesce(' ' || edit_column_1 || '/' || edit_column_2, '')
                  || coalesce(' MUE ' || mue_code, '') AS edit, count(*) AS n
           FROM findings WHERE status IN ('fail', 'bypassed')
           GROUP BY edit ORDER BY n DESC, edit LIMIT 20"""
    ).fetchall()
    fig = go.Figure(
        go.Bar(
            x=[n for _, n in rows][::-1], y=[e for e, _ in rows][::-1], orientation="h"
        )
    )
    fig.update_layout(
        title="The 20 edits hit most often", height=560, margin={"l": 320}
    )
    return _figure_html(fig, "edits")


def _dollars(db: duckdb.DuckDBPyConnection, rvu: Path | None) -> str:
    if rvu is None:
        return (
            "<p>Dollars at risk need the PFS RVUs and conversion factor, which this "
            "edition does not hold: give <code>--rvu</code> the CMS PFS RVU file as TSV "
            f"(<code>{', '.join(RVU_COLUMNS)}</code>).</p>"
        )
    import plotly.graph_objects as go

    from fluorocode.domain.codes import FACILITY_POS

    facility = ", ".join(f"'{p}'" for p in sorted(FACILITY_POS))
    source = (
        f"read_csv({sql_string(str(rvu))}, delim = '\t', header = true, "
        "all_varchar = true)"
    )
    try:
        have = {r[0] for r in db.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        missing = [c for c in RVU_COLUMNS if c not in have]
        if missing:
            raise unreadable(
                str(rvu),
                f"no column(s) {', '.join(missing)}: a PFS RVU file is a TSV with "
                + ", ".join(RVU_COLUMNS),
            )
        bad = db.execute(
            f"""SELECT hcpcs_code FROM {source} WHERE coalesce(mod, '') = '' AND (
                  TRY_CAST(rvu_non_sum AS DOUBLE) IS NULL
                  OR TRY_CAST(rvu_fac_sum AS DOUBLE) IS NULL
                  OR TRY_CAST(cf AS DOUBLE) IS NULL) LIMIT 1"""
        ).fetchall()
        if bad:
            raise unreadable(
                str(rvu),
                f"{bad[0][0]}: rvu_non_sum, rvu_fac_sum and cf must be numbers",
            )
        rows = db.execute(
            f"""WITH r AS (SELECT * FROM {source} WHERE coalesce(mod, '') = '')
                SELECT l.action, sum(l.units * CAST(r.cf AS DOUBLE) * CAST(
                         CASE WHEN l.place_of_service IN ({facility}) THEN r.rvu_fac_sum
                              ELSE r.rvu_non_sum END AS DOUBLE)) AS dollars
                FROM lines l JOIN r ON r.hcpcs_code = l.code
                WHERE l.action IN ('hold', 'remove') GROUP BY l.action
                ORDER BY l.action"""
        ).fetchall()
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        raise read_failure(str(exc), [rvu]) from None
    fig = go.Figure(
        go.Bar(
            x=[ENDED[a] for a, _ in rows],
            y=[d or 0 for _, d in rows],
            marker_color=[COLORS[ENDED[a]] for a, _ in rows],
        )
    )
    fig.update_layout(
        title="Dollars at risk (PFS RVUs x conversion factor)",
        height=380,
        yaxis_title="USD",
    )
    return _figure_html(fig, "dollars")


def _open_results(db: duckdb.DuckDBPyConnection, batch_dir: Path) -> None:
    """The batch's result files as the views ``lines`` and ``findings``.

    Raises:
        ClaimInputError: a file is missing, cannot be read, or lacks the batch's columns
            (the file named).
    """
    for name, schema in (("lines", LINE_SCHEMA), ("findings", FINDING_SCHEMA)):
        path = batch_dir / f"{name}.parquet"
        if not path.is_file():
            raise unreadable(
                str(path), "missing: give the --output directory of fluorocode batch"
            )
        try:
            db.execute(
                f"CREATE VIEW {name} AS "
                f"SELECT * FROM read_parquet({sql_string(str(path))})"
            )
            have = {row[0] for row in db.execute(f"DESCRIBE {name}").fetchall()}
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            raise read_failure(str(exc), [path]) from None
        missing = [c for c in schema.names if c not in have]
        if missing:
            raise unreadable(
                str(path), f"not a batch result: no column(s) {', '.join(missing)}"
            )


def write_report(
    batch_dir: Path, target: Path, rvu: Path | None = None
) -> dict[str, Any]:
    """Write the report page for the batch output in ``batch_dir``; return its figures."""
    from plotly.offline import get_plotlyjs

    db = duckdb.connect()
    _open_results(db, batch_dir)
    (lines, encounters) = db.execute(
        "SELECT count(*), count(DISTINCT (claim_id, date_of_service, provider)) FROM lines"
    ).fetchone() or (0, 0)
    bypass, outliers = _bypass_chart(db)
    charts = [
        (
            "76000 by provider",
            _ended_chart(
                db,
                "provider",
                "76000 lines by provider: how they ended",
                "fluoro-provider",
            ),
        ),
        (
            "76000 by place of service",
            _ended_chart(
                db,
                "place_of_service",
                "76000 lines by place of service: how they ended",
                "fluoro-pos",
            ),
        ),
        ("Bypass modifiers", bypass),
        ("Edits hit", _edits_chart(db)),
        ("Dollars at risk", _dollars(db, rvu)),
    ]
    listed = (
        "".join(
            f"<li>{html.escape(str(p))}: {r * 100:.1f}% of {n:,} lines</li>"
            for p, n, _, r in outliers[:20]
        )
        or "<li>none</li>"
    )
    sections = "".join(
        f"<section><h2>{html.escape(t)}</h2>{body}</section>" for t, body in charts
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>fluorocode practice self-audit</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem}}
section{{margin:2rem 0}}</style>
<script>{get_plotlyjs()}</script></head>
<body><h1>Practice self-audit</h1>
<p>{lines:,} claim lines in {encounters:,} encounters, checked with fluorocode
(NCCI edits and the fluoroscopy policy). Not billing advice.</p>
<h2>Bypass-modifier outliers</h2><ul id="outliers">{listed}</ul>
{sections}
</body></html>
"""
    write_private(target, page.encode())  # whole or not at all; provider-level data
    return {"lines": lines, "encounters": encounters, "outliers": len(outliers)}
