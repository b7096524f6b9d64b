"""Shared fixtures: the real material in ../shared/data, a scrubbed environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"


def need_shared(path: Path) -> Path:
    """Return ``path`` under ../shared; in CI its absence fails the test, else skips it."""
    if not path.exists():
        message = f"real test material missing: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own editions or settings."""
    monkeypatch.delenv("FLUOROCODE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return need_shared(SHARED_DATA)


def _write_cms(kind: list[str], out: Path) -> list[Path]:
    import subprocess
    import sys

    tool = need_shared(SHARED / "tools" / "ncci_tsv_to_cms.py")
    printed = subprocess.run(
        [sys.executable, str(tool), *kind, "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [Path(p) for p in printed.split()]


@pytest.fixture(scope="session")
def real_cms_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The full real 2024-07-01 tables, written in CMS's own layout by the shared tool."""
    out = tmp_path_factory.mktemp("cms-2024q3")
    return {
        "ptp_practitioner": _write_cms(["ptp", "--table", "practitioner"], out / "pra"),
        "ptp_outpatient_hospital": _write_cms(
            ["ptp", "--table", "outpatient_hospital"], out / "oph"
        ),
        "mue_practitioner": _write_cms(["mue", "--table", "practitioner"], out / "mue"),
        "mue_outpatient_hospital": _write_cms(
            ["mue", "--table", "outpatient_hospital"], out / "mue"
        ),
        "mue_dme": _write_cms(["mue", "--table", "dme_supplier"], out / "mue"),
        "aoc": _write_cms(["aoc"], out / "aoc"),
    }


@pytest.fixture(scope="session")
def real_home(
    real_cms_files: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A home directory holding the full real Medicare 2024Q3 edition."""
    from fluorocode.api import Checker

    home = tmp_path_factory.mktemp("home")
    paths = [p for files in real_cms_files.values() for p in files]
    Checker(home).import_editions(paths)
    return home
