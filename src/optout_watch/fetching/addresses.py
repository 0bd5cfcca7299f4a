"""Where the fetcher may connect: public addresses only, unless a `--remap` rule named the host.

`validate` keeps IP literals, `localhost` and reserved domains out of the catalogue, but a
redirect or a DNS answer can still lead a nightly run to a loopback, private, link-local or
reserved address (a runner's cloud metadata service at 169.254.169.254, say), and what it
found there could end up in a public issue. The check happens where the connection is made
(see `connections`): every address a name resolves to must be public, and the connection
goes to one of those vetted addresses, so a DNS answer cannot change between the check and
the connection.

`validate` needs to know what a browser makes of a host as written, before any DNS: see
`browser_host`, which parses it the way the WHATWG URL standard says (`127.1` and
`0x7f.0.0.1` are 127.0.0.1 to every browser, not names).
"""

from __future__ import annotations

import encodings.idna
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The digits of an IPv4 number (a part of an address) by radix, as browsers read them.
_IPV4_DIGITS = {10: re.compile("[0-9]+"), 8: re.compile("[0-7]+"), 16: re.compile("[0-9a-fA-F]+")}


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


def refused_to_connect(refused: NonPublicAddress | str) -> str:
    """The sentence for a connection refused by the policy, for the fetcher and the browser."""
    return (
        f"refused to connect: {refused}; nothing was fetched there (only the hosts a --remap "
        "rule names may be non-public)"
    )


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


def browser_host(host: str) -> IPAddress | str:
    """`host`, as a URL holds it, read the way a browser reads it (the WHATWG URL standard's
    host parser): the IP address it names however it is written (`127.1`, `0x7f.0.0.1`,
    `2130706433`, `0177.0.0.1`, `127.0.0.1.`, `[::1]`), else the domain name, percent-decoded,
    in lower case and with what IDNA maps mapped (`ＬＯＣＡＬＨＯＳＴ` is `localhost`).

    Raises ValueError for a host that browsers refuse: one that ends in a number but is no
    IPv4 address (`1.2.3.256`, `a.0x1g.09`), a malformed IPv6 literal, bad percent-encoding.
    """
    if host.startswith("[") or ":" in host:
        literal = host.removeprefix("[").removesuffix("]")
        if "%" in literal:  # a zone, which URLs cannot carry
            raise ValueError("an IPv6 address with a zone")
        return ipaddress.IPv6Address(literal)
    domain = unquote(host, errors="strict")
    if not domain.isascii():
        domain = ".".join(_nameprep(label) for label in encodings.idna.dots.split(domain))
    domain = domain.lower()
    return _ipv4(domain) if _ends_in_a_number(domain) else domain


def _nameprep(label: str) -> str:
    """The label as IDNA maps it (full-width letters and digits to ASCII, case folded,
    invisible characters dropped); as is where IDNA 2003 refuses it."""
    try:
        return encodings.idna.nameprep(label)
    except UnicodeError:
        return label


def _ends_in_a_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(_IPV4_DIGITS[10].fullmatch(last)) or _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address: decimal, `0x` hexadecimal or `0` octal; None if not."""
    if part[:2] in ("0x", "0X"):
        digits, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, radix = part[1:], 8
    else:
        digits, radix = part, 10
    if not digits:
        return 0 if radix == 16 else None  # a bare `0x` is zero; an empty part is nothing
    return int(digits, radix) if _IPV4_DIGITS[radix].fullmatch(digits) else None


def _ipv4(domain: str) -> ipaddress.IPv4Address:
    """The address of a host that ends in a number: one to four parts, the last filling the
    bytes the others leave (`127.1` is 127.0.0.1)."""
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or None in numbers:
        raise ValueError("it ends in a number but is no IPv4 address")
    *leading, last = [number for number in numbers if number is not None]
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        raise ValueError("a part of the IPv4 address is out of range")
    return ipaddress.IPv4Address(sum(n << (8 * (3 - i)) for i, n in enumerate(leading)) + last)
