"""Connections: httpx's API over aiohttp's connection pool, every connection through the
address policy.

Measured side by side (see docs/performance.md): httpcore's pool matches every request
against every connection it holds, checking each idle socket, so its cost grows with the
pool. On one host at 64 requests at once it served 288 requests/s where it served 1,240 at
one at a time, with a pool per host as with one shared pool; aiohttp's pool served about
2,100 at both. So the fetcher keeps httpx's client, requests, responses and exceptions, and
this transport hands each request to an aiohttp session whose connector holds at most
`per_host` connections per host (the fetcher's own limit) and `max_connections` in all.

The transport is ours rather than the `httpx-aiohttp` package's because that one turns a
server that hangs up into a connect timeout, keeps aiohttp's cookie jar, and has no place
for the address policy; here each aiohttp failure becomes the httpx exception that says
what happened, with the cause kept, so `network_errors.describe` tells them apart as before.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from optout_watch.fetching.addresses import AddressPolicy, NonPublicAddress, ip_literal

#: Seconds an idle connection is kept for the host's next request.
KEEPALIVE_EXPIRY = 5.0
#: Bytes asked of the socket at a time while a body streams in.
_CHUNK = 64 * 1024


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to an address the policy forbids.

    aiohttp connects to the addresses the resolver returns, so what is checked here is
    what is connected to."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        self._policy.check(host, (entry["host"] for entry in found))
        return found

    async def close(self) -> None:
        await self._inner.close()


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as error:
            raise _translate(error) from error

    async def aclose(self) -> None:
        # A body left unread (cut at the byte cap, or a redirect's) closes its connection
        # rather than handing back one with bytes still in flight.
        self._response.release()


def _translate(error: BaseException) -> httpx.TransportError:
    """The httpx exception that says what the aiohttp failure was (its cause kept by the
    caller's `raise … from`)."""
    message = str(error) or type(error).__name__
    if isinstance(error, NonPublicAddress):
        return httpx.ConnectError(message)
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's read timeouts are subclasses
        return httpx.ReadTimeout(message)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message)
    if isinstance(error, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message)
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    return httpx.ReadError(message)


def _cause(error: BaseException) -> BaseException:
    """What to chain the httpx exception to: the operating system's or TLS error when aiohttp
    wraps one (so that DNS, TLS and "connection refused" can be told apart), else itself."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return error.os_error
    return error


def _headers(request: httpx.Request) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
    ]


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one aiohttp session (created in the running loop)."""

    def __init__(
        self,
        *,
        per_host: int,
        max_connections: int,
        policy: AddressPolicy,
        resolver: AbstractResolver | None = None,
    ) -> None:
        """`resolver` answers DNS questions (the system's by default); the policy checks
        its answers."""
        self._per_host = per_host
        self._max_connections = max_connections
        self._policy = policy
        self._resolver = resolver
        #: Made at the first https request: loading the trusted authorities takes tens of
        #: milliseconds that a run over plain http never needs.
        self._ssl_context: ssl.SSLContext | None = None
        self._session: aiohttp.ClientSession | None = None
        #: Hosts already checked: an IP literal is checked once, not at every request.
        self._vetted: set[str] = set()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._per_host,
                keepalive_timeout=KEEPALIVE_EXPIRY,
                resolver=GuardedResolver(self._policy, self._resolver),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # No cookies: each URL is checked as a first visit (httpx keeps none either).
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # the fetcher inflates it, a bounded piece at a time
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._open()
        host = request.url.host
        timeout: dict[str, Any] = request.extensions.get("timeout", {})
        try:
            if host not in self._vetted:
                literal = ip_literal(host)
                if literal is not None:  # aiohttp does not resolve an address: check it here
                    self._policy.check(host, [literal])
                    self._vetted.add(host)
            response = await session.request(
                request.method,
                str(request.url),
                headers=_headers(request),
                data=request.content or None,
                allow_redirects=False,
                ssl=self._tls() if request.url.scheme == "https" else True,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        except (TimeoutError, aiohttp.ClientError, NonPublicAddress) as error:
            raise _translate(error) from _cause(error)
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
