"""The state directory: versioned, atomic, transactional, refusing what it cannot read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from optout_watch.storage.state import (
    JOURNAL_FILE,
    STATE_FILE,
    STATE_FORMAT_VERSION,
    FindingMemory,
    LabelMemory,
    LinkMemory,
    RenameMemory,
    State,
    StateError,
    load_state,
    save_state,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _sample() -> State:
    return State(
        last_run="2026-11-28T02:00:00Z",
        links={"https://b.example/": LinkMemory(etag='"x"'), "https://a.example/": LinkMemory()},
        findings={"0123456789abcdef": FindingMemory(streak=2, first_seen="t1", last_seen="t2")},
    )


def test_missing_directory_is_an_empty_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "state") == State()


def test_round_trip_with_stable_sorted_json(tmp_path: Path) -> None:
    save_state(tmp_path, _sample(), {"snapshots/a.txt": b"hello\n"})
    assert load_state(tmp_path) == _sample()
    text = (tmp_path / STATE_FILE).read_text()
    assert text.index('"https://a.example/"') < text.index('"https://b.example/"')
    assert text.endswith("}\n")
    assert (tmp_path / "snapshots" / "a.txt").read_bytes() == b"hello\n"


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    save_state(tmp_path, _sample(), {"snapshots/a.txt": b"hello\n"})
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    save_state(tmp_path, _sample(), {"snapshots/a.txt": b"hello\n"})
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after


def test_a_newer_format_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"format_version": 99}\n')
    with pytest.raises(StateError, match="newer optout-watch"):
        load_state(tmp_path)
    assert (tmp_path / STATE_FILE).read_text() == '{"format_version": 99}\n'


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not readable JSON"),
        ('{"format_version": 1, "findings": {"x": {"streak": -1}}}', "corrupted state at findings"),
        ('{"format_version": 1, "surprise": 1}', "corrupted state at surprise"),
    ],
)
def test_a_corrupted_state_is_refused(tmp_path: Path, content: str, fragment: str) -> None:
    (tmp_path / STATE_FILE).write_text(content)
    with pytest.raises(StateError, match=fragment):
        load_state(tmp_path)


def test_interrupted_write_leaves_the_previous_state_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_state(tmp_path, _sample(), {"snapshots/a.txt": b"old a\n", "snapshots/b.txt": b"old b\n"})
    before = _tree(tmp_path)
    real_fsync = os.fsync
    calls = []

    def fail_after_first_file(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 1:
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_after_first_file)  # the os module state.py calls
    newer = State(last_run="2026-11-29T02:00:00Z")
    with pytest.raises(OSError, match="disk full"):
        save_state(tmp_path, newer, {"snapshots/a.txt": b"new a\n", "snapshots/b.txt": b"new b\n"})
    monkeypatch.undo()
    assert len(calls) == 2  # the first file was written before the failure
    assert _tree(tmp_path) == before
    assert load_state(tmp_path) == _sample()


def test_a_journal_left_by_a_crash_is_completed_on_load(tmp_path: Path) -> None:
    save_state(tmp_path, _sample(), {"snapshots/a.txt": b"old\n"})
    # What a run killed between the journal and the renames leaves behind:
    (tmp_path / "snapshots" / ".a.txt.1.optout-watch-tmp").write_bytes(b"new\n")
    (tmp_path / ".state.json.2.optout-watch-tmp").write_text(
        State(last_run="later").model_dump_json()
    )
    (tmp_path / JOURNAL_FILE).write_text(
        json.dumps(
            [
                ["snapshots/.a.txt.1.optout-watch-tmp", "snapshots/a.txt"],
                [".state.json.2.optout-watch-tmp", STATE_FILE],
            ]
        )
    )
    assert load_state(tmp_path).last_run == "later"
    assert (tmp_path / "snapshots" / "a.txt").read_bytes() == b"new\n"
    assert not (tmp_path / JOURNAL_FILE).exists()


def test_temporary_files_without_a_journal_are_swept(tmp_path: Path) -> None:
    save_state(tmp_path, _sample())
    stray = tmp_path / ".state.json.9.optout-watch-tmp"
    stray.write_text("half")
    assert load_state(tmp_path) == _sample()
    assert not stray.exists()


def test_a_relative_state_folder(run_folder: Path) -> None:
    tmp_path = run_folder
    save_state(Path("state"), _sample(), {"snapshots/host/a.txt": b"a\n"})
    assert load_state(Path("state")) == _sample()
    assert (tmp_path / "state" / "snapshots" / "host" / "a.txt").read_bytes() == b"a\n"
    assert sorted(p.name for p in (tmp_path / "state").rglob("*") if p.is_file()) == [
        "a.txt",
        "state.json",
    ]


def test_a_format_1_state_is_read_with_an_unknown_extractor(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"format_version": 1, "last_run": "t0"}\n')
    state = load_state(tmp_path)
    assert state.extractor is None
    assert state.last_run == "t0"
    save_state(tmp_path, State(last_run="t1", extractor="2+selectolax-1.0.0"))
    again = load_state(tmp_path)
    assert (again.format_version, again.extractor) == (
        STATE_FORMAT_VERSION,
        "2+selectolax-1.0.0",
    )


def test_a_format_2_state_is_read_and_a_missing_label_keeps_its_evidence(tmp_path: Path) -> None:
    labels = {"https://a.example/p": {"Old name": {"first_seen": "t0", "last_seen": "t0"}}}
    (tmp_path / STATE_FILE).write_text(
        json.dumps({"format_version": 2, "last_run": "t1", "labels": labels})
    )
    state = load_state(tmp_path)
    assert state.labels["https://a.example/p"]["Old name"] == LabelMemory(
        first_seen="t0", last_seen="t0"
    )
    evidence = RenameMemory(
        text="New name",
        score=0.71,
        why="replaced the label's line",
        url="https://a.example/p",
        seen_at="t1",
        old_line="Go to Old name.",
        new_line="Go to New name.",
    )
    memory = LabelMemory(first_seen="t0", last_seen="t0", evidence=evidence)
    save_state(tmp_path, State(labels={"https://a.example/p": {"Old name": memory}}))
    again = load_state(tmp_path)
    assert again.format_version == STATE_FORMAT_VERSION == 4
    assert again.labels["https://a.example/p"]["Old name"].evidence == evidence


def test_a_format_3_state_is_read_and_its_links_keep_their_validators(tmp_path: Path) -> None:
    links = {"https://a.example/p": {"etag": '"v1"'}}
    (tmp_path / STATE_FILE).write_text(
        json.dumps({"format_version": 3, "last_run": "t1", "links": links})
    )
    state = load_state(tmp_path)
    assert state.links["https://a.example/p"] == LinkMemory(etag='"v1"')
    failing = LinkMemory(etag='"v1"', failing_since="t2", last_worked="t1")
    save_state(tmp_path, State(links={"https://a.example/p": failing}))
    again = load_state(tmp_path)
    assert again.format_version == STATE_FORMAT_VERSION
    assert again.links["https://a.example/p"] == failing
