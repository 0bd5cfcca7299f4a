"""The fetcher's connections: the address policy applied to DNS answers, DNS failures told
apart from refused connections, through the real aiohttp transport on loopback."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from optout_watch.fetching.addresses import AddressPolicy, NonPublicAddress
from optout_watch.fetching.connections import AiohttpTransport
from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchRequest, FetchResult, FetchSettings
from tests.support.loopback import Loopback, Reply

QUICK = FetchSettings(timeout=2.0, deadline=10.0, retries=0)


class FakeDNS(AbstractResolver):
    """Answers every name with `address`, or fails the way the system resolver does."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,  # noqa: ARG002 (the interface's)
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if self.address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(hostname=host, host=self.address, port=port, family=socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST)
        ]  # fmt: skip

    async def close(self) -> None:
        return None


PUBLIC_ONLY = AddressPolicy()


def _fetch(url: str, dns: FakeDNS, policy: AddressPolicy = PUBLIC_ONLY) -> FetchResult:
    async def run() -> FetchResult:
        transport = AiohttpTransport(per_host=2, max_connections=4, policy=policy, resolver=dns)
        async with Fetcher(QUICK, address_policy=policy, transport=transport) as fetcher:
            return await fetcher.fetch(FetchRequest(url))

    return asyncio.run(run())


@pytest.fixture
def server() -> object:
    with Loopback() as net:
        yield net.server("127.0.0.1", default=Reply(200, body=b"<title>ok</title>"))


def test_a_name_whose_dns_answer_is_loopback_is_refused_unfetched(server: object) -> None:
    port = server.base_url.rsplit(":", 1)[1]  # type: ignore[attr-defined]
    dns = FakeDNS("127.0.0.1")  # a public name rebound to the machine itself
    result = _fetch(f"http://help.example.com:{port}/privacy", dns)
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.NON_PUBLIC_ADDRESS
    assert "help.example.com leads to 127.0.0.1, a loopback address" in result.error.message
    assert server.requests == []  # type: ignore[attr-defined]


def test_a_name_a_rule_allows_may_resolve_anywhere(server: object) -> None:
    port = server.base_url.rsplit(":", 1)[1]  # type: ignore[attr-defined]
    dns = FakeDNS("127.0.0.1")
    policy = AddressPolicy(allowed_hosts=frozenset({"mirror.example.com"}))
    result = _fetch(f"http://mirror.example.com:{port}/privacy", dns, policy)
    assert (result.error, result.status) == (None, 200)


def test_an_ip_literal_is_checked_without_asking_dns(server: object) -> None:
    dns = FakeDNS("93.184.216.34")
    result = _fetch(server.url("/privacy"), dns)  # type: ignore[attr-defined]
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.NON_PUBLIC_ADDRESS
    assert dns.asked == []


def test_a_name_that_does_not_resolve_is_a_dns_failure() -> None:
    result = _fetch("https://help.nowhere.example/ai", FakeDNS(None))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DNS
    assert result.error.message == "unknown host help.nowhere.example: the name does not resolve"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("169.254.169.254", False), ("10.0.0.1", False), ("192.168.1.1", False),
        ("100.64.0.1", False), ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False), ("224.0.0.1", False), ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
    ],
)  # fmt: skip
def test_which_addresses_are_public(address: str, public: bool) -> None:
    if public:
        PUBLIC_ONLY.check("host.example", [address])
    else:
        with pytest.raises(NonPublicAddress, match=r"host\.example leads to "):
            PUBLIC_ONLY.check("host.example", [address])
