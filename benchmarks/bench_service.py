"""Issue 5 and 11 benchmark: POST /v1/check on `fluorocode serve` over loopback, full real edition.

Starts `fluorocode serve --workers W` on 127.0.0.1 against the full real Medicare 2024Q3
edition (``--home`` names a home where it is imported, e.g. ``/tmp/fc-home``; else it
is imported once into the work directory, as bench_check.py does) with a fresh audit
trail, creates a throw-away API key, then loads the server with one of two clients:

- ``--client wrk`` (``make bench-deps`` installs Debian's wrk): 8 keep-alive
  connections, each with one request in flight, in three phases of the same run:
  ``GET /healthz`` (the floor: the HTTP stack with no work), then ``POST /v1/check``
  of the dense 10-line encounter (bench_check's ``TEN``), then of a batch of 10 of
  them. Prints checks per second and p50/p99 latency for each (wrk's figures, through
  ``wrk_report.lua``), the server's CPU per check and per worker.
- ``--client python``: a small asyncio HTTP/1.1 client sending realistic encounters
  (real PTP pairs, a third with 76000, 2-5 lines, three settings).

Either way it checks that the audit trail holds one row per check answered 200: every
acknowledged check is on disk (fsynced) before its answer.

The client runs on the same two cores as the server; its own CPU use is part of what
is measured (the figures are a floor for a server with the machine to itself).

Usage: python benchmarks/bench_service.py [--client wrk|python] [--workers 2]
       [--connections 8] [--seconds 20] [--requests 20000] [--home HOME | --work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import SHARED
from bench_check import TEN, encounter, ensure_home

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk_report.lua"
#: the wrk mode's batch size (issue 11: at least 4,000 checks/s in batches of 10)
BATCH = 10


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


def service_home(args: argparse.Namespace) -> Path:
    """A home with the edition's ``editions`` linked in and a fresh audit trail."""
    editions = (args.home or ensure_home(args.work)) / "editions"
    home = args.work / "home-service"
    home.mkdir(exist_ok=True)
    link = home / "editions"
    if link.is_symlink() and link.resolve() != editions.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(editions.resolve())
    for stale in home.glob("audit.sqlite3*"):
        stale.unlink()
    return home


