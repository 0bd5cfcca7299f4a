from __future__ import annotations

from pathlib import Path

from optout_watch.catalogue.loader import parse_document
from optout_watch.catalogue.models import Platform
from optout_watch.catalogue.targets import CataloguePlatform, collect_targets
from tests.support.catalogue import platform_yaml, valid_platform


def _platform(data: dict[str, object], name: str) -> CataloguePlatform:
    document = parse_document(platform_yaml(data).encode(), Path(name))
    return CataloguePlatform(Platform.model_validate(document.data), document, name)


def _last_line_of(text: str, fragment: str) -> int:
    """The last line holding `fragment` alone (a watch's `expect` ends the file)."""
    return max(n for n, line in enumerate(text.splitlines(), 1) if line.strip() == fragment)


def test_distinct_urls_with_every_use_and_watch_lines() -> None:
    first = valid_platform()
    second = valid_platform()
    second["id"] = "other-chat"
    second["links"][0]["kind"] = "settings"
    second["links"][0]["watch"]["expect"] = ["Privacy", "Data Controls"]
    targets = collect_targets([_platform(first, "a.yaml"), _platform(second, "b.yaml")])
    assert [t.url for t in targets] == [
        "https://help.example.com/articles/1-privacy",
        "https://www.cnil.fr/fr/guide",
    ]
    page, source = targets
    assert page.platforms == ("example-chat", "other-chat")
    assert [(u.file, u.entry) for u in page.uses] == [("a.yaml", "help"), ("b.yaml", "help")]
    assert page.sign_in_expected is True  # one of its uses is a settings link
    assert page.watch is not None
    # The union of the labels, each located in the file that expects it.
    assert [(e.text, e.platform, e.file) for e in page.watch.expect] == [
        ("Privacy", "example-chat", "a.yaml"),
        ("Data Controls", "other-chat", "b.yaml"),
    ]
    privacy_line = _last_line_of(platform_yaml(first), "- Privacy")
    data_controls_line = _last_line_of(platform_yaml(second), "- Data Controls")
    assert [e.line for e in page.watch.expect] == [privacy_line, data_controls_line]
    assert page.lang == "en"
    assert source.lang is None
    assert [u.entry for u in source.uses] == ["source", "source"]
    assert source.uses[0].line == 9
