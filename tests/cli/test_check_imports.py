"""``fluorocode check`` loads only what a check needs (issue 11: start-up time).

The process imports what checking an encounter needs (the rules, the store's mapped
arrays), never numpy (the store is read without it: ``adapters.store.arrays``), the
importer's polars, the service, the batch engines, FHIR's pydantic, the audit trail's
sqlite3 or the downloader's HTTP client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NEVER = (
    "numpy",
    "polars",
    "pyarrow",
    "duckdb",
    "pyspark",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "fhir",
    "pint",
    "sqlite3",
    "http.client",
    "multiprocessing",
    "fluorocode.extraction",
    "fluorocode.service",
    "fluorocode.adapters.batch",
    "fluorocode.adapters.store.importer",
)

PROBE = """
import sys, runpy
sys.argv = ["fluorocode", "check", sys.argv[1], "--home", sys.argv[2]]
try:
    runpy.run_module("fluorocode", run_name="__main__")
except SystemExit:
    pass
print("\\n" + "\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def _loaded_by_check(tmp_path: Path, home: Path) -> tuple[dict, set[str]]:  # type: ignore[type-arg]
    encounter = tmp_path / "enc.json"
    encounter.write_text(
        json.dumps(
            {
                "id": "e1",
                "date_of_service": "2024-08-15",
                "place_of_service": "22",
                "lines": [{"code": "29880"}, {"code": "76000"}],
            }
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(encounter), str(home)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(done.stdout)
    assert report["encounter_id"] == "e1"
    return report, set(done.stderr.split())


def _heavy(loaded: set[str]) -> list[str]:
    return sorted(
        m for m in loaded if any(m == n or m.startswith(n + ".") for n in NEVER)
    )


def test_check_of_one_encounter_imports_no_heavy_package(tmp_path: Path) -> None:
    report, loaded = _loaded_by_check(tmp_path, tmp_path / "home")
    assert report["edition"]["demo"] is True
    assert _heavy(loaded) == []


def test_check_against_an_imported_edition_imports_no_heavy_package(
    tmp_path: Path,
) -> None:
    """The compiled edition's arrays are mapped and searched without numpy."""
    import polars as pl  # this process only: the edition is built here

    from fluorocode.adapters.store.compile import compile_edition
    from fluorocode.adapters.store.registry import EditionRegistry
    from fluorocode.domain.codes import Program
    from fluorocode.domain.edits import EditionInfo, Table

    registry = EditionRegistry(tmp_path / "home")
    staged = registry.staging()
    ptp = pl.DataFrame(
        {
            "column1": ["29880"],
            "column2": ["76000"],
            "pre_1996": [False],
            "effective": [20020101],
            "deletion": [None],
            "indicator": [1],
            "rationale": ["Misuse of column two code with column one code"],
        },
        schema_overrides={"effective": pl.Int32, "deletion": pl.Int32},
    )
    info = EditionInfo(
        Program.MEDICARE, "2024Q3", "v302r0", False, {"ptp_practitioner": 1}, ()
    )
    compile_edition({Table.PTP_PRACTITIONER: ptp}, info, staged)
    registry.install(staged, Program.MEDICARE, "2024Q3", replace=False)
    report, loaded = _loaded_by_check(tmp_path, tmp_path / "home")
    # the imported edition answered: its 29880/76000 row held 76000
    assert report["edition"]["quarter"] == "2024Q3" and not report["edition"]["demo"]
    assert any(f["evidence"].get("edit") for f in report["findings"])
    assert _heavy(loaded) == []
