"""``fluorocode check`` loads only what a check needs (issue 11: start-up time).

The process imports what checking an encounter needs (the store's numpy, the rules),
never the importer's polars, the service, the batch engines, FHIR's pydantic, the audit
trail's sqlite3 or the downloader's HTTP client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NEVER = (
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


def test_check_of_one_encounter_imports_no_heavy_package(tmp_path: Path) -> None:
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
        [sys.executable, "-c", PROBE, str(encounter), str(tmp_path / "home")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout)["encounter_id"] == "e1"
    loaded = set(done.stderr.split())
    heavy = sorted(
        m for m in loaded if any(m == n or m.startswith(n + ".") for n in NEVER)
    )
    assert heavy == []
