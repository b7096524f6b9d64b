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
