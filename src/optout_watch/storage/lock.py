"""One run at a time on a state directory.

Two runs reading the same state would both advance every streak from the same night and the
last writer would win, silently losing a night. A run holds `<state>/.lock` for its whole
length; a second run exits naming the holder. A lock whose process is gone (a killed run, on
this machine) is stale and taken over; a lock from another machine cannot be checked, so it
is taken over only once it is older than any run can last.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from optout_watch.errors import OptoutWatchError

LOCK_FILE = ".lock"
#: A lock from another machine older than this is taken to be left by a run that died.
FOREIGN_LOCK_MAX_AGE = 6 * 3600.0


class StateLocked(OptoutWatchError):
    """Another run holds the state directory."""


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    host: str
    #: Seconds since the epoch when the run took the lock.
    since: float

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"process {self.pid} on {self.host}, since {started}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class StateLock:
    """`with StateLock(folder):` holds the folder's lock, or raises `StateLocked`."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], float] = time.time,
        alive: Callable[[int], bool] = _process_alive,
    ) -> None:
        self.path = root / LOCK_FILE
        self._clock = clock
        self._alive = alive
        self._me = Holder(os.getpid(), socket.gethostname(), clock())

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):  # once more after removing a stale lock
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None and not self._stale(holder):
                    raise StateLocked(
                        f"{self.path.parent}: another optout-watch run holds this state "
                        f"({holder.describe()}); wait for it to finish, or remove "
                        f"{self.path} if that run is gone"
                    ) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump({"pid": self._me.pid, "host": self._me.host, "since": self._me.since},
                          stream)  # fmt: skip
            return self
        raise StateLocked(f"{self.path}: could not take the lock; another run keeps taking it")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._holder() == self._me:
            self.path.unlink(missing_ok=True)

    def _holder(self) -> Holder | None:
        """Who holds the lock; None for a lock file that cannot be read (taken as stale:
        a run writes its lock in one small write right after creating it)."""
        try:
            fields = json.loads(self.path.read_text(encoding="utf-8"))
            return Holder(int(fields["pid"]), str(fields["host"]), float(fields["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _stale(self, holder: Holder) -> bool:
        if holder.host == self._me.host:
            return not self._alive(holder.pid)
        return self._clock() - holder.since > FOREIGN_LOCK_MAX_AGE
