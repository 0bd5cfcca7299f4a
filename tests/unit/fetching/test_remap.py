from __future__ import annotations

import pytest

from optout_watch.fetching.remap import RemapError, apply_remaps, parse_remap, remapped_hosts


def test_the_first_matching_rule_wins_and_the_others_are_not_applied() -> None:
    remaps = [
        parse_remap(r"^https://([a-z.]+)/ http://127.0.0.1:8080/\1/"),
        parse_remap(r"/help\.example\.com/ /mirror/"),
    ]
    # Chained, the second rule would rewrite the first one's result to ".../mirror/a?b=1".
    assert apply_remaps("https://help.example.com/a?b=1", remaps) == (
        "http://127.0.0.1:8080/help.example.com/a?b=1"
    )
    assert apply_remaps("ftp://x/", remaps) == "ftp://x/"


def test_a_catch_all_rule_written_last_takes_only_what_the_others_left() -> None:
    remaps = [
        parse_remap(r"^https://help\.example\.com/(.*) http://127.0.0.1:8001/\1"),
        parse_remap(r"^https://(.*) http://127.0.0.2:8002/\1"),
    ]
    assert apply_remaps("https://help.example.com/a", remaps) == "http://127.0.0.1:8001/a"
    assert apply_remaps("https://other.example.org/b", remaps) == (
        "http://127.0.0.2:8002/other.example.org/b"
    )


def test_hosts_named_by_the_rules_are_those_of_remapped_urls_only() -> None:
    remaps = [parse_remap(r"^https://help\.example\.com/(.*) http://127.0.0.1:8001/\1")]
    urls = ["https://help.example.com/a", "https://www.example.org/"]
    assert remapped_hosts(urls, remaps) == frozenset({"127.0.0.1"})


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
