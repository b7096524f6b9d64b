"""One large check never holds up ``/healthz``: its CPU work runs off the event loop.

Against a real ``fluorocode serve`` (one worker, so the check and the probes share one
event loop): a valid body of many encounters keeps the server busy for seconds, while
``/healthz`` is asked every 50 ms on its own connection. Reading the JSON, the checks,
the audit records' hashes and writing the answer all run in a worker thread; before,
the JSON in and out ran on the event loop and stopped it for a second or more.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from ._support import Served, bearer

#: /healthz may take this long while the large check runs. Idle it takes a few ms;
#: here mostly tens of ms, and up to about a second on a busy 2-core machine (reading
#: the body's JSON is one C call that holds the GIL, as is a garbage collection).
#: Before, the loop stopped for the whole of turning 45,000 reports into JSON and
#: audit records: over two seconds on the same machine idle, more when busy.
BOUND = 1.5


def _large_body() -> bytes:
    """A valid array of small encounters, just under the 5 MB body limit.

    Many small reports rather than a few large ones: the work that ran on the event
    loop (each report to JSON, each audit record and its hash) grows with their
    number, while the largest single piece of work, which no thread can interrupt
    (one call into the C JSON reader, one garbage collection), stays small.
    """
    one = {
        "id": "e",
        "date_of_service": "2024-08-15",
        "place_of_service": "11",
        "lines": [{"code": "99213"}],
    }
    count = 4_500_000 // len(json.dumps(one))
    return json.dumps([{**one, "id": f"large-{i}"} for i in range(count)]).encode()


def test_healthz_answers_while_a_large_check_runs(tmp_path: Path) -> None:
    body = _large_body()
    assert len(body) < 5 * 1024 * 1024
    with Served(tmp_path / "home", tmp_path / "serve.log") as served:
        outcome: dict[str, Any] = {}

        def large_check() -> None:
            started = time.monotonic()
            response = httpx.post(
                f"{served.url}/v1/check",
                content=body,
                headers={**bearer(served.token), "content-type": "application/json"},
                timeout=120,
            )
            outcome["status"] = response.status_code
            outcome["reports"] = len(response.json())
            outcome["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=large_check)
        latencies = []
        with httpx.Client(base_url=served.url, timeout=30) as probe:
            worker.start()
            time.sleep(0.3)  # the body is on its way, then being checked
            while worker.is_alive():
                started = time.monotonic()
                assert probe.get("/healthz").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)
        worker.join()
    assert outcome["status"] == 200
    assert outcome["reports"] == body.count(b'"large-')
    assert outcome["seconds"] > 1.5, "too small to show anything: make it larger"
    assert len(latencies) > 10
    assert max(latencies) < BOUND, (
        f"/healthz took {max(latencies):.2f} s while a check ran "
        f"({outcome['seconds']:.1f} s)"
    )
