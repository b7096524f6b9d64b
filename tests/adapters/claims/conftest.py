"""Claims-file fixtures: the real X12 and FHIR samples in ../shared/data, and homes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fluorocode.api import Checker

X12 = "x12/oopfactory-x12parser"


@pytest.fixture(scope="session")
def x12(shared_data: Path) -> Path:
    return shared_data / X12


@pytest.fixture(scope="session")
def fhir_dir(shared_data: Path) -> Path:
    return shared_data / "fhir" / "hl7.fhir.r4.examples-4.0.1"


@pytest.fixture()
def demo(tmp_path: Path) -> Checker:
    """An empty home: checks run on the built-in demo edition (dated 2024Q3)."""
    return Checker(tmp_path / "home")


@pytest.fixture()
def derive(tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of a real sample with some text replaced (first occurrence each)."""

    def make(
        source: Path, *changes: tuple[str, str], name: str = "derived.txt"
    ) -> Path:
        data = source.read_bytes()
        for old, new in changes:
            assert old.encode() in data, old
            data = data.replace(old.encode(), new.encode(), 1)
        out = tmp_path / name
        out.write_bytes(data)
        return out

    return make
