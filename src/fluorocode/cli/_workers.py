"""Run the service in several worker processes, each with its own listening socket.

uvicorn's own ``--workers`` shares one listening socket between processes, and an
event loop accepts every connection waiting when it wakes: a client that opens its
pool of keep-alive connections at once (an EHR integration, a load test) lands them
all on one worker and leaves the other cores idle (measured: one of two workers did
all the work). Here each worker binds its own socket to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections across the workers.

The parent only supervises: it forwards SIGINT/SIGTERM to the workers (each shuts down
gracefully, writing its queued audit records) and, if a worker dies, stops the others
and exits non-zero so that the process manager restarts the service whole.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any


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


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = _listen(host, port)
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(
    app: str, host: str, port: int, workers: int, options: dict[str, Any]
) -> None:
    """Serve ``app`` (an import string of a factory) from ``workers`` processes.

    Returns when the workers have stopped after SIGINT/SIGTERM; exits with status 1
    if a worker died on its own.
    """
    _listen(host, port).close()  # fail here, in the foreground, if the port is taken
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_worker,
            args=(app, host, port, options),
            name=f"fluorocode-worker-{i}",
        )
        for i in range(workers)
    ]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in processes:
            if p.pid is not None and p.is_alive():
                os.kill(p.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in processes:
            p.start()
        while not stopping:
            if any(not p.is_alive() for p in processes):
                print("fluorocode: a worker died; stopping the others", file=sys.stderr)
                stop(signal.SIGTERM, None)
                for p in processes:
                    p.join()
                sys.exit(1)
            time.sleep(0.5)
        for p in processes:
            p.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
