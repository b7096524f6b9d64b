"""A ``--replace`` import while the service answers checks: no request sees half of it."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from fluorocode.api import Checker

from ._support import SWAP_ENCOUNTER as ENCOUNTER
from ._support import LiveServer, bearer
from ._support import two_versions as versions


def test_checks_during_replace_imports_each_see_one_whole_edition(
    tmp_path: Path, home: Path, tokens: dict[str, str], app: Any
) -> None:
    files = versions(tmp_path)
    paths = [p for p, _ in files.values()]
    Checker(home).import_editions([paths[0]])
    stop = threading.Event()
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def client(url: str) -> None:
        with httpx.Client(base_url=url, headers=bearer(tokens["scribe"])) as http:
            while not stop.is_set():
                response = http.post("/v1/check", json=[ENCOUNTER, ENCOUNTER])
                with lock:
                    results.append((response.status_code, response.json()))

    with LiveServer(app) as server:
        threads = [
            threading.Thread(target=client, args=(server.url,)) for _ in range(3)
        ]
        for t in threads:
            t.start()
        try:
            for i in range(12):  # the CLI's `editions import --replace`, in-process
                Checker(home).import_editions([paths[(i + 1) % 2]], replace=True)
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert len(results) > 30
    answered: Counter[str] = Counter()
    for status, body in results:
        assert status == 200, body
        for report in body:
            assert report["edition"]["demo"] is False
            [source] = report["edition"]["sources"]
            assert report["lines"][1]["action"] == files[source["sha256"]][1]
            answered[source["sha256"]] += 1
    assert set(answered) == set(files)
