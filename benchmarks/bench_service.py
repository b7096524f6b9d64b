"""Issue 5 benchmark: POST /v1/check on `fluorocode serve` over loopback, full real edition.

Starts `fluorocode serve --workers W` on 127.0.0.1 against the full real Medicare 2024Q3
edition (imported once into the work directory, as bench_check.py does), creates a
throw-away API key, then drives the check endpoint with a small asyncio HTTP/1.1
client (keep-alive connections, one request in flight per connection), bounded both in
requests and in seconds. Prints requests per second, median/p99/max latency and the
audit rows written (every acknowledged check is on disk in the audit trail, fsynced).

The client runs on the same two cores as the server; its own CPU use is part of what
is measured (the figures are a floor for a server with the machine to itself).

Usage: python benchmarks/bench_service.py [--workers 2] [--connections 8]
       [--requests 20000] [--seconds 60] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import SHARED
from bench_check import TEN, encounter, ensure_home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bodies(count: int) -> list[bytes]:
    """Realistic encounters: real PTP pairs, a third with 76000, 2-5 lines, 3 settings."""
    rng = random.Random(76000)
    tsv = SHARED / "data/ncci-2024q3/ptp_practitioner_fluoro_pairs.tsv"
    partners = [
        ln.split("\t")[0]
        for ln in tsv.read_text().splitlines()[1:]
        if ln.split("\t")[1] == "76000"
    ]
    with gzip.open(SHARED / "data/ncci-2024q3/ptp_practitioner.tsv.gz", "rt") as f:
        next(f)
        pool = [ln.split("\t", 2)[:2] for _, ln in zip(range(200_000), f, strict=False)]
    out = []
    for i in range(count):
        codes = list(rng.choice(pool))
        if rng.random() < 0.33:
            codes = [rng.choice(partners), "76000"]
        codes += [c for c in rng.sample(TEN, rng.randint(0, 3)) if c not in codes]
        enc = encounter(i, codes, rng.choice(["11", "22", "24"]))
        out.append(json.dumps(enc).encode())
    return out


def request(body: bytes, port: int, token: str) -> bytes:
    head = (
        f"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_connection(
    port: int,
    payloads: list[bytes],
    budget: list[int],
    deadline: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(payloads[i % len(payloads)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(
    port: int, payloads: list[bytes], total: int, seconds: float, connections: int
) -> tuple[float, list[float], dict[int, int]]:
    budget = [total]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            one_connection(
                port, payloads[c::connections], budget, deadline, latencies, statuses
            )
            for c in range(connections)
        )
    )
    return time.perf_counter() - started, latencies, statuses


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (/proc)."""
    return sum(cpu_by_process(pid).values())


def cpu_by_process(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and of each of its children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total: dict[int, float] = {}
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total[p] = (int(fields[11]) + int(fields[12])) / ticks
    return total


def audit_rows(home: Path) -> int:
    from fluorocode.api import audit_log

    return sum(1 for _ in audit_log(home).records())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fluorocode-bench"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # the service's own home: bench_check's editions (linked), a fresh audit trail
    editions = ensure_home(args.work) / "editions"
    home = args.work / "home-service"
    home.mkdir(exist_ok=True)
    if not (home / "editions").exists():
        (home / "editions").symlink_to(editions)
    for stale in home.glob("audit.sqlite3*"):
        stale.unlink()

    from fluorocode.api import api_keys

    keys = api_keys(home)
    name = f"bench-{os.getpid()}"
    token = keys.create(name)
    port = free_port()
    exe = str(Path(sys.executable).parent / "fluorocode")
    log = open(args.work / "serve.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [
            exe,
            "serve",
            "--home",
            str(home),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/readyz", timeout=2
                ):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        "the server did not start; see serve.log"
                    ) from None
                time.sleep(0.2)
        editions_request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/editions",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(editions_request, timeout=10) as answer:
            for e in json.load(answer):
                rows = ", ".join(f"{t} {n:,}" for t, n in e["tables"].items())
                print(
                    f"edition {e['program']} {e['quarter']} {e['version']} "
                    f"(demo: {e['demo']}): {rows}"
                )
        payloads = [request(b, port, token) for b in bodies(4000)]
        before = audit_rows(home)
        asyncio.run(load(port, payloads, 1000, 20, args.connections))  # warm-up
        warm = audit_rows(home) - before
        per_process = cpu_by_process(server.pid)
        server_cpu = cpu_seconds(server.pid)
        client_cpu = time.process_time()
        wall, lat, statuses = asyncio.run(
            load(port, payloads, args.requests, args.seconds, args.connections)
        )
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(server.pid) - server_cpu
        per_process = {
            p: round(t - per_process.get(p, 0.0), 1)
            for p, t in cpu_by_process(server.pid).items()
        }
        written = audit_rows(home) - before - warm
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server's own process group
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        keys.revoke(name)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"POST /v1/check, full real 2024Q3 edition, {args.workers} worker(s), "
        f"{args.connections} connections, {len(lat):,} requests in {wall:.1f} s"
    )
    print(
        f"  {len(lat) / wall:8,.0f} requests/s   median {statistics.median(lat) * 1000:6.2f} ms"
        f"   p99 {p99 * 1000:6.2f} ms   max {lat[-1] * 1000:6.2f} ms"
        "   (target >= 1,000/s, p99 < 20 ms)"
    )
    print(
        f"  statuses {statuses}; audit rows written {written:,} "
        f"(one per acknowledged check)"
    )
    n = max(len(lat), 1)
    print(
        f"  CPU per request: server {server_cpu / n * 1000:.2f} ms, load client "
        f"{client_cpu / n * 1000:.2f} ms (2 cores = 2,000 ms of CPU per second)"
    )
    print(f"  server CPU seconds by process (workers share the load): {per_process}")


if __name__ == "__main__":
    main()
