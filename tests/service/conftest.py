"""Service fixtures: a home with API keys, the app under TestClient, a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fluorocode.api import api_keys
from fluorocode.service.app import create_app

from ._support import LiveServer


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def tokens(home: Path) -> dict[str, str]:
    """``admin`` may check and read the audit trail; ``scribe`` may only check."""
    keys = api_keys(home)
    return {
        "admin": keys.create("admin", ("check", "audit")),
        "scribe": keys.create("scribe"),
    }


@pytest.fixture
def app(home: Path, tokens: dict[str, str]) -> FastAPI:
    return create_app(home)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
