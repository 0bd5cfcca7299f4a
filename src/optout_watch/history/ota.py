"""Copies of a page from a local clone of an Open Terms Archive snapshots repository, whose
git history holds `<service>/<terms type>.html`, one commit per change of the page."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from optout_watch.errors import UsageError


class OtaError(UsageError):
    """The repository or the path cannot be read; the message names them."""


@dataclass(frozen=True, slots=True)
class OtaCopy:
    commit: str
    #: The commit's author date (when the snapshot was taken), ISO in UTC.
    taken_at: str


def _git(repository: Path, *arguments: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), *arguments], capture_output=True, check=False
        )
    except OSError as error:
        raise OtaError(f"{repository}: cannot run git: {error.strerror}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OtaError(f"{repository}: git {arguments[0]} failed: {message[-1] if message else ''}")
    return done.stdout


def _utc(moment: str) -> str:
    when = dt.datetime.fromisoformat(moment).astimezone(dt.UTC)
    return when.isoformat().replace("+00:00", "Z")


def ota_history(repository: Path, path: str, since: dt.date | None = None) -> list[OtaCopy]:
    """The commits that changed `path`, oldest first, taken on `since` or later."""
    log = _git(repository, "log", "--reverse", "--format=%H %aI", "--", path).decode()
    copies = [OtaCopy(commit, _utc(moment)) for commit, moment in
              (line.split(" ", 1) for line in log.splitlines() if line.strip())]  # fmt: skip
    if not copies:
        raise OtaError(
            f"{repository}: no history of {path}; check --ota-path (SERVICE/TERMS TYPE.html, "
            "as in the repository)"
        )
    return [c for c in copies if since is None or c.taken_at[:10] >= since.isoformat()]


def ota_content(repository: Path, copy: OtaCopy, path: str) -> bytes:
    return _git(repository, "show", f"{copy.commit}:{path}")
