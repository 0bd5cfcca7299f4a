"""Where the fetcher may connect: public addresses only, unless a `--remap` rule named the host.

`validate` keeps IP literals, `localhost` and reserved domains out of the catalogue, but a
redirect or a DNS answer can still lead a nightly run to a loopback, private, link-local or
reserved address (a runner's cloud metadata service at 169.254.169.254, say), and what it
found there could end up in a public issue. The check happens where the connection is made
(see `connections`): every address a name resolves to must be public, and the connection
goes to one of those vetted addresses, so a DNS answer cannot change between the check and
the connection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    #: Host names and IP literals (lower case, IPv6 without brackets) that the user named, in
    #: the replacements of `--remap` rules: a test server or a mirror may live anywhere.
    allowed_hosts: frozenset[str] = frozenset()
    #: Connect anywhere (the fetcher's own tests, whose servers all live on loopback).
    any_address: bool = False

    def allows_host(self, host: str) -> bool:
        return self.any_address or host.strip("[]").lower() in self.allowed_hosts

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Raise `NonPublicAddress` unless the host is allowed or every address is public."""
        if self.allows_host(host):
            return
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not is_public(address):
                raise NonPublicAddress(host, address)


class NonPublicAddress(Exception):
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


def ip_literal(host: str) -> str | None:
    """`host` as an address when it is one (`[::1]` → `::1`), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
