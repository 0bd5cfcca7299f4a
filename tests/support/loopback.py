"""Programmable HTTP/1.1 servers on loopback addresses, for tests and benchmarks.

One background thread runs one asyncio loop serving every server, so hundreds of slow requests
cost one coroutine each. Linux answers the whole of 127.0.0.0/8, so each server can have an
address of its own (127.0.0.1, 127.0.0.2, ...) and count as a host of its own.

    with Loopback() as net:
        server = net.server("127.0.0.2")
        server.route("/page", Reply(503), Reply(200, body=b"<title>Hi</title>"))
        ... fetch server.url("/page") ...
        assert server.requests[0].method == "GET"
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Reply:
    """What a server answers to one request."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    """Seconds before the status line (non-blocking)."""
    repeat: int = 1
    """The body is sent this many times, one chunk each, generated lazily: big bodies, little
    memory."""
    trickle: float = 0.0
    """Seconds before each body chunk."""
    raw: bytes | None = None
    """Sent instead of a response, then the connection closes (b"" closes without a word)."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """The path with its query, as sent."""
    headers: Mapping[str, str]
    """Lower-case names."""


Handler = Callable[[Request], Reply]


def replies(*sequence: Reply) -> Handler:
    """A handler answering with `sequence` in turn, then repeating its last reply."""
    answers = list(sequence)

    def answer(request: Request) -> Reply:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return answer


class _InFlight:
    """One request being answered; `leave` is idempotent."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._left = False
        server._in_flight += 1
        server.max_in_flight = max(server.max_in_flight, server._in_flight)
        server._net._entered()

    def leave(self) -> None:
        if not self._left:
            self._left = True
            self._server._in_flight -= 1
            self._server._net._left()


class Server:
    """One HTTP server; create it with `Loopback.server`."""

    def __init__(self, net: Loopback, host: str, default: Reply, *, tls: bool = False) -> None:
        self._net = net
        self.host = host
        self.scheme = "https" if tls else "http"
        self.port = 0
        self._routes: dict[str, Handler] = {}
        self._default = default
        self._in_flight = 0
        self.max_in_flight = 0
        self.requests: list[Request] = []

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, target: str) -> str:
        return self.base_url + target

    def route(self, target: str, *sequence: Reply) -> None:
        """Answer `target` (a path, or a path with its query) with `sequence` in turn."""
        self._routes[target] = replies(*sequence)

    def handle(self, target: str, handler: Handler) -> None:
        self._routes[target] = handler

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    def _reply_to(self, request: Request) -> Reply:
        path = request.target.partition("?")[0]
        handler = self._routes.get(request.target) or self._routes.get(path)
        return handler(request) if handler is not None else self._default

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._net._tasks.add(task)
        try:
            while (request := await _read_request(reader)) is not None:
                self.requests.append(request)
                in_flight = _InFlight(self)
                try:
                    keep_alive = await self._answer(request, writer, in_flight)
                finally:
                    in_flight.leave()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: nothing left to answer
        except asyncio.CancelledError:
            # Shutting down. Ending quietly rather than cancelled, because the stream server's
            # done-callback calls `task.exception()`, which raises on a cancelled task.
            pass
        finally:
            self._net._tasks.discard(task)
            writer.close()

    async def _answer(
        self, request: Request, writer: asyncio.StreamWriter, in_flight: _InFlight
    ) -> bool:
        reply = self._reply_to(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.raw is not None:
            writer.write(reply.raw)
            in_flight.leave()
            await writer.drain()
            return False
        names = {name.lower() for name in reply.headers}
        headers = dict(reply.headers)
        if "content-length" not in names:
            headers["Content-Length"] = str(len(reply.body) * reply.repeat)
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        head = f"HTTP/1.1 {reply.status} {phrase}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1"))
        chunks = 0 if request.method == "HEAD" or not reply.body else reply.repeat
        for _ in range(chunks):
            if reply.trickle:
                await asyncio.sleep(reply.trickle)
            await writer.drain()
            writer.write(reply.body)
        # Counted out before the last bytes can reach the client, so a client that starts its
        # next request on receiving them is never seen overlapping this one.
        in_flight.leave()
        await writer.drain()
        return request.headers.get("connection", "").lower() != "close"


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if length := int(headers.get("content-length", "0")):
        await reader.readexactly(length)
    return Request(method, target, headers)


class Loopback:
    """The thread and loop serving every `Server`; a context manager."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[tuple[Server, asyncio.Server]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self.max_in_flight = 0
        """Across all servers: the most requests being answered at one moment."""
        self.max_busy_servers = 0
        """The most servers answering at least one request at one moment."""

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shut_down(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def server(
        self,
        host: str = "127.0.0.1",
        default: Reply | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> Server:
        """A new server on `host` and an ephemeral port, answering `default` (404) to
        targets without a route; over https with the certificate of `tls` when given."""
        not_found = default or Reply(404, body=b"<title>Not Found</title>")
        server = Server(self, host, not_found, tls=tls is not None)
        listening = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(server._serve, host, 0, ssl=tls), self._loop
        ).result()
        server.port = listening.sockets[0].getsockname()[1]
        self._servers.append((server, listening))
        return server

    def _entered(self) -> None:
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        busy = sum(server.busy for server, _ in self._servers)
        self.max_busy_servers = max(self.max_busy_servers, busy)

    def _left(self) -> None:
        self._in_flight -= 1

    async def _shut_down(self) -> None:
        for _, listening in self._servers:
            listening.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, listening in self._servers:
            await listening.wait_closed()


def unused_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nobody listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port
