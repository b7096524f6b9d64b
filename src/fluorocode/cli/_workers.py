"""Run the service in several worker processes, each with its own listening socket.

uvicorn's own ``--workers`` shares one listening socket between processes, and an
event loop accepts every connection waiting when it wakes: a client that opens its
pool of keep-alive connections at once (an EHR integration, a load test) lands them
all on one worker and leaves the other cores idle (measured: one of two workers did
all the work). Here each worker binds its own socket to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections across the workers.

The parent only supervises:

- it forwards SIGINT/SIGTERM to the workers (each shuts down gracefully, writing its
  queued audit records) and returns once they have stopped;
- a worker that dies on its own is replaced, and the service keeps answering on the
  others meanwhile; at most ``MAX_RESTARTS`` replacements within ``RESTART_WINDOW``
  seconds (each one logged), beyond which something is wrong with every worker: the
  supervisor stops the others and exits 1 for the process manager to see;
- workers die with it, even when it is killed with SIGKILL and cannot forward
  anything: each worker asks Linux for SIGTERM when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), and a watchdog thread checks ``os.getppid()`` every
  ``WATCHDOG_SECONDS`` as well (other systems; a parent that died before the
  ``prctl``), ending the worker gracefully, and for good after ``GRACE_SECONDS``.
"""

from __future__ import annotations

import collections
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
WATCHDOG_SECONDS = 1.0
GRACE_SECONDS = 10.0


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def _die_with(parent: int) -> None:
    """End this process when ``parent`` (the supervisor) ends (module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    threading.Thread(
        target=_watch, args=(parent,), name="fluorocode-watchdog", daemon=True
    ).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down gracefully
    time.sleep(GRACE_SECONDS)
    os._exit(1)  # it did not: in-flight work is lost, acknowledged work is on disk


def _worker(
    app: str, host: str, port: int, options: dict[str, Any], parent: int
) -> None:
    _die_with(parent)
    import uvicorn

    sock = _listen(host, port)
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def _ended(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


def _say(message: str) -> None:
    print(f"fluorocode: {message}", file=sys.stderr, flush=True)


def run_workers(
    app: str, host: str, port: int, workers: int, options: dict[str, Any]
) -> None:
    """Serve ``app`` (an import string of a factory) from ``workers`` processes.

    Returns when the workers have stopped after SIGINT/SIGTERM; exits with status 1
    if workers kept dying (more than ``MAX_RESTARTS`` in ``RESTART_WINDOW`` seconds).
    """
    _listen(host, port).close()  # fail here, in the foreground, if the port is taken
    context = multiprocessing.get_context("spawn")
    supervisor = os.getpid()
    processes: list[SpawnProcess] = []
    restarts: collections.deque[float] = collections.deque()
    stopping = False

    def start(slot: int) -> SpawnProcess:
        process = context.Process(
            target=_worker,
            args=(app, host, port, options, supervisor),
            name=f"fluorocode-worker-{slot}",
        )
        process.start()
        return process

    def terminate() -> None:
        for p in processes:
            if p.pid is not None and p.is_alive():
                os.kill(p.pid, signal.SIGTERM)

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        terminate()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(workers):
            processes.append(start(slot))
        while not stopping:
            for slot, p in enumerate(processes):
                if stopping or p.is_alive():
                    continue
                now = time.monotonic()
                while restarts and now - restarts[0] > RESTART_WINDOW:
                    restarts.popleft()
                if len(restarts) >= MAX_RESTARTS:
                    _say(
                        f"worker {slot} (pid {p.pid}) ended with {_ended(p.exitcode)}; "
                        f"{MAX_RESTARTS} restarts in {RESTART_WINDOW:g} s already: "
                        "stopping the service"
                    )
                    stop(signal.SIGTERM, None)
                    for q in processes:
                        q.join()
                    sys.exit(1)
                restarts.append(now)
                _say(
                    f"worker {slot} (pid {p.pid}) ended with {_ended(p.exitcode)}; "
                    f"starting another (restart {len(restarts)} of at most "
                    f"{MAX_RESTARTS} in {RESTART_WINDOW:g} s)"
                )
                processes[slot] = start(slot)
            time.sleep(0.2)
        terminate()  # again: one may have started while the signal was handled
        for p in processes:
            p.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
