"""Many runs started at the same moment on one state directory: never two holders.

Each try starts every contender behind one barrier, and no holder lets go before every
contender has tried: so each try must end with exactly one holder, whatever the timing.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import multiprocessing.synchronize
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from optout_watch.cli import main
from optout_watch.storage.lock import LOCK_FILE, StateLock, StateLocked
from tests.support.nightly import write_catalogue

# Dozens of processes contending for one state directory: seconds each.
pytestmark = pytest.mark.slow

CONTENDERS = 50
TRIES = 20
PAIRS = 30
#: The process id in a lock left by a killed run: no process has it (above pid_max).
GONE = 2**30

# Forked, not spawned: a contender starts in milliseconds, with everything imported.
_FORK = multiprocessing.get_context("fork")


def _contend(
    folder: Path,
    barrier: multiprocessing.synchronize.Barrier,
    holders: Any,
    stale: bool,
) -> None:
    for attempt in range(TRIES):
        barrier.wait()  # everyone ready: go
        lock = StateLock(folder)
        try:
            lock.__enter__()
        except StateLocked:
            held = False
        else:
            held = True
            with holders.get_lock():
                holders[attempt] += 1
        barrier.wait()  # everyone has tried
        if held:
            lock.__exit__(None, None, None)
            if stale:  # as a killed run leaves it
                lock.path.write_text(
                    json.dumps({"pid": GONE, "host": os.uname().nodename, "since": 0.0})
                )
        barrier.wait()  # released: the next try starts from a free (or stale) lock


@pytest.mark.parametrize("stale", [False, True], ids=["free", "left-by-a-killed-run"])
def test_fifty_simultaneous_starts_give_exactly_one_holder(tmp_path: Path, stale: bool) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    if stale:
        (folder / LOCK_FILE).write_text(json.dumps({"pid": GONE, "host": "x", "since": 0.0}))
    barrier = _FORK.Barrier(CONTENDERS, timeout=120)
    holders = _FORK.Array("i", TRIES)
    contenders = [
        _FORK.Process(target=_contend, args=(folder, barrier, holders, stale))
        for _ in range(CONTENDERS)
    ]
    for process in contenders:
        process.start()
    for process in contenders:
        process.join(timeout=300)
    assert [process.exitcode for process in contenders] == [0] * CONTENDERS
    counts = holders[:]
    doubled = sum(count > 1 for count in counts)
    assert counts == [1] * TRIES, f"{doubled} of {TRIES} tries had two or more holders"


# --- real `check` runs --------------------------------------------------------------------


class _HoldingServer:
    """Serves every page, but holds each answer until `release`: a run that took the lock
    cannot end before the test has seen what the other run did. Notes which runs (`/A/…`,
    `/B/…`) fetched, and signals `both_fetched` when both did in one try."""

    def __init__(self) -> None:
        self.runs: set[str] = set()
        self.released = threading.Event()
        self.both_read, self._both_write = os.pipe()
        self._lock = threading.Lock()
        server = self
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(server))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @staticmethod
    def _handler(server: _HoldingServer) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.runs.add(self.path.split("/")[1])
                    if len(server.runs) == 2:
                        os.write(server._both_write, b"!")
                server.released.wait(timeout=60)
                body = b"<html><body><article>Privacy</article></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def next_try(self) -> None:
        with self._lock:
            self.runs.clear()
            self.released.clear()
            os.set_blocking(self.both_read, False)
            with contextlib.suppress(BlockingIOError):
                os.read(self.both_read, 16)


def _run_checks(side: str, url: str, barrier: Any, results: Connection) -> None:
    for _ in range(PAIRS):
        barrier.wait()
        code = main(
            [
                "check", "--catalogue", "catalogue", "--state", "state",
                "--report", f"report-{side}.json",
                "--remap", rf"^https://help\.example\.org/ {url}/{side}/",
                "--retries", "0", "-q",
            ]
        )  # fmt: skip
        results.send(code)


def test_thirty_pairs_of_check_started_at_once_never_both_run(
    run_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)
    server = _HoldingServer()
    barrier = _FORK.Barrier(3, timeout=120)
    ends = {side: _FORK.Pipe(duplex=False) for side in "AB"}
    # The runs are forked before the server's threads start.
    runs = [
        _FORK.Process(target=_run_checks, args=(side, server.url, barrier, ends[side][1]))
        for side in "AB"
    ]
    for process in runs:
        process.start()
    serving = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    serving.start()
    both_ran = 0
    codes: list[tuple[int, int]] = []
    try:
        for _ in range(PAIRS):
            server.next_try()
            barrier.wait()
            readers: list[Connection | int] = [ends["A"][0], ends["B"][0], server.both_read]
            ready = multiprocessing.connection.wait(readers, timeout=120)
            assert ready, "neither run ended nor did both fetch"
            both_ran += server.both_read in ready
            server.released.set()
            codes.append((ends["A"][0].recv(), ends["B"][0].recv()))
    finally:
        server.released.set()
        for process in runs:
            process.join(timeout=120)
        server.httpd.shutdown()
        server.httpd.server_close()
    capfd.readouterr()
    assert both_ran == 0, f"both runs of {both_ran} of {PAIRS} pairs held the lock"
    # One run of each pair was turned away (2), the other checked the links.
    assert [sorted(pair)[1] for pair in codes] == [2] * PAIRS
    assert all(sorted(pair)[0] in (0, 1) for pair in codes)
