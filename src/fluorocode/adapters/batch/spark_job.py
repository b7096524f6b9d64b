"""The batch engine on Spark: the same set logic as ``duckdb_job``, as Spark SQL.

Inputs are read with Spark (CSV, Parquet; JSON lines become Parquet first), the
editions' Parquet copies are read in place (on a cluster, ``FLUOROCODE_HOME`` must be
on storage every executor reaches), and ``_sql`` -- the very statements DuckDB runs --
routes the encounters. The clean ones, and those only PTP edits speak to (``ptp_sql``),
are written by the executors; the rest come to the driver partition by partition
(``toLocalIterator``) and go through the rule engine there, as with DuckDB. Outputs are
Spark Parquet directories (``lines.parquet/``, ``findings.parquet/``) on any path Spark can write.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from fluorocode.adapters.batch import _sql, ptp_sql, rule_sql, summary
from fluorocode.adapters.batch.csv_input import check_line_lengths
from fluorocode.adapters.batch.duckdb_job import special_codes
from fluorocode.adapters.batch.editions import TABLES, EditionMap
from fluorocode.adapters.batch.encounters import STREAM_COLUMNS, Pending, group
from fluorocode.adapters.batch.inputs import (
    COLUMNS,
    column_map,
    jsonl_to_parquet,
    kind_of,
    plain_sql,
    unreadable,
    x12_to_parquet,
)
from fluorocode.adapters.batch.rows import FINDING_SCHEMA, LINE_SCHEMA
from fluorocode.domain.codes import FACILITY_POS, NON_FACILITY_POS, ClaimType, Program
from fluorocode.domain.edits import Table
from fluorocode.domain.encounter_schema import MAX_ID_LENGTH, MAX_LINES, MAX_UNITS
from fluorocode.domain.modifiers import KNOWN_MODIFIERS
from fluorocode.errors import ClaimInputError

Progress = Callable[[str], None]
_T = TypeVar("_T")


def _quote(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "\\'") + "'" for v in sorted(values))


def session_config(master: str | None) -> dict[str, str]:
    """The settings of a session the job starts itself.

    On ``local[N]`` the shuffles get N partitions (Spark's 200 would be 200 tasks of a
    few rows each); no UI, no console progress bars. Automatic broadcasts are off: the
    PTP table's Parquet is small on disk (dictionary-encoded) but millions of rows in
    memory, and a broadcast of it exhausts a default driver's heap (the job filters
    the edition to the batch's codes before any join; see ``SparkJob._editions``);
    adaptive execution still broadcasts what turns out small once measured.
    """
    config = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.autoBroadcastJoinThreshold": "-1",
        # sizes measured at run time (adaptive execution) are safe to broadcast on
        "spark.sql.adaptive.autoBroadcastJoinThreshold": "32MB",
    }
    match = re.fullmatch(r"local\[(\d+|\*)\]|local", master or "")
    if match:
        n = match.group(1)
        cores = str(os.cpu_count() or 1) if n in (None, "*") else n
        config["spark.sql.shuffle.partitions"] = cores
        config["spark.default.parallelism"] = cores
    return config


class SparkJob:
    """One batch on Spark. ``prepare`` then ``pending`` then ``finish``."""

    def __init__(
        self,
        inputs: Sequence[Path],
        out: Path,
        editions: EditionMap,
        max_lines: int | None = None,
        master: str | None = None,
        say: Progress | None = None,
        program: str = "medicare",
        payer: str | None = None,
    ) -> None:
        from pyspark.sql import SparkSession

        self.inputs = list(inputs)
        self.program = program  # for 837 claims whose SBR09 names none
        self.payer = payer  # the default payer (--payer): inputs.plain_sql
        self.out = out
        self.editions = editions
        self.max_lines = max_lines
        self.say = say or (lambda _m: None)
        out.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=".batch-", dir=out))
        active = SparkSession.getActiveSession()
        #: a session this job started (and stops in ``close``); an active one -- a
        #: spark-submit'd driver's, a test module's -- is used as it is configured
        self._own = active is None
        if active is not None:
            self.spark = active
        else:
            builder = SparkSession.builder.appName("fluorocode-batch")
            if master:
                builder = builder.master(master)
            for key, value in session_config(master).items():
                builder = builder.config(key, value)
            # no spark-warehouse/ left in the working directory
            builder = builder.config("spark.sql.warehouse.dir", str(self.tmp / "wh"))
            self.spark = builder.getOrCreate()
        # what the results depend on, whoever made the session
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.counts: dict[str, int] = {}
        #: whether an input numbers its encounters (``inputs.plain_sql``)
        self._ordinals = False
        self._views: list[str] = []
        self._cached: list[Any] = []  # unpersisted by ``close``, the session's own kept

    def _read(self, action: Callable[[], _T]) -> _T:
        """Run an action that reads the inputs: a malformed file is its own error
        (``_read_failure``), never a Java stack trace."""
        try:
            return action()
        except Exception as exc:  # py4j's error class depends on the Spark version
            failure = _read_failure(str(exc), self.inputs)
            if failure is None:
                raise
            raise failure from None

    def _view(self, df: Any, name: str) -> None:
        """``df`` as the temporary view ``name`` (dropped again by ``close``)."""
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def _checkpoint(self, sql: str, name: str) -> None:
        """The result of ``sql`` as the view ``name``, computed now and cut from its
        lineage: the statements build on each other, and a plan that repeats every
        step before it grows until the analyzer runs out of memory."""
        self._view(self.spark.sql(sql).localCheckpoint(eager=True), name)

    def _persist(self, df: Any) -> Any:
        self._cached.append(df.persist())
        return df

    def _source(self, path: Path, n: int) -> Any:
        from pyspark.sql import functions as F

        kind = kind_of(path)
        if kind == "x12":
            path = x12_to_parquet(
                path, self.tmp / f"input-{n}.parquet", n, self.program
            )
            kind = "parquet"
        if kind == "jsonl":
            path = jsonl_to_parquet(path, self.tmp / f"input-{n}.parquet", n)
            kind = "parquet"
        if kind == "csv":
            check_line_lengths(path)  # a local file, as DuckDB reads it
        reader = self.spark.read
        df = (
            reader.parquet(str(path))
            if kind == "parquet"
            else reader.option("header", True)
            .option("inferSchema", False)
            .option("escape", '"')
            .option("multiLine", True)
            .option("mode", "FAILFAST")  # a malformed row fails the job, as on DuckDB
            .csv(str(path))
        )
        found = column_map(df.columns, str(path))
        cols = [
            F.col(f"`{found[c]}`").cast("string").alias(c)
            if c in found
            else F.lit(None).cast("string").alias(c)
            for c in COLUMNS
        ]
        if "source" in df.columns:
            self._ordinals = True
            cols += [F.col("source"), F.col("source_ordinal").cast("long")]
        else:
            cols += [
                F.lit(None).cast("string").alias("source"),
                F.lit(0).cast("long").alias("source_ordinal"),
            ]
        return df.select(*cols)

    def prepare(self) -> dict[str, int]:
        self.say("reading the claim lines")
        frames = self._read(
            lambda: [self._source(p, i) for i, p in enumerate(self.inputs)]
        )
        raw = frames[0]
        for f in frames[1:]:
            raw = raw.unionByName(f)
        self._view(raw, "raw")
        caps = {t: self.max_lines or MAX_LINES[t] for t in ClaimType}
        pos = _quote(sorted(FACILITY_POS | NON_FACILITY_POS))
        known = _quote(sorted(KNOWN_MODIFIERS))
        special = _quote(sorted(special_codes()))
        ptp_p, mue_p = (t.value for t in TABLES[ClaimType.PROFESSIONAL])
        ptp_i, mue_i = (t.value for t in TABLES[ClaimType.INSTITUTIONAL])
        lines = self.spark.sql(
            f"""
            WITH t AS (
              SELECT *,
                coalesce(nullif(claim_type, ''), 'professional') AS claim_type_n,
                coalesce(nullif(program, ''), 'medicare') AS program_n,
                CASE WHEN coalesce(modifiers, '') = '' THEN array()
                     ELSE split(modifiers, ':') END AS mods,
                CASE WHEN coalesce(date_of_service, '') RLIKE '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
                     THEN try_to_date(date_of_service, 'yyyy-MM-dd') END AS dos
              FROM raw
            )
            SELECT
              concat_ws(char(31), coalesce(claim_id, ''), coalesce(date_of_service, ''),
                        coalesce(provider, ''), cast(source_ordinal AS string)) AS ekey,
              claim_id, line,
              CASE WHEN coalesce(line, '') RLIKE '^[0-9]{{1,18}}$'
                   THEN try_cast(line AS BIGINT) END AS line_no,
              date_of_service, place_of_service, claim_type, program,
              coalesce(provider, '') AS provider, code, modifiers, units AS units_raw,
              global_billing, documentation, note, payer, source, source_ordinal,
              claim_type_n, program_n, mods, dos,
              CAST(year(dos) * 10000 + month(dos) * 100 + day(dos) AS INT) AS dosint,
              coalesce(code, '') RLIKE '^[0-9A-Z]{{5}}$' AS code_ok,
              size(mods) <= 4 AND forall(mods, m -> m RLIKE '^[0-9A-Z]{{2}}$') AS mods_ok,
              NOT forall(mods, m -> array_contains(array({known}), m)) AS mods_unknown,
              coalesce(units, '') = '' OR (units RLIKE '^[0-9]{{1,9}}$'
                  AND try_cast(units AS BIGINT) BETWEEN 1 AND {MAX_UNITS}) AS units_ok,
              CASE WHEN coalesce(units, '') = '' THEN 1
                   ELSE try_cast(units AS BIGINT) END AS units,
              coalesce(claim_id, '') <> '' AND char_length(claim_id) <= {MAX_ID_LENGTH} AS id_ok,
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
        lines = self._persist(lines)
        self._read(lines.count)  # read now, where a malformed input can be named
        self._view(lines, "lines")
        self._editions()
        self.say("finding the encounters the rules speak to")
        self._checkpoint(_sql.ENCOUNTER_CODES, "codes_of")
        self._checkpoint(_sql.CLAIM_EDITS, "claim_edits")
        self._checkpoint(_sql.MUE_ROWS, "mue_rows")
        self._checkpoint(_sql.AOC_ADDONS, "aoc_addons")
        chosen, accepted = ptp_sql.programs()
        self._checkpoint(_sql.routes(ptp_sql.quoted(chosen)), "routes")
        self.say("writing the clean encounters")
        quarters = {i: e.info.quarter for i, e in enumerate(self.editions.editions)}
        cases = " ".join(f"WHEN {i} THEN '{q}'" for i, q in quarters.items())
        quarter = f"CASE k.edition {cases} END" if cases else "CAST(NULL AS STRING)"
        self.clean = self.spark.sql(
            f"""SELECT l.claim_id, l.date_of_service, l.provider, l.place_of_service,
                       l.line_no AS line, l.code, l.modifiers AS submitted_modifiers,
                       'keep' AS action, coalesce(l.modifiers, '') AS modifiers,
                       l.units, CAST(array() AS ARRAY<STRING>) AS rules,
                       CAST(array() AS ARRAY<STRING>) AS prompts, 'clean' AS status,
                       {quarter} AS edition
                FROM lines l
                LEFT JOIN routes s ON s.ekey = l.ekey
                JOIN keys k ON k.program = l.program_n AND k.claim_type = l.claim_type_n
                           AND k.dos = l.dos
                WHERE s.ekey IS NULL"""
        )
        self.say("deciding the encounters only NCCI edits speak to")
        self._edits(accepted, quarters)
        ((total, encounters, engine, ptp),) = self.spark.sql(
            """SELECT count(*), count(DISTINCT ekey),
                      (SELECT count(*) FROM routes WHERE route = 'engine'),
                      (SELECT count(*) FROM routes WHERE route = 'edits')
               FROM lines"""
        ).collect()
        self.counts = {
            "lines": total,
            "encounters": encounters,
            "engine": engine,
            "ptp": ptp,
        }
        return self.counts

    def _edits(self, accepted: frozenset[str], quarters: dict[int, str]) -> None:
        """The lines and findings of the ``edits`` encounters (``ptp_sql``,
        ``rule_sql``)."""
        for name, sql in (
            ("edit_lines", _sql.EDIT_LINES),
            ("ptp_facts", _sql.PTP_FACTS),
            ("ptp_outcomes", ptp_sql.outcomes_sql(accepted)),
            ("rule_states", rule_sql.STATES),
            ("aoc_out", rule_sql.aoc_sql(_sql.SPARK)),
            ("mue_out", rule_sql.MUE_SQL),
        ):
            self._checkpoint(sql, name)

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in self.spark.sql(sql).collect()]

        editions = self.editions.editions
        used = rows("SELECT DISTINCT edition, tbl FROM ptp_facts")
        rationales = [r for (r,) in rows("SELECT DISTINCT rationale FROM ptp_facts")]
        aoc_used = [e for (e,) in rows("SELECT DISTINCT edition FROM aoc_out")]
        mue_used = rows("SELECT DISTINCT edition, mue_table, mai FROM mue_out")
        mue_rationales = [r for (r,) in rows("SELECT DISTINCT rationale FROM mue_out")]
        findings = self.spark.sql(
            ptp_sql.findings_sql(_sql.SPARK, editions, used, rationales)
        )
        for sql in (
            rule_sql.aoc_findings_sql(_sql.SPARK, editions, aoc_used),
            rule_sql.mue_findings_sql(_sql.SPARK, editions, mue_used, mue_rationales),
        ):
            findings = findings.unionByName(self.spark.sql(sql))
        self.edit_findings = findings
        self.edit_lines = self.spark.sql(rule_sql.lines_sql(_sql.SPARK, quarters))

    def _editions(self) -> None:
        from pyspark.sql.types import (
            BooleanType,
            DateType,
            IntegerType,
            StringType,
            StructField,
            StructType,
        )

        triples = [
            (r[0], r[1], r[2])
            for r in self.spark.sql(
                """SELECT DISTINCT program_n, claim_type_n, dos FROM lines
                   WHERE dos IS NOT NULL AND program_n IN ('medicare', 'medicaid')
                     AND claim_type_n IN ('professional', 'institutional')"""
            ).collect()
        ]
        keys = self.editions.keys(triples)
        schema = StructType(
            [
                StructField("program", StringType()),
                StructField("claim_type", StringType()),
                StructField("dos", DateType()),
                StructField("edition", IntegerType()),
                StructField("fast", BooleanType()),
            ]
        )
        self._view(self.spark.createDataFrame(keys, schema), "keys")
        used = sorted({(e, ct) for _, ct, _, e, fast in keys if fast})
        # Only rows whose codes the batch bills can decide anything: the edition is
        # cut down to them on the driver's list of distinct codes (thousands, where
        # the tables hold millions of rows) before any join.
        batch = sorted(
            r[0]
            for r in self.spark.sql(
                "SELECT DISTINCT code FROM lines WHERE code_ok"
            ).collect()
        )
        ptp, mue, aoc, codes = [], [], [], []
        for edition, claim_type in used:
            ptp_t, mue_t = TABLES[ClaimType(claim_type)]
            name = f"ptp_{edition}_{ptp_t.value}"
            self._table(edition, ptp_t, ("column1", "column2"), batch, name)
            ptp.append(
                f"SELECT {edition} AS edition, '{ptp_t.value}' AS tbl, column1, column2, "
                f"effective, deletion, indicator, rationale FROM {name} "
                "WHERE indicator <> 9"
            )
            name = f"mue_{edition}_{mue_t.value}"
            self._table(edition, mue_t, ("code",), batch, name)
            mue.append(
                f"SELECT {edition} AS edition, '{mue_t.value}' AS tbl, code, value, "
                f"mai, rationale FROM {name}"
            )
        for edition in sorted({e for e, _ in used}):
            name = f"aoc_{edition}"
            self._table(edition, Table.AOC, ("addon",), batch, name)
            if self.editions.editions[edition].info.program is not Program.MEDICAID:
                # NC03 never speaks to Medicaid (``rules.nc03_aoc``)
                aoc.append(
                    f"SELECT {edition} AS edition, addon, `primary` AS primary_code, "
                    f"edit_type, effective, deletion FROM {name}"
                )
            known = sorted(set(self.editions.codes(edition)).intersection(batch))
            self._view(
                self.spark.createDataFrame(
                    [(edition, c) for c in known], "edition INT, code STRING"
                ),
                f"codes_{edition}",
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
            self._view(self.spark.sql(body), name)

    def _table(
        self,
        edition: int,
        table: Table,
        columns: Sequence[str],
        batch: Sequence[str],
        name: str,
    ) -> None:
        """An edition table's rows whose ``columns`` are all batch codes, cached, as
        the view ``name``."""
        from pyspark.sql import functions as F

        df = self.spark.read.parquet(str(self.editions.parquet(edition, table)))
        for column in columns:
            df = df.where(F.col(f"`{column}`").isin(list(batch)))
        self._view(self._persist(df), name)

    def pending(self, batch_rows: int = 50_000) -> Iterator[Pending]:
        cols = ", ".join(
            "l.units_raw AS units" if c == "units" else f"l.{c}" for c in STREAM_COLUMNS
        )
        # whole encounters per partition, each in line order: all ``group`` needs,
        # without a global sort's sampling pass
        df = self.spark.sql(
            f"""SELECT {cols} FROM lines l
                JOIN routes s ON s.ekey = l.ekey AND s.route = 'engine'
                DISTRIBUTE BY l.ekey SORT BY l.ekey, l.line_no"""
        )
        yield from group(
            r.asDict() for r in df.toLocalIterator(prefetchPartitions=True)
        )

    def finish(self, engine_lines: Path, engine_findings: Path, csv: bool) -> None:
        import pyarrow.parquet as pq

        engine = self.spark.createDataFrame(
            _tuples(pq.read_table(engine_lines)), schema=_spark_schema(LINE_SCHEMA)
        )
        lines = (
            self.clean.select(*LINE_SCHEMA.names)
            .unionByName(self.edit_lines)
            .unionByName(engine)
        )
        findings = self.edit_findings.unionByName(
            self.spark.createDataFrame(
                _tuples(pq.read_table(engine_findings)),
                schema=_spark_schema(FINDING_SCHEMA),
            )
        )
        lines.write.mode("overwrite").parquet(str(self.out / "lines.parquet"))
        findings.write.mode("overwrite").parquet(str(self.out / "findings.parquet"))
        if csv:
            from pyspark.sql import functions as F

            for name in ("lines", "findings"):
                df = self.spark.read.parquet(str(self.out / f"{name}.parquet"))
                for field in df.schema.fields:
                    if field.dataType.typeName() == "array":
                        df = df.withColumn(field.name, F.array_join(field.name, ":"))
                df.write.mode("overwrite").option("header", True).csv(
                    str(self.out / f"{name}.csv")
                )

    def summarise(self, counts: dict[str, int], seconds: float) -> dict[str, Any]:
        for name in ("lines", "findings"):
            self._view(
                self.spark.read.parquet(str(self.out / f"{name}.parquet")),
                f"out_{name}",
            )
        return summary.summarise(
            lambda sql: [tuple(r) for r in self.spark.sql(sql).collect()],
            "spark",
            counts,
            seconds,
        )

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        for df in self._cached:
            df.unpersist()
        if self._own:
            self.spark.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _spark_schema(schema: Any) -> Any:
    """A pyarrow schema of ``rows`` as a Spark StructType."""
    from pyspark.sql.types import (
        ArrayType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    def kind(t: Any) -> Any:
        import pyarrow as pa

        if pa.types.is_list(t):
            return ArrayType(kind(t.value_type))
        return LongType() if pa.types.is_integer(t) else StringType()

    return StructType([StructField(f.name, kind(f.type)) for f in schema])


def _tuples(table: Any) -> list[tuple[Any, ...]]:
    """An Arrow table's rows (the engine's share, on the driver) as tuples."""
    columns = [c.to_pylist() for c in table.columns]
    return list(zip(*columns, strict=True))


_FAILED_READ = re.compile(r"\[FAILED_READ_FILE\.(\w+)\][^\n]*?reading file (\S+?)\.?\s")


def _read_failure(message: str, inputs: Sequence[Path]) -> ClaimInputError | None:
    """Spark's error reading one of ``inputs`` as that input's error (None for any
    other error). Spark names the file but neither the line nor the row."""
    found = _FAILED_READ.search(message)
    if found is None:
        return None
    hint, uri = found.groups()
    path = uri.removeprefix("file:").lstrip("/")
    where = next((str(p) for p in inputs if str(p.resolve()).lstrip("/") == path), uri)
    reason = (
        "a row has more or fewer values than the header, or a quote is never closed "
        "(Spark names no line; the DuckDB engine does)"
        if hint == "NO_HINT"
        else f"Spark could not read it ({hint})"
    )
    return unreadable(where, reason)
