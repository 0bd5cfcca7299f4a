from __future__ import annotations

import pytest

from optout_watch.remap import RemapError, apply_remaps, parse_remap


def test_remap_rewrites_with_groups_in_order() -> None:
    remaps = [
        parse_remap(r"^https://([a-z.]+)/ http://127.0.0.1:8080/\1/"),
        parse_remap(r"/help\.example\.com/ /mirror/"),
    ]
    assert apply_remaps("https://help.example.com/a?b=1", remaps) == (
        "http://127.0.0.1:8080/mirror/a?b=1"
    )
    assert apply_remaps("ftp://x/", remaps) == "ftp://x/"


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("only-one-part", "expected 'REGEX REPLACEMENT'"),
        ("([a- x", "invalid regular expression"),
        (r"^https://(x) \2", "invalid replacement"),
    ],
)
def test_bad_remap_rules_are_explained(rule: str, fragment: str) -> None:
    with pytest.raises(RemapError, match=fragment):
        parse_remap(rule)
