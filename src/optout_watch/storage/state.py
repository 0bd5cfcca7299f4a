"""The state directory: what the last runs saw, so that the next one can compare.

Layout (readable, committed to git by the nightly job, so diffs stay small and meaningful):

    state/state.json            validators, label sightings (with a missing label's evidence),
                                finding streaks (sorted keys)
    state/snapshots/<host>/…    one text file per watched page, with a .meta.json beside it

Writes are transactional: every new file is first written beside its target as a temporary
file; then a journal listing the renames is written atomically; then the renames happen; then
the journal is removed. A run interrupted before the journal exists leaves the old state
untouched (its temporary files are swept on the next load); one interrupted after it is
completed on the next load. Either way the state is whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optout_watch.errors import OptoutWatchError
from optout_watch.storage.atomic import TEMPORARY_SUFFIX, write_temporary, write_text_atomic

#: 2: `extractor` (a format-1 state has none: unknown). 3: a missing label's `evidence`.
#: 4: a failing link's `failing_since` and `last_worked` (an older state has none: unknown).
#: Older formats stay readable.
STATE_FORMAT_VERSION = 4
STATE_FILE = "state.json"
JOURNAL_FILE = ".journal.json"


class StateError(OptoutWatchError):
    """A state directory this version cannot use; nothing was written."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkMemory(_Model):
    etag: str | None = None
    last_modified: str | None = None
    #: For a link that fails: the first run that saw it fail, and the last run before that
    #: (None when unknown: it never worked, or failed before these were recorded). Kept only
    #: while it fails, so that a working link's entry does not change every night.
    failing_since: str | None = None
    last_worked: str | None = None


class RenameMemory(_Model):
    """The strongest evidence of a missing label's new name (`pages.labels.LastingEvidence`)."""

    text: str
    score: float = Field(ge=0, le=1)
    #: The kind of evidence, as `pages.labels.Evidence` words it.
    why: str
    url: str
    seen_at: str
    old_line: str | None = None
    new_line: str | None = None


class LabelMemory(_Model):
    first_seen: str | None = None
    last_seen: str | None = None
    #: Kept while the label is missing, from the run that saw the evidence.
    evidence: RenameMemory | None = None


class FindingMemory(_Model):
    streak: int = Field(ge=0)
    first_seen: str
    last_seen: str
    #: The URL the finding is about: kept unchanged while that URL goes unchecked.
    url: str | None = None


class State(_Model):
    format_version: int = STATE_FORMAT_VERSION
    last_run: str | None = None
    #: `pages.extract.EXTRACTOR_VERSION` of the last run, and the extractor of every snapshot
    #: that records none (written before snapshots recorded their own); None when unknown (a
    #: state written before it was recorded). It moves to a new extractor only once no such
    #: snapshot is left unread. A snapshot of another extractor is re-baselined instead of
    #: compared (see `run.check.run_check`).
    extractor: str | None = None
    links: dict[str, LinkMemory] = Field(default_factory=dict)
    #: URL → label → when it was first and last seen on the page.
    labels: dict[str, dict[str, LabelMemory]] = Field(default_factory=dict)
    #: Fingerprint → how many consecutive runs have seen the finding.
    findings: dict[str, FindingMemory] = Field(default_factory=dict)


def _complete_journal(root: Path) -> None:
    journal = root / JOURNAL_FILE
    if not journal.is_file():
        return
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StateError(
            f"{journal}: unreadable journal of an interrupted run ({error}); "
            "restore the state directory from git"
        ) from None
    for temporary, target in moves:
        source = root / temporary
        if source.exists():
            os.replace(source, root / target)
    journal.unlink()


def _sweep_temporary_files(root: Path) -> None:
    for leftover in root.rglob(f"*{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def load_state(root: Path) -> State:
    """The state in `root` (an empty state if there is none yet).

    Raises StateError for a state written by a newer version or a corrupted one."""
    if not root.exists():
        return State()
    _complete_journal(root)
    _sweep_temporary_files(root)
    path = root / STATE_FILE
    if not path.is_file():
        return State()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StateError(
            f"{path}: not readable JSON ({error}); restore it from git or remove the "
            "state directory to start afresh"
        ) from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > STATE_FORMAT_VERSION:
        raise StateError(
            f"{path}: written by a newer optout-watch (state format {version}, this version "
            f"reads {STATE_FORMAT_VERSION}); upgrade optout-watch"
        )
    try:
        return State.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise StateError(
            f"{path}: corrupted state at {where}: {first['msg']}; restore it from git or "
            "remove the state directory to start afresh"
        ) from None


def render_state(state: State) -> bytes:
    text = json.dumps(state.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def save_state(root: Path, state: State, files: Mapping[str, bytes] | None = None) -> None:
    """Write `state` and the extra `files` (paths relative to `root`) as one transaction.

    Files whose content is unchanged are not rewritten, so an unchanged page leaves git clean.
    """
    root.mkdir(parents=True, exist_ok=True)
    wanted = {**(files or {}), STATE_FILE: render_state(state)}
    moves: list[tuple[str, str]] = []
    try:
        for relative, content in sorted(wanted.items()):
            target = root / relative
            if target.is_file() and target.read_bytes() == content:
                continue
            temporary = write_temporary(target, content)
            moves.append(((Path(relative).parent / temporary.name).as_posix(), relative))
    except BaseException:
        for written, _ in moves:
            (root / written).unlink(missing_ok=True)
        raise
    if not moves:
        return
    write_text_atomic(root / JOURNAL_FILE, json.dumps(moves, indent=1) + "\n")
    _complete_journal(root)
