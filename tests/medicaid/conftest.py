"""Homes holding a Medicaid edition, a Medicare one, or both (built from real rows)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fluorocode.api import Checker

from ._files import write_medicaid_zips, write_medicare_files


@pytest.fixture(scope="session")
def medicaid_zips(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    return write_medicaid_zips(shared_data, tmp_path_factory.mktemp("medicaid"))


@pytest.fixture(scope="session")
def medicare_files(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    return write_medicare_files(shared_data, tmp_path_factory.mktemp("medicare"))


@pytest.fixture(scope="session")
def both_home(
    medicaid_zips: list[Path],
    medicare_files: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A home with the Medicare and the Medicaid 2024 Q3 editions."""
    home = tmp_path_factory.mktemp("both")
    checker = Checker(home)
    checker.import_editions(medicare_files)
    checker.import_editions(medicaid_zips)
    return home


@pytest.fixture(scope="session")
def medicare_home(
    medicare_files: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A home with the Medicare 2024 Q3 edition only."""
    home = tmp_path_factory.mktemp("medicare-only")
    Checker(home).import_editions(medicare_files)
    return home


@pytest.fixture
def both_copy(both_home: Path, tmp_path: Path) -> Path:
    """A writable copy of ``both_home`` (API keys are written into it)."""
    home = tmp_path / "home"
    shutil.copytree(both_home, home, symlinks=True)
    return home
