"""A home holding the two editions of ``_editions`` (built once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fluorocode.api import Checker

from ._editions import write_quarter


@pytest.fixture(scope="session")
def editions_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("replay")
    checker = Checker(root / "home")
    for quarter in ("2024Q3", "2024Q4"):
        checker.import_editions(
            write_quarter(shared_data / "ncci-2024q3", root / quarter, quarter)
        )
    return root / "home"


@pytest.fixture
def home(editions_home: Path, tmp_path: Path) -> Path:
    """A private copy: tests that write an audit trail do not share it."""
    copy = tmp_path / "home"
    shutil.copytree(editions_home, copy, symlinks=True)
    return copy
