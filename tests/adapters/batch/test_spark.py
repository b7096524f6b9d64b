"""``--engine spark`` on ``local[2]`` gives DuckDB's results on the same lines (issue 10).

One small session for the module (``spark_job.session_config`` plus a small driver):
the job finds it active and uses it as it is. The batch is small -- 300 encounters
drawn like the equality test's -- because Spark's cost here is per stage, not per row;
what it must show is that the shared SQL and the streaming give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fluorocode.api import run_batch
from fluorocode.errors import ClaimInputError

from . import claimgen
from .compare import batch_view
from .test_malformed_inputs import HEADER, SECRET, _lines

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    from fluorocode.adapters.batch.spark_job import session_config

    builder = pyspark_sql.SparkSession.builder.master("local[2]").appName("tests")
    config = {
        **session_config("local[2]"),
        "spark.driver.memory": "1g",
        "spark.sql.codegen.wholeStage": "false",  # tiny data: compiling costs more
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
        "spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse")),
    }
    for key, value in config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    yield session
    session.stop()


def test_spark_equals_duckdb(spark: Any, real_home: Path, tmp_path: Path) -> None:
    edition = next((real_home / "editions").glob("medicare-*")).resolve()
    objs = list(claimgen.encounters(claimgen.Pools(edition), 300, seed=5))
    src = tmp_path / "claims.csv"
    claimgen.write_csv(objs, src)
    duck = run_batch([src], tmp_path / "duck", home=real_home, csv=True)
    out = run_batch([src], tmp_path / "spark", home=real_home, engine="spark", csv=True)
    assert spark.catalog.listTables() == []  # the job leaves no views behind
    view = batch_view(tmp_path / "spark")
    assert view == batch_view(tmp_path / "duck")
    # the claim generator's mix reaches both paths
    assert {v["status"] for v in view.values()} >= {"clean", "corrected", "rejected"}
    assert 0 < out["encounters_checked_by_rules"] < out["encounters"]
    for key in (
        "lines",
        "encounters",
        "encounters_checked_by_rules",
        "encounters_by_status",
        "lines_by_action",
        "findings_by_rule",
        "editions",
    ):
        assert out[key] == duck[key], key


def test_spark_refuses_a_malformed_file_by_name(spark: Any, tmp_path: Path) -> None:
    """A short row or a cut Parquet file fails the job with the file named, as on
    DuckDB (Spark names no line), never a Java stack trace."""
    short = tmp_path / "short.csv"
    short.write_text(HEADER + _lines(3) + f"c9,1,{SECRET}\n" + _lines(2))
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(b"PAR1" + b"\0" * 64)
    for src, reason in ((short, "more or fewer values"), (cut, "could not read")):
        with pytest.raises(ClaimInputError) as info:
            run_batch([src], tmp_path / "out", home=tmp_path / "h", engine="spark")
        (error,) = info.value.errors
        assert (error.field, error.kind) == (str(src), "unreadable_file")
        assert reason in error.message and SECRET not in error.message
        assert spark.catalog.listTables() == []
