"""Where the browser may connect: a proxy on loopback that connects only where the fetcher may.

Chromium resolves host names itself, so checking its requests in the page cannot be complete.
Each page's context goes through a proxy of its own (`GuardedProxy`), loopback included: the
proxy resolves every host itself, checks that each address is allowed (`addresses`), and
connects to a vetted address, so a redirect, a script or a DNS answer cannot take the browser
anywhere the plain fetcher could not go. `GuardedProxy.route` also aborts requests to refused
IP literals, and images, media and fonts, before they reach the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from optout_watch.fetching.addresses import (
    AddressPolicy,
    NonPublicAddress,
    ip_literal,
    refused_to_connect,
)

if TYPE_CHECKING:
    from playwright.async_api import Route

#: Requests the browser never makes: nothing in them is text.
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})
_CHUNK = 64 * 1024
#: The longest request or response head the proxy reads.
_HEAD_LIMIT = 1024 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class _Forwarded:
    """A plain HTTP request the proxy forwards: its request line and its header lines."""

    method: str
    target: str
    version: str
    headers: list[str]


@dataclass(slots=True)
class _Refusal:
    host: str
    message: str


@dataclass  # no slots: Playwright marks the route handler's owner with an attribute
class GuardedProxy:
    """An HTTP proxy on loopback for one page's context: it connects only where the address
    policy allows, to an address it resolved and vetted itself, and remembers what it
    refused. HTTPS (and WebSockets) pass through `CONNECT` tunnels; plain HTTP requests are
    forwarded one per connection (`Connection: close`), so that no request on a kept-alive
    connection can reach a host that was not vetted."""

    policy: AddressPolicy
    timeout: float
    refused: list[_Refusal] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEAD_LIMIT)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def refusal(self, host: str | None = None) -> str | None:
        """What was refused (for `host` only, when given), as a sentence."""
        for refused in self.refused:
            if host is None or refused.host == host.strip("[]").lower():
                return refused_to_connect(refused.message)
        return None

    async def route(self, route: Route) -> None:
        """Every request of the page: no images, media or fonts, no refused IP literal."""
        from playwright.async_api import Error  # noqa: PLC0415

        request = route.request
        blocked = request.resource_type in BLOCKED_RESOURCES
        host = urlsplit(request.url).hostname or ""
        literal = ip_literal(host)
        if not blocked and literal is not None:
            try:
                self.policy.check(host, [literal])
            except NonPublicAddress as refused:
                self.refused.append(_Refusal(host.lower(), str(refused)))
                blocked = True
        with contextlib.suppress(Error):  # the page closed meanwhile
            await (route.abort("blockedbyclient") if blocked else route.continue_())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                forwarded = _Forwarded(method, target, version, [line for line in lines if line])
                await self._forward(forwarded, reader, writer)
        except (
            OSError,
            ValueError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass  # the browser or the server went away, or sent nonsense: nothing to answer
        except asyncio.CancelledError:
            # Closing. Ending quietly rather than cancelled, because the stream server's
            # done-callback calls `task.exception()`, which raises on a cancelled task.
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _connect(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to a vetted address of `host`, or None after answering the browser."""
        host = host.strip("[]").lower()
        try:
            address = await self._vet(host, port)
            return await asyncio.wait_for(
                asyncio.open_connection(address, port, limit=_HEAD_LIMIT), self.timeout
            )
        except NonPublicAddress as refused:
            self.refused.append(_Refusal(host, str(refused)))
            writer.write(_answer(403, "Forbidden"))
        except (OSError, TimeoutError):
            writer.write(_answer(502, "Bad Gateway"))
        await writer.drain()
        return None

    async def _vet(self, host: str, port: int) -> str:
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
            addresses = [str(entry[4][0]) for entry in found]
        if not addresses:
            raise OSError(f"{host} has no address")
        self.policy.check(host, addresses)
        return addresses[0]

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = target.rpartition(":")
        upstream = await self._connect(host, int(port), writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        try:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            pipes = {
                asyncio.create_task(_pipe(reader, up_writer)),
                asyncio.create_task(_pipe(up_reader, writer)),
            }
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pipe in pipes:
                    pipe.cancel()
                await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            up_writer.close()

    async def _forward(
        self, request: _Forwarded, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        url = urlsplit(request.target)
        if url.scheme != "http" or not url.hostname:
            writer.write(_answer(400, "Bad Request"))
            return
        upstream = await self._connect(url.hostname, url.port or 80, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        try:
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            kept = [line for line in request.headers if _name(line) not in _HOP_BY_HOP]
            head = f"{request.method} {path} {request.version}\r\n"
            head += "".join(f"{line}\r\n" for line in kept)
            up_writer.write((head + "Connection: close\r\n\r\n").encode("latin-1"))
            length = next((line for line in kept if _name(line) == "content-length"), None)
            if length is not None and (size := int(length.partition(":")[2])):
                up_writer.write(await reader.readexactly(size))
            await up_writer.drain()
            await self._relay_response(up_reader, writer)
        finally:
            up_writer.close()

    async def _relay_response(
        self, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """The response with `Connection: close` (the browser opens a new connection for its
        next request), then its body as it comes."""
        while True:
            head = await up_reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            kept = [line for line in lines if line and _name(line) not in _HOP_BY_HOP]
            informational = status_line.split(" ", 2)[1].startswith("1")
            if not informational:
                kept.append("Connection: close")
            writer.write(
                (status_line + "\r\n" + "".join(f"{line}\r\n" for line in kept) + "\r\n").encode(
                    "latin-1"
                )
            )
            if not informational:
                break
        await _pipe(up_reader, writer)


def _name(header_line: str) -> str:
    return header_line.partition(":")[0].strip().lower()


def _answer(status: int, phrase: str) -> bytes:
    return f"HTTP/1.1 {status} {phrase}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
