"""One run at a time on a state directory.

Two runs reading the same state would both advance every streak from the same night and the
last writer would win, silently losing a night. A run holds `<state>/.lock` for its whole
length; a second run exits naming the holder.

The lock is the kernel's (`flock` on the open file), not the file's existence: taking it is
one atomic step, however many runs start at the same moment, and the kernel lets it go when
its process ends, however it ends (a `kill -9` too). So no lock is ever stale and no run ever
removes another's: a file left behind by a killed run is simply locked again. The file's text
only names the holder, for the message of the run that is turned away.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from optout_watch.errors import OptoutWatchError

LOCK_FILE = ".lock"
#: Tries to lock a file that its holder removes in between (it was releasing the lock).
_MAX_ATTEMPTS = 100


class StateLocked(OptoutWatchError):
    """Another run holds the state directory, or it cannot be locked."""


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    host: str
    #: Seconds since the epoch when the run took the lock.
    since: float

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"process {self.pid} on {self.host}, since {started}"


class StateLock:
    """`with StateLock(folder):` holds the folder's lock, or raises `StateLocked`."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(_MAX_ATTEMPTS):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StateLocked(
                    f"{self.path.parent}: another optout-watch run holds this state "
                    f"({self._describe_holder()}); wait for it to finish"
                ) from None
            except OSError as error:
                os.close(fd)
                raise self._unlockable(error) from None
            if self._is_current(fd):
                self._fd = fd
                holder = Holder(os.getpid(), socket.gethostname(), time.time())
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(_fields(holder)).encode("utf-8"))
                return self
            # The holder removed the file while releasing the lock: this one is gone.
            os.close(fd)
        raise StateLocked(f"{self.path}: could not take the lock; other runs keep taking it")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Removed while still locked, so that a run that opened the file meanwhile finds it
        # gone once it gets the lock (see `_is_current`), and starts again on a new file.
        if self._is_current(fd):
            self.path.unlink(missing_ok=True)
        os.close(fd)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise self._unlockable(error) from None

    def _unlockable(self, error: OSError) -> StateLocked:
        return StateLocked(
            f"{self.path}: cannot lock the state ({error.strerror or error}); keep the state "
            "directory on a local disk that this user can write"
        )

    def _is_current(self, fd: int) -> bool:
        """Whether `fd` is still the file at the lock's path."""
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (opened.st_dev, opened.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    def _describe_holder(self) -> str:
        """Who holds the lock, as its file says; a holder that has not written it yet is
        just starting."""
        try:
            fields = json.loads(self.path.read_text(encoding="utf-8"))
            holder = Holder(int(fields["pid"]), str(fields["host"]), float(fields["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return "a run that is just starting"
        return holder.describe()


def _fields(holder: Holder) -> dict[str, object]:
    return {"pid": holder.pid, "host": holder.host, "since": holder.since}
