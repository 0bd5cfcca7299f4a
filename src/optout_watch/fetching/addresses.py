"""Where the fetcher may connect: public addresses only, unless a `--remap` rule named the host.

`validate` keeps IP literals, `localhost` and reserved domains out of the catalogue, but a
redirect or a DNS answer can still lead a nightly run to a loopback, private, link-local or
reserved address (a runner's cloud metadata service at 169.254.169.254, say), and what it
found there could end up in a public issue. The check happens where the connection is made:
the name is resolved here, every address it resolves to must be public, and the connection
goes to a vetted address, so a DNS answer cannot change between the check and the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    #: Host names and IP literals (lower case, IPv6 without brackets) that the user named, in
    #: the replacements of `--remap` rules: a test server or a mirror may live anywhere.
    allowed_hosts: frozenset[str] = frozenset()
    #: Connect anywhere (the fetcher's own tests, whose servers all live on loopback).
    any_address: bool = False

    def allows_host(self, host: str) -> bool:
        return self.any_address or host.strip("[]").lower() in self.allowed_hosts


class NonPublicAddress(httpcore.ConnectError):
    """The connection would reach an address that is not public; nothing was sent."""

    def __init__(self, host: str, address: IPAddress) -> None:
        super().__init__(f"{host} leads to {address}, {_describe(address)}")
        self.host = host
        self.address = address


def _describe(address: IPAddress) -> str:
    for test, words in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_private", "a private address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
    ):
        if getattr(address, test):
            return words
    return "a reserved address"


def is_public(address: IPAddress) -> bool:
    """Whether `address` belongs to the public internet (IPv4 mapped in IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver = _system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolver
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._policy.allows_host(host):
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await self._addresses(host, port, timeout)
        for address in addresses:
            if not is_public(address):
                raise NonPublicAddress(host, address)
        failure: Exception | None = None
        for address in addresses:  # vetted addresses only, in the resolver's order
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None
        raise failure

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        try:
            found = await asyncio.wait_for(self._resolve(host, port), timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"could not resolve {host} in time") from None
        except socket.gaierror as error:
            raise httpcore.ConnectError(str(error)) from error
        addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in found]
        if not addresses:
            failure = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            raise httpcore.ConnectError(str(failure)) from failure
        return addresses

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002 (the interface's signature)
        timeout: float | None = None,  # noqa: ARG002
        socket_options: Iterable[Any] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the fetcher never connects to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
