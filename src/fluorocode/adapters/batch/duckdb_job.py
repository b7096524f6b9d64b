"""The batch engine on embedded DuckDB: claim lines in, ``lines``/``findings`` out.

One pass reads every input into a typed ``lines`` table (spilling to ``DIR/.tmp``
within ``memory_limit``); the edition's tables are read in place from their Parquet
copies; ``_sql`` routes every encounter, set-wise. Most of a real batch is written
straight from SQL: as ``clean`` (every line ``keep``, no finding) when no rule could
speak to it, and with the findings of NC01 (``ptp_sql``), NC03 and NC02 (``rule_sql``)
when only NCCI edits do -- ``_sql``'s and ``rule_sql``'s docstrings prove both equal
``check``. The rest stream out ordered by
encounter, in Arrow batches, to the caller, which checks each with the rule engine
(``api.run_batch``, in worker processes): nothing is ever loaded whole into Python.

Why the engine and not SQL for those: equality with ``check`` comes first, and the
engine *is* ``check``; SQL decides only the classes whose equality is proven (and
renders the rule's own templates, never a copy of its wording).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from fluorocode.adapters.batch import _sql, csv_input, ptp_sql, rule_sql, summary
from fluorocode.adapters.batch.csv_input import sql_string
from fluorocode.adapters.batch.editions import TABLES, EditionMap
from fluorocode.adapters.batch.encounters import STREAM_COLUMNS, Pending, group
from fluorocode.adapters.batch.inputs import (
    COLUMNS,
    column_map,
    jsonl_to_parquet,
    kind_of,
    plain_sql,
    x12_to_parquet,
)
from fluorocode.adapters.batch.rows import FINDING_SCHEMA, LINE_SCHEMA
from fluorocode.domain.codes import FACILITY_POS, NON_FACILITY_POS, ClaimType, Program
from fluorocode.domain.edits import Table
from fluorocode.domain.encounter_schema import MAX_ID_LENGTH, MAX_LINES, MAX_UNITS
from fluorocode.domain.modifiers import KNOWN_MODIFIERS
from fluorocode.rules.base import fluoro_family
from fluorocode.rules.policy import fluoro_policy

Progress = Callable[[str], None]
_SEP = "chr(31)"  # between the parts of an encounter key: no CSV value holds it


def _quote(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def special_codes() -> frozenset[str]:
    """Codes whose lines only the engine decides: the fluoroscopy family and the
    codes the policy deletes."""
    return fluoro_family() | frozenset(fluoro_policy().deleted)


class DuckDbJob:
    """One batch on DuckDB. ``prepare`` then ``pending`` then ``finish``."""

    def __init__(
        self,
        inputs: Sequence[Path],
        out: Path,
        editions: EditionMap,
        max_lines: int | None = None,
        memory_limit: str = "2GB",
        threads: int | None = None,
        say: Progress | None = None,
        program: str = "medicare",
        payer: str | None = None,
    ) -> None:
        self.inputs = list(inputs)
        self.program = program  # for 837 claims whose SBR09 names none
        self.payer = payer  # the default payer (--payer): inputs.plain_sql
        self.out = out
        self.editions = editions
        self.max_lines = max_lines
        self.say = say or (lambda _m: None)
        out.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=".batch-", dir=out))
        self.db = duckdb.connect(":memory:")
        self.db.execute(f"SET memory_limit = {sql_string(memory_limit)}")
        self.db.execute(f"SET temp_directory = {sql_string(str(self.tmp / 'spill'))}")
        self.db.execute("SET preserve_insertion_order = false")
        self.db.execute("SET enable_progress_bar = false")
        if threads:
            self.db.execute(f"SET threads = {int(threads)}")
        self.counts: dict[str, int] = {}
        #: whether an input numbers its encounters (``source_ordinal``: JSON lines and
        #: claims files), set while reading (``inputs.plain_sql``)
        self._ordinals = False
        #: the ``lines`` and ``findings`` statements of the ``edits`` encounters, set
        #: by ``prepare``
        self._edit_rows: tuple[str, list[str]] = ("", [])

    # -- reading -------------------------------------------------------------------

    def _source(self, path: Path, n: int) -> str:
        """A SELECT of one input with the canonical columns, all text."""
        kind = kind_of(path)
        if kind == "x12":
            path = x12_to_parquet(
                path, self.tmp / f"input-{n}.parquet", n, self.program
            )
            kind = "parquet"
        if kind == "jsonl":
            path = self._jsonl_to_parquet(path, n)
            kind = "parquet"
        if kind == "parquet":
            reader = f"read_parquet({sql_string(str(path))})"
            headers = [r[0] for r in self._read(f"DESCRIBE SELECT * FROM {reader}")]
        else:
            csv_input.check_line_lengths(path)
            headers = csv_input.csv_header(path)
            reader = csv_input.reader_sql(path, headers)
        found = column_map(headers, str(path))
        cols = []
        for c in COLUMNS:
            cols.append(
                f'CAST("{found[c]}" AS VARCHAR) AS {c}'
                if c in found
                else f"NULL::VARCHAR AS {c}"
            )
        if "source" in headers:
            self._ordinals = True
            extra = "source, source_ordinal"
        else:
            extra = "NULL::VARCHAR AS source, 0::BIGINT AS source_ordinal"
        return f"SELECT {', '.join(cols)}, {extra} FROM {reader}"

    def _read(self, sql: str) -> list[Any]:
        """Run a statement that reads the inputs: a malformed file is its own error
        (``csv_input.read_failure``), never a DuckDB traceback."""
        try:
            return self.db.execute(sql).fetchall()
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            raise csv_input.read_failure(str(exc), self.inputs) from None

    def _jsonl_to_parquet(self, path: Path, n: int) -> Path:
        return jsonl_to_parquet(path, self.tmp / f"input-{n}.parquet", n)

    def prepare(self) -> dict[str, int]:
        """Read the inputs, choose editions, find the encounters the engine must see,
        and write the others' lines. Returns the counts so far."""
        self.say("reading the claim lines")
        union = " UNION ALL ".join(
            self._source(p, i) for i, p in enumerate(self.inputs)
        )
        caps = {
            t: self.max_lines or MAX_LINES[t]
            for t in (ClaimType.PROFESSIONAL, ClaimType.INSTITUTIONAL)
        }
        pos = _quote(sorted(FACILITY_POS | NON_FACILITY_POS))
        known = _quote(sorted(KNOWN_MODIFIERS))
        special = _quote(sorted(special_codes()))
        ptp_p, mue_p = (t.value for t in TABLES[ClaimType.PROFESSIONAL])
        ptp_i, mue_i = (t.value for t in TABLES[ClaimType.INSTITUTIONAL])
        self._read(
            f"""
            CREATE TABLE lines AS
            WITH r AS ({union}),
            t AS (
              SELECT *,
                coalesce(nullif(claim_type, ''), 'professional') AS claim_type_n,
                coalesce(nullif(program, ''), 'medicare') AS program_n,
                CASE WHEN coalesce(modifiers, '') = '' THEN []::VARCHAR[]
                     ELSE string_split(modifiers, ':') END AS mods,
                CASE WHEN regexp_full_match(coalesce(date_of_service, ''),
                                            '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
                     THEN TRY_CAST(date_of_service AS DATE) END AS dos
              FROM r
            )
            SELECT
              coalesce(claim_id, '') || {_SEP} || coalesce(date_of_service, '') || {_SEP}
                || coalesce(provider, '') || {_SEP} || source_ordinal AS ekey,
              claim_id, line,
              CASE WHEN regexp_full_match(coalesce(line, ''), '[0-9]{{1,18}}')
                   THEN TRY_CAST(line AS BIGINT) END AS line_no,
              date_of_service, place_of_service, claim_type, program,
              coalesce(provider, '') AS provider, code, modifiers, units,
              global_billing, documentation, note, payer, source, source_ordinal,
              claim_type_n, program_n, mods, dos,
              CAST(year(dos) * 10000 + month(dos) * 100 + day(dos) AS INTEGER) AS dosint,
              regexp_full_match(coalesce(code, ''), '[0-9A-Z]{{5}}') AS code_ok,
              len(mods) <= 4 AND coalesce(list_bool_and(list_transform(
                  mods, lambda m: regexp_full_match(m, '[0-9A-Z]{{2}}'))), true) AS mods_ok,
              NOT coalesce(list_bool_and(list_transform(
                  mods, lambda m: list_contains([{known}], m))), true) AS mods_unknown,
              coalesce(units, '') = '' OR (regexp_full_match(units, '[0-9]{{1,9}}')
                  AND TRY_CAST(units AS BIGINT) BETWEEN 1 AND {MAX_UNITS}) AS units_ok,
              CASE WHEN coalesce(units, '') = '' THEN 1
                   ELSE TRY_CAST(units AS BIGINT) END AS units_n,
              coalesce(claim_id, '') <> '' AND length(claim_id) <= {MAX_ID_LENGTH} AS id_ok,
              coalesce(place_of_service IN ({pos}), false) AS pos_ok,
              claim_type_n IN ('professional', 'institutional')
                AND program_n IN ('medicare', 'medicaid') AS type_ok,
              coalesce(global_billing, '') = '' AND coalesce(documentation, '') = ''
                AND coalesce(note, '') = '' AND source IS NULL
                -- the payer's profile and the key's uniqueness (batch inputs)
                AND {plain_sql(self.payer, self._ordinals)} AS plain,
              coalesce(code IN ({special}), false) AS special,
              CASE WHEN claim_type_n = 'institutional' THEN {caps[ClaimType.INSTITUTIONAL]}
                   ELSE {caps[ClaimType.PROFESSIONAL]} END AS cap,
              CASE WHEN claim_type_n = 'institutional' THEN '{ptp_i}' ELSE '{ptp_p}'
                END AS ptp_table,
              CASE WHEN claim_type_n = 'institutional' THEN '{mue_i}' ELSE '{mue_p}'
                END AS mue_table
            FROM t
            """
        )
        self.db.execute("ALTER TABLE lines RENAME COLUMN units TO units_raw")
        self.db.execute("ALTER TABLE lines RENAME COLUMN units_n TO units")
        self._editions()
        self.say("finding the encounters the rules speak to")
        self.db.execute(f"CREATE TABLE codes_of AS {_sql.ENCOUNTER_CODES}")
        self.db.execute(f"CREATE TABLE claim_edits AS {_sql.CLAIM_EDITS}")
        self.db.execute(f"CREATE TABLE mue_rows AS {_sql.MUE_ROWS}")
        self.db.execute(f"CREATE TABLE aoc_addons AS {_sql.AOC_ADDONS}")
        chosen, accepted = ptp_sql.programs()
        self.db.execute(f"CREATE TABLE routes AS {_sql.routes(ptp_sql.quoted(chosen))}")
        self.say("deciding the encounters only NCCI edits speak to")
        self._prepare_edits(accepted)
        (total,) = self.db.execute("SELECT count(*) FROM lines").fetchone() or (0,)
        (encounters,) = self.db.execute(
            "SELECT count(DISTINCT ekey) FROM lines"
        ).fetchone() or (0,)
        routed = dict(
            self.db.execute(
                "SELECT route, count(*) FROM routes GROUP BY route"
            ).fetchall()
        )
        slow, ptp = routed.get("engine", 0), routed.get("edits", 0)
        self.counts = {
            "lines": total,
            "encounters": encounters,
            "engine": slow,
            "ptp": ptp,
        }
        return self.counts

    def _editions(self) -> None:
        """The ``keys`` table and the edition views ``ptp``, ``mue``, ``aoc``, ``codes``."""
        triples = self.db.execute(
            """SELECT DISTINCT program_n, claim_type_n, dos FROM lines
               WHERE dos IS NOT NULL AND program_n IN ('medicare', 'medicaid')
                 AND claim_type_n IN ('professional', 'institutional')"""
        ).fetchall()
        keys = self.editions.keys(triples)
        self.db.execute(
            "CREATE TABLE keys (program VARCHAR, claim_type VARCHAR, dos DATE, "
            "edition INTEGER, fast BOOLEAN)"
        )
        if keys:
            self.db.executemany("INSERT INTO keys VALUES (?, ?, ?, ?, ?)", keys)
        used = sorted({(e, ct) for _, ct, _, e, fast in keys if fast})
        ptp, mue, aoc, codes = [], [], [], []
        for edition, claim_type in used:
            ptp_t, mue_t = TABLES[ClaimType(claim_type)]
            p = self.editions.parquet(edition, ptp_t)
            ptp.append(
                f"SELECT {edition} AS edition, '{ptp_t.value}' AS tbl, column1, column2, "
                "effective, deletion, indicator, rationale "
                f"FROM read_parquet({sql_string(str(p))}) WHERE indicator <> 9"
            )
            m = self.editions.parquet(edition, mue_t)
            mue.append(
                f"SELECT {edition} AS edition, '{mue_t.value}' AS tbl, code, value, "
                f"mai, rationale FROM read_parquet({sql_string(str(m))})"
            )
        for edition in sorted({e for e, _ in used}):
            a = self.editions.parquet(edition, Table.AOC)
            if self.editions.editions[edition].info.program is not Program.MEDICAID:
                # NC03 never speaks to Medicaid (``rules.nc03_aoc``)
                aoc.append(
                    f'SELECT {edition} AS edition, addon, "primary" AS primary_code, '
                    f"edit_type, effective, deletion FROM read_parquet({sql_string(str(a))})"
                )
            self.db.execute(
                f"CREATE TABLE codes_{edition} AS SELECT {edition} AS edition, "
                "unnest(?::VARCHAR[]) AS code",
                [self.editions.codes(edition)],
            )
            codes.append(f"SELECT * FROM codes_{edition}")
        empty = {
            "ptp": "SELECT 0 AS edition, '' AS tbl, '' AS column1, '' AS column2, "
            "0 AS effective, 0 AS deletion, 0 AS indicator, '' AS rationale",
            "mue": "SELECT 0 AS edition, '' AS tbl, '' AS code, 0 AS value, "
            "0 AS mai, '' AS rationale",
            "aoc": "SELECT 0 AS edition, '' AS addon, '' AS primary_code, "
            "0 AS edit_type, 0 AS effective, 0 AS deletion",
            "codes": "SELECT 0 AS edition, '' AS code",
        }
        for name, parts in (("ptp", ptp), ("mue", mue), ("aoc", aoc), ("codes", codes)):
            body = " UNION ALL ".join(parts) if parts else empty[name] + " WHERE false"
            self.db.execute(f"CREATE VIEW {name} AS {body}")

    def _clean_lines(self) -> str:
        """The ``lines`` rows of the clean encounters (written by ``finish``)."""
        quarters = {i: e.info.quarter for i, e in enumerate(self.editions.editions)}
        cases = " ".join(f"WHEN {i} THEN '{q}'" for i, q in quarters.items())
        quarter = f"CASE k.edition {cases} END" if cases else "NULL"
        return f"""
              SELECT l.claim_id, l.date_of_service, l.provider, l.place_of_service,
                     l.line_no AS line,
                     l.code, l.modifiers AS submitted_modifiers, 'keep' AS action,
                     coalesce(l.modifiers, '') AS modifiers, l.units,
                     []::VARCHAR[] AS rules, []::VARCHAR[] AS prompts,
                     'clean' AS status, {quarter} AS edition
              FROM lines l
              LEFT JOIN routes s ON s.ekey = l.ekey
              JOIN keys k ON k.program = l.program_n AND k.claim_type = l.claim_type_n
                         AND k.dos = l.dos
              WHERE s.ekey IS NULL"""

    def _prepare_edits(self, accepted: frozenset[str]) -> None:
        """The decisions on the ``edits`` encounters (``ptp_sql``, ``rule_sql``), and
        the statements of their rows, which ``finish`` writes with the rest."""
        for name, sql in (
            ("edit_lines", _sql.EDIT_LINES),
            ("ptp_facts", _sql.PTP_FACTS),
            ("ptp_outcomes", ptp_sql.outcomes_sql(accepted)),
            ("rule_states", rule_sql.STATES),
            ("aoc_out", rule_sql.aoc_sql(_sql.DUCKDB)),
            ("mue_out", rule_sql.MUE_SQL),
        ):
            self.db.execute(f"CREATE TABLE {name} AS {sql}")
        editions = self.editions.editions
        used = self.db.execute("SELECT DISTINCT edition, tbl FROM ptp_facts").fetchall()
        rationales = [
            r
            for (r,) in self.db.execute(
                "SELECT DISTINCT rationale FROM ptp_facts"
            ).fetchall()
        ]
        aoc_used = [
            e
            for (e,) in self.db.execute(
                "SELECT DISTINCT edition FROM aoc_out"
            ).fetchall()
        ]
        mue_used = self.db.execute(
            "SELECT DISTINCT edition, mue_table, mai FROM mue_out"
        ).fetchall()
        mue_rationales = [
            r
            for (r,) in self.db.execute(
                "SELECT DISTINCT rationale FROM mue_out"
            ).fetchall()
        ]
        quarters = {i: e.info.quarter for i, e in enumerate(editions)}
        findings = [
            ptp_sql.findings_sql(_sql.DUCKDB, editions, used, rationales),
            rule_sql.aoc_findings_sql(_sql.DUCKDB, editions, aoc_used),
            rule_sql.mue_findings_sql(_sql.DUCKDB, editions, mue_used, mue_rationales),
        ]
        self._edit_rows = (rule_sql.lines_sql(_sql.DUCKDB, quarters), findings)

    # -- the engine's share --------------------------------------------------------

    def pending(self, batch_rows: int = 50_000) -> Iterator[Pending]:
        """The encounters for the engine, in ``ekey`` order, streamed in Arrow batches."""
        cols = ", ".join(
            "l.units_raw AS units" if c == "units" else f"l.{c}" for c in STREAM_COLUMNS
        )
        reader = (
            self.db.cursor()
            .sql(
                f"""SELECT {cols} FROM lines l
                JOIN routes s ON s.ekey = l.ekey AND s.route = 'engine'
                ORDER BY l.ekey, l.line_no"""
            )
            .to_arrow_reader(batch_rows)
        )

        def rows() -> Iterator[dict[str, Any]]:
            for batch in reader:
                # column-wise to Python, then zipped: a third faster than to_pylist
                columns = batch.to_pydict()
                names = list(columns)
                for values in zip(*columns.values(), strict=True):
                    yield dict(zip(names, values, strict=True))

        yield from group(rows())

    def finish(self, engine_lines: Path, engine_findings: Path, csv: bool) -> None:
        """Write ``lines.parquet`` and ``findings.parquet``: the rows decided in SQL,
        computed as they are written, and the engine's; CSV copies."""
        self.say("writing the results")
        edit_lines, edit_findings = self._edit_rows
        names = ", ".join(LINE_SCHEMA.names)
        lines = self.out / "lines.parquet"
        self.db.execute(
            f"""COPY (SELECT {names} FROM ({self._clean_lines()})
                      UNION ALL SELECT {names} FROM ({edit_lines})
                      UNION ALL SELECT {names} FROM read_parquet({sql_string(str(engine_lines))}))
                TO {sql_string(str(lines))} (FORMAT parquet, COMPRESSION zstd)"""
        )
        findings = self.out / "findings.parquet"
        names = ", ".join(FINDING_SCHEMA.names)
        parts = [
            *edit_findings,
            f"SELECT * FROM read_parquet({sql_string(str(engine_findings))})",
        ]
        union = " UNION ALL ".join(f"SELECT {names} FROM ({p})" for p in parts)
        self.db.execute(
            f"""COPY ({union}) TO {sql_string(str(findings))}
                (FORMAT parquet, COMPRESSION zstd)"""
        )
        if csv:
            for path in (lines, findings):
                self.db.execute(
                    f"""COPY (SELECT {_csv_lists(path, self.db)}
                              FROM read_parquet({sql_string(str(path))}))
                        TO {sql_string(str(path.with_suffix(".csv")))}
                        (HEADER, DELIMITER ',')"""
                )

    def summarise(self, counts: dict[str, int], seconds: float) -> dict[str, Any]:
        for name in ("lines", "findings"):
            path = self.out / f"{name}.parquet"
            self.db.execute(
                f"CREATE OR REPLACE VIEW out_{name} AS "
                f"SELECT * FROM read_parquet({sql_string(str(path))})"
            )
        return summary.summarise(
            lambda sql: self.db.execute(sql).fetchall(), "duckdb", counts, seconds
        )

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _csv_lists(path: Path, db: duckdb.DuckDBPyConnection) -> str:
    """List columns as ``:``-joined text in the CSV copies."""
    cols = db.execute(
        f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(path))})"
    ).fetchall()
    lists = [c[0] for c in cols if str(c[1]).endswith("[]")]
    joined = ", ".join(f"array_to_string({c}, ':') AS {c}" for c in lists)
    return f"* REPLACE ({joined})" if lists else "*"
