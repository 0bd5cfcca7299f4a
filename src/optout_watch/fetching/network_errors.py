"""What went wrong on the network, as a kind and a sentence a person understands.

httpx wraps httpcore, which wraps the operating system's error; the whole chain of causes is
read to tell a refused address, a timeout, a TLS failure, an unknown host and a broken
connection apart.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterator, Sequence

import httpx

from optout_watch.fetching.addresses import NonPublicAddress, refused_to_connect
from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.fetching.model import FetchError

_RESOLVER_MESSAGES = (
    "name or service not known",
    "nodename nor servname",
    "no address associated with hostname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything that caused it (httpx wraps httpcore, which wraps the OS error)."""
    pending = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def describe(exc: Exception, url: str, timeout: float) -> FetchError:
    """Turn an httpx exception into a kind and a sentence."""
    host = httpx.URL(url).host
    causes = list(_chain(exc))
    refused = next((cause for cause in causes if isinstance(cause, NonPublicAddress)), None)
    if refused is not None:
        return FetchError(FetchErrorKind.NON_PUBLIC_ADDRESS, refused_to_connect(refused))
    if isinstance(exc, httpx.TimeoutException):
        what = {
            httpx.ConnectTimeout: f"could not connect to {host}",
            httpx.WriteTimeout: f"could not send the request to {host}",
            httpx.PoolTimeout: "no free connection",
        }.get(type(exc), f"no answer from {host}")
        return FetchError(FetchErrorKind.TIMEOUT, f"timeout: {what} within {timeout:g} s")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(FetchErrorKind.INVALID_URL, f"cannot request {url!r}: {exc}")
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return FetchError(FetchErrorKind.TLS, f"TLS failure with {host}: {exc}")
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(cause, socket.gaierror) for cause in causes) or any(
            text in str(exc).lower() for text in _RESOLVER_MESSAGES
        ):
            return FetchError(FetchErrorKind.DNS, f"unknown host {host}: the name does not resolve")
        return FetchError(
            FetchErrorKind.CONNECT, f"could not connect to {host}: {_os_reason(causes, exc)}"
        )
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return FetchError(FetchErrorKind.PROTOCOL, f"invalid answer from {host}: {exc}")
    return FetchError(
        FetchErrorKind.NETWORK, f"connection to {host} broke: {_os_reason(causes, exc)}"
    )


def _os_reason(causes: Sequence[BaseException], exc: Exception) -> str:
    """The operating system's words ("connection refused") when it gave any."""
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno).lower()
    return str(exc) or type(exc).__name__
