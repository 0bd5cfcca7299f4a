"""Snapshots on disk, diffs and added lines."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from optout_watch.storage.snapshots import (
    Snapshot,
    SnapshotMeta,
    SnapshotStore,
    text_sha256,
)
from optout_watch.storage.state import State, save_state
from tests.support.paths import FIXTURE_PAGES

PAGES = FIXTURE_PAGES
URL = "https://help.example.com/en/articles/7730893-data-controls-faq"
TEXT = "Data Controls FAQ\nTurn off “Improve the model for everyone”.\nActivité\n"


def meta_for(text: str, url: str = URL) -> SnapshotMeta:
    return SnapshotMeta(
        url=url,
        final_url=url,
        fetched_at="2025-03-02T02:00:00Z",
        etag='"abc123"',
        last_modified="Sun, 02 Mar 2025 01:00:00 GMT",
        sha256=text_sha256(text),
    )


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


class _Writer:
    """Stores snapshots the way the product does: the store's files in a state transaction."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store

    def write(self, url: str, text: str, meta: SnapshotMeta) -> None:
        state_dir = self.store.root.parent
        files = {
            path.relative_to(state_dir).as_posix(): content
            for path, content in self.store.files(url, text, meta).items()
        }
        save_state(state_dir, State(), files)


# --- file names --------------------------------------------------------------------------------


def test_path_is_readable_stable_and_under_the_host(store: SnapshotStore) -> None:
    path = store.path_for(URL)

    assert path.parent == store.root / "help.example.com"
    assert path.name.startswith("en-articles-7730893-data-controls-faq-")
    assert path.suffix == ".txt"
    assert store.path_for(URL) == path


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (URL, URL + "/"),
        ("https://support.example.com/answer?hl=fr", "https://support.example.com/answer?hl=en"),
        ("https://example.com/a-b", "https://example.com/a_b"),
        ("https://example.com/" + "x" * 200 + "1", "https://example.com/" + "x" * 200 + "2"),
    ],
)
def test_distinct_urls_get_distinct_files(store: SnapshotStore, first: str, second: str) -> None:
    assert store.path_for(first) != store.path_for(second)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@Example.COM:8443/",
        "https://example.com/%2E%2E/%2E%2E/etc/passwd",
        "https://../../x",
        "not a url at all",
        "https://example.com/activit%C3%A9?q=«x»",
    ],
)
def test_every_url_gets_a_safe_file_name_inside_the_store(store: SnapshotStore, url: str) -> None:
    path = store.path_for(url)

    assert path.resolve().is_relative_to(store.root.resolve())
    assert len(path.relative_to(store.root).parts) == 2
    assert "secret" not in str(path)
    assert path.name.isascii()


# --- reading and writing -----------------------------------------------------------------------


def test_snapshot_round_trips(store: SnapshotStore) -> None:
    meta = meta_for(TEXT)

    _Writer(store).write(URL, TEXT, meta)

    assert store.read(URL) == Snapshot(TEXT, meta)
    assert store.path_for(URL).read_bytes() == TEXT.encode("utf-8")


def test_meta_is_stable_json_beside_the_text(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))

    meta_path = store.path_for(URL).with_suffix(".meta.json")
    raw = meta_path.read_text(encoding="utf-8")
    assert raw.endswith("}\n")
    assert list(json.loads(raw)) == sorted(json.loads(raw))
    assert raw.startswith('{\n  "etag": "\\"abc123\\"",\n')


def test_writing_the_same_content_again_changes_no_byte(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    paths = [store.path_for(URL), store.path_for(URL).with_suffix(".meta.json")]
    before = [(path.read_bytes(), path.stat().st_mtime_ns) for path in paths]

    _Writer(store).write(URL, TEXT, meta_for(TEXT))

    assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in paths] == before
    assert sorted(p.name for p in paths[0].parent.iterdir()) == sorted(p.name for p in paths)


def test_a_changed_page_replaces_the_snapshot(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    changed = TEXT.replace("everyone", "all users")

    _Writer(store).write(URL, changed, dataclasses.replace(meta_for(changed), etag=None))

    snapshot = store.read(URL)
    assert snapshot is not None
    assert snapshot.text == changed
    assert snapshot.meta.etag is None


def test_the_extractor_is_kept_with_its_snapshot(store: SnapshotStore) -> None:
    meta = dataclasses.replace(meta_for(TEXT), extractor="2+selectolax-1.0.2")
    _Writer(store).write(URL, TEXT, meta)

    assert store.read(URL) == Snapshot(TEXT, meta)
    raw = store.path_for(URL).with_suffix(".meta.json").read_text(encoding="utf-8")
    assert '\n  "extractor": "2+selectolax-1.0.2",\n' in raw


def test_a_meta_written_before_extractors_were_recorded_has_none(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    meta_path = store.path_for(URL).with_suffix(".meta.json")
    fields = json.loads(meta_path.read_text(encoding="utf-8"))
    del fields["extractor"]
    meta_path.write_text(json.dumps(fields), encoding="utf-8")

    assert store.read(URL) == Snapshot(TEXT, meta_for(TEXT))
    assert meta_for(TEXT).extractor is None


def test_read_of_an_unknown_page_is_none(store: SnapshotStore) -> None:
    assert store.read(URL) is None


@pytest.mark.parametrize("meta_content", [None, b"{not json", b"[]", b'{"url": 1}', b"\xff\xfe"])
def test_unusable_meta_yields_a_meta_without_validators(
    store: SnapshotStore, meta_content: bytes | None
) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    meta_path = store.path_for(URL).with_suffix(".meta.json")
    if meta_content is None:
        meta_path.unlink()
    else:
        meta_path.write_bytes(meta_content)

    snapshot = store.read(URL)

    assert snapshot == Snapshot(TEXT, SnapshotMeta(URL, URL, "", None, None, text_sha256(TEXT)))


def test_meta_of_another_text_is_not_trusted(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    store.path_for(URL).write_text("Edited by hand\n", encoding="utf-8")

    snapshot = store.read(URL)

    assert snapshot is not None
    assert snapshot.text == "Edited by hand\n"
    assert (snapshot.meta.etag, snapshot.meta.last_modified) == (None, None)


def test_crlf_line_ends_from_a_checkout_are_read_as_lf(store: SnapshotStore) -> None:
    _Writer(store).write(URL, TEXT, meta_for(TEXT))
    path = store.path_for(URL)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    assert store.read(URL) == Snapshot(TEXT, meta_for(TEXT))


@pytest.mark.parametrize(
    "meta",
    [meta_for("other text\n"), meta_for(TEXT, url="https://help.example.com/other")],
)
def test_write_refuses_a_meta_about_something_else(
    store: SnapshotStore, meta: SnapshotMeta
) -> None:
    with pytest.raises(ValueError, match="snapshot meta"):
        _Writer(store).write(URL, TEXT, meta)

    assert not store.root.exists()


def test_files_lists_text_then_meta(store: SnapshotStore) -> None:
    files = store.files(URL, TEXT, meta_for(TEXT))

    assert list(files) == [store.path_for(URL), store.path_for(URL).with_suffix(".meta.json")]
    assert not store.root.exists()