def start_server(
    home: Path, port: int, workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    exe = str(Path(sys.executable).parent / "fluorocode")
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                exe,
                "serve",
                "--home",
                str(home),
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop_server(server)
                raise SystemExit(f"the server did not start; see {log_path}") from None
            time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # the server's own process group
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def print_editions(port: int, token: str) -> None:
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


class Phase:
    """One load phase's figures: what the client saw and what the server spent."""

    def __init__(self, label: str, checks_per_request: int) -> None:
        self.label = label
        self.checks_per_request = checks_per_request
        self.requests = 0
        self.failed = 0
        self.seconds = 0.0
        self.p50_ms = self.p99_ms = self.max_ms = 0.0
        self.server_cpu: dict[int, float] = {}
        self.client_cpu = 0.0

    @property
    def rate(self) -> float:
        return (
            self.requests * self.checks_per_request / self.seconds
            if self.seconds
            else 0.0
        )

    def line(self, unit: str) -> str:
        """Two lines: rate and latency; CPU per unit (the busiest processes first)."""
        checks = max(self.requests * self.checks_per_request, 1)
        cpu = sum(self.server_cpu.values()) or 1.0
        share = ", ".join(
            f"{t / cpu:.0%}"
            for t in sorted(self.server_cpu.values(), reverse=True)
            if t / cpu >= 0.01  # the supervisor and its helpers are idle
        )
        per = unit.split("/")[0].removesuffix("s")
        return (
            f"  {self.label:<28} {self.rate:8,.0f} {unit:<9} p50 {self.p50_ms:6.2f} ms"
            f"   p99 {self.p99_ms:6.2f} ms   max {self.max_ms:7.2f} ms   "
            f"errors {self.failed}\n"
            f"  {'':<28} server CPU {cpu / checks * 1e6:5.0f} µs/{per} "
            f"(workers' shares: {share}); client CPU "
            f"{self.client_cpu / checks * 1e6:4.0f} µs"
        )


def measure(server: subprocess.Popen[bytes], phase: Phase, run: Any) -> Phase:
    """Run ``run()`` (the load) and add the server's and the client's CPU to ``phase``."""
    before = cpu_by_process(server.pid)
    client = os.times()
    run()
    after = cpu_by_process(server.pid)
    done = os.times()
    phase.server_cpu = {p: t - before.get(p, 0.0) for p, t in after.items()}
    # wrk is a child process: its CPU is in the children's times once it has ended
    phase.client_cpu = (
        done.user + done.system + done.children_user + done.children_system
    ) - (client.user + client.system + client.children_user + client.children_system)
    return phase


def wrk(
    url: str,
    seconds: float,
    connections: int,
    body: Path | None,
    token: str,
    phase: Phase,
) -> None:
    """Load ``url`` with wrk (GET, or POST of ``body``) and fill in ``phase``."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    if body is not None:
        command += ["--", str(body)]
    printed = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "FLUOROCODE_BENCH_KEY": token},
    ).stdout
    figures = json.loads(printed.strip().splitlines()[-1])
    phase.requests = figures["requests"] - figures["non_2xx"]
    phase.failed = figures["non_2xx"] + sum(
        figures[k]
        for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    phase.seconds = figures["duration_us"] / 1e6
    phase.p50_ms = figures["p50_us"] / 1000
    phase.p99_ms = figures["p99_us"] / 1000
    phase.max_ms = figures["max_us"] / 1000


def run_wrk(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    port: int,
    home: Path,
    token: str,
) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: make bench-deps (or --client python)")
    one = [encounter(i, TEN) for i in range(BATCH)]
    single = args.work / "wrk-single.json"
    single.write_bytes(json.dumps(one[0]).encode())
    batch = args.work / "wrk-batch.json"
    batch.write_bytes(json.dumps(one).encode())
    base = f"http://127.0.0.1:{port}"
    check = f"{base}/v1/check"
    c = args.connections
    # warm-up: every code path, the pool threads, the allocator
    wrk(check, 5, c, single, token, Phase("warm-up", 1))
    wrk(check, 3, c, batch, token, Phase("warm-up", BATCH))
    before = audit_rows(home)
    phases = [
        (Phase("GET /healthz (the floor)", 1), f"{base}/healthz", None),
        (Phase("POST /v1/check, 1 encounter", 1), check, single),
        (Phase(f"POST /v1/check, {BATCH} per body", BATCH), check, batch),
    ]
    for phase, url, body in phases:
        measure(
            server,
            phase,
            lambda p=phase, u=url, b=body: wrk(u, args.seconds, c, b, token, p),
        )
    written = audit_rows(home) - before
    answered = sum(p.requests * p.checks_per_request for p, _, body in phases if body)
    print(
        f"wrk, {c} connections ({min(2, c)} threads), {args.workers} server worker(s), "
        f"{args.seconds:g} s per phase, the 10-line encounter ({len(TEN)} codes):"
    )
    for phase, _, body in phases:
        print(phase.line("checks/s" if body else "requests/s"))
    print(
        "  targets: >= 2,500 checks/s with p99 < 20 ms; >= 4,000 checks/s in batches "
        f"of {BATCH}"
    )
    print(
        f"  audit rows written {written:,} for {answered:,} checks answered 200 "
        f"({'every one on disk' if written >= answered else 'MISSING ROWS'})"
    )


def run_python(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    port: int,
    home: Path,
    token: str,
) -> None:
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
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"POST /v1/check, full real 2024Q3 edition, {args.workers} worker(s), "
        f"{args.connections} connections, {len(lat):,} requests in {wall:.1f} s"
    )
    print(
        f"  {len(lat) / wall:8,.0f} requests/s   median {statistics.median(lat) * 1000:6.2f} ms"
        f"   p99 {p99 * 1000:6.2f} ms   max {lat[-1] * 1000:6.2f} ms"
        "   (target >= 2,500/s, p99 < 20 ms)"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fluorocode-bench"
    )
    ap.add_argument(
        "--home", type=Path, default=None, help="a home with the edition imported"
    )
    ap.add_argument("--client", choices=("wrk", "python"), default="wrk")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--requests", type=int, default=20_000, help="python client only")
    ap.add_argument("--seconds", type=float, default=20.0, help="per phase")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    home = service_home(args)

    from fluorocode.api import api_keys

    keys = api_keys(home)
    name = f"bench-{os.getpid()}"
    token = keys.create(name)
    port = free_port()
    server = start_server(home, port, args.workers, args.work / "serve.log")
    try:
        print_editions(port, token)
        run = run_wrk if args.client == "wrk" else run_python
        run(args, server, port, home, token)
    finally:
        stop_server(server)
        keys.revoke(name)


if __name__ == "__main__":
    main()
