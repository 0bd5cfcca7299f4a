"""The pages a browser shows are probed and shown while the other links are still being
fetched: one slow link elsewhere never holds the browser back (the run then ends within one
URL's deadline, not the probe's time plus the browser's)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from optout_watch.cli import main
from tests.support.catalogue import platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply, Request

# Chromium shows the watched page.
pytestmark = pytest.mark.browser

PAGE = b"<!doctype html><html><body><article>Data Controls</article></body></html>"
HTML = {"content-type": "text/html; charset=utf-8"}


class HeldServer:
    """Answers each request only once `release` is set, or after `limit` seconds (well within
    the client's timeout, so that a request counted as waiting is one the client still waits
    for), and says whether a request is still waiting for its answer."""

    def __init__(self, limit: float = 4.0) -> None:
        self.release = threading.Event()
        self.waiting = 0
        self._limit = limit
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            self.waiting += 1
            self.release.wait(self._limit)
            self.waiting -= 1
            body = b"<title>Form</title>"
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    def close(self) -> None:
        self.release.set()
        self._listener.close()


def _catalogue(root: Path) -> None:
    data: dict[str, Any] = valid_platform()
    data["links"] = [
        {
            "id": "app",
            "url": "https://help.example.com/app",
            "kind": "help",
            "lang": "en",
            "watch": {"select": "article", "expect": ["Data Controls"], "render": "browser"},
        },
        {"id": "form", "url": "https://help.example.com/form", "kind": "form", "lang": "en"},
    ]
    data["sources"][0]["url"] = "https://help.example.com/app"
    for lang in ("fr", "en"):
        data["procedures"][0]["steps"][lang][0]["links"] = ["app", "form"]
    (root / "catalogue").mkdir()
    (root / "catalogue" / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def test_the_browser_shows_its_page_while_a_slow_link_is_still_being_fetched(
    run_folder: Path,
) -> None:
    _catalogue(run_folder)
    held = HeldServer()
    seen_while_held: list[bool] = []

    def app(request: Request) -> Reply:
        # Chromium's navigation says where it comes from; the plain probe sends no such header.
        if "sec-fetch-mode" in request.headers:
            seen_while_held.append(held.waiting > 0)
            held.release.set()
        return Reply(200, HTML, PAGE)

    try:
        with Loopback() as net:
            server = net.server()
            server.handle("/app", app)
            code = main(
                [
                    "check", "--retries", "0", "--timeout", "10", "-q",
                    "--remap", rf"^https://help\.example\.com/form {held.base_url}/form",
                    "--remap", rf"^https://help\.example\.com/ {server.base_url}/",
                    "--report", "report.json",
                ]
            )  # fmt: skip
    finally:
        held.close()
    assert code == 0
    assert seen_while_held == [True]
