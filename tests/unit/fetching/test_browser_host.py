"""A host read as browsers read it (WHATWG URL host parsing), compared with `ipaddress` on
every way of writing an IPv4 address that browsers accept."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout_watch.fetching.addresses import browser_host

addresses = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1))


def _written(number: int, radix: int) -> str:
    if radix == 16:
        return f"0x{number:x}"
    if radix == 8:
        return f"0{number:o}"
    return str(number)


@given(addresses)
def test_a_dotted_quad_is_its_address(address: ipaddress.IPv4Address) -> None:
    assert browser_host(str(address)) == address
    assert browser_host(f"{address}.") == address  # the root's trailing dot


@given(addresses, st.integers(1, 4), st.lists(st.sampled_from([8, 10, 16]), min_size=4))
def test_every_shorthand_and_radix_is_the_same_address(
    address: ipaddress.IPv4Address, count: int, radices: list[int]
) -> None:
    """`a.b.c.d`, `a.b.cd`, `a.bcd`, `abcd`: the last part fills the bytes the others leave;
    each part in decimal, octal (`0…`) or hexadecimal (`0x…`)."""
    packed = address.packed
    parts = [*packed[: count - 1], int.from_bytes(packed[count - 1 :])]
    host = ".".join(_written(part, radix) for part, radix in zip(parts, radices, strict=False))
    assert browser_host(host) == address


@given(st.ip_addresses(v=6))
def test_an_ipv6_literal_is_its_address(address: ipaddress.IPv6Address) -> None:
    assert browser_host(f"[{address}]") == address
    assert browser_host(str(address)) == address  # as `urlsplit(...).hostname` gives it


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[0-9a-z-]{1,10}){0,3}\.[a-z]{2,10}", fullmatch=True))
def test_a_name_ending_in_letters_is_a_name(name: str) -> None:
    assert browser_host(name) == name


@pytest.mark.parametrize(
    "host",
    ["1.2.3.256", "256.1.1.1", "1.2.3.4.5", "4294967296", "1..2", "0x1g.1", "a.09", "x.0x", "08"],
)
def test_a_host_ending_in_a_number_that_is_no_address_is_refused(host: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the rule's business
        browser_host(host)
