"""Politeness: how many requests go out at once, to each host and in all, and how far apart.

Each host has its own slots (`per_host`) and its own pace: starts spaced by
`min_host_interval`, plus an extra interval that 429 and 5xx answers widen and good ones
halve, and no start before the host's last `Retry-After`. The global slots
(`max_concurrency`) go first to the hosts with the fewest requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from optout_watch.fetching.model import FetchSettings

#: Below this many seconds a host's extra interval is dropped rather than halved forever.
_PENALTY_FLOOR = 0.05


@dataclass(slots=True, eq=False)
class HostPace:
    """Politeness state of one host, owned by one `Politeness`."""

    slots: asyncio.Semaphore
    in_flight: int = 0
    """Requests holding a global slot for this host."""
    last_start: float = float("-inf")
    penalty: float = 0.0
    """Extra seconds between starts, widened by 429 and 5xx answers, halved by good ones."""
    not_before: float = float("-inf")
    """No request starts before this (the host's last `Retry-After`)."""


class _GlobalSlots:
    """The global limit. A freed slot goes to the waiting request whose host has the fewest
    requests in flight (first come, first served among equals), so that when the limit is
    below what the hosts would take, the load spreads over all of them."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: list[tuple[HostPace, asyncio.Future[None]]] = []

    @contextlib.asynccontextmanager
    async def hold(self, host: HostPace) -> AsyncIterator[None]:
        await self._acquire(host)
        try:
            yield
        finally:
            self._release(host)

    async def _acquire(self, host: HostPace) -> None:
        if self._free > 0:
            self._free -= 1
            host.in_flight += 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiting.append((host, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.cancelled():
                self._waiting.remove((host, granted))
            else:  # handed a slot just before the cancellation arrived
                self._release(host)
            raise

    def _release(self, host: HostPace) -> None:
        host.in_flight -= 1
        if not self._waiting:
            self._free += 1
            return
        turn = min(range(len(self._waiting)), key=lambda i: self._waiting[i][0].in_flight)
        next_host, granted = self._waiting.pop(turn)
        next_host.in_flight += 1
        granted.set_result(None)


class Politeness:
    """The slots and the pace of every host one fetcher talks to."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._global = _GlobalSlots(settings.max_concurrency)
        self._hosts: dict[str, HostPace] = {}

    @contextlib.asynccontextmanager
    async def turn(self, name: str) -> AsyncIterator[HostPace]:
        """Hold a slot of host `name` and a global one, once the host's pace allows a start."""
        host = self._host(name)
        # The host's slot first, then a global one: a global slot is never held while this
        # request waits for its host, so idle hosts keep the global slots busy.
        async with host.slots:
            await self._wait_turn(host)
            async with self._global.hold(host):
                yield host

    def learn(self, host: HostPace, status: int | None, retry_after: float | None) -> None:
        """Widen the host's interval when it says it is overloaded; relax it when it is not."""
        if status is None:
            return
        if status == 429 or status >= 500:
            widened = max(self._settings.backoff_base, host.penalty * 2)
            host.penalty = min(self._settings.backoff_max, widened)
        else:
            halved = host.penalty / 2
            host.penalty = halved if halved >= _PENALTY_FLOOR else 0.0
        if retry_after is not None:
            host.not_before = max(host.not_before, self._clock() + retry_after)

    def _host(self, name: str) -> HostPace:
        if (host := self._hosts.get(name)) is None:
            host = self._hosts[name] = HostPace(asyncio.Semaphore(self._settings.per_host))
        return host

    async def _wait_turn(self, host: HostPace) -> None:
        """Space request starts to one host; the start is reserved before waiting, so the
        holders of the host's other slots line up behind it."""
        now = self._clock()
        interval = self._settings.min_host_interval + host.penalty
        start = max(now, host.last_start + interval, host.not_before)
        host.last_start = start
        if start > now:
            await self._sleep(start - now)
