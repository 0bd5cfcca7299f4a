"""The fetcher as the tests drive it: sleeps and clocks injected, any loopback address allowed."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchRequest, FetchResult, FetchSettings

QUICK = FetchSettings(timeout=2.0, deadline=10.0)


#: The servers of these tests all live on loopback addresses.
ANYWHERE = AddressPolicy(any_address=True)


EPOCH = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeTime:
    """Sleeps that return at once and advance a clock: real time plus all the fake sleeps, or,
    `frozen`, the fake sleeps alone (for exact waits, however slow the machine)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.sleeps: list[float] = []
        self.offset = 0.0
        self.frozen = frozen

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.offset if self.frozen else time.monotonic() + self.offset

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.offset)


def make_fetcher(
    settings: FetchSettings = QUICK,
    fake: FakeTime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetcher:
    fake = fake or FakeTime()
    return Fetcher(
        settings,
        address_policy=ANYWHERE,
        transport=transport,
        sleep=fake.sleep,
        clock=fake.clock,
        now=fake.now,
        rng=random.Random(7),
    )


def fetch(
    request: FetchRequest | str,
    settings: FetchSettings = QUICK,
    fake: FakeTime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchResult:
    if isinstance(request, str):
        request = FetchRequest(request)

    async def run() -> FetchResult:
        async with make_fetcher(settings, fake, transport) as fetcher:
            return await fetcher.fetch(request)

    return asyncio.run(run())


def fetch_all(
    urls: list[str],
    settings: FetchSettings = QUICK,
    fake: FakeTime | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    async def run() -> list[FetchResult]:
        async with make_fetcher(settings, fake) as fetcher:
            return await fetcher.fetch_all([FetchRequest(url) for url in urls], on_result)

    return asyncio.run(run())
