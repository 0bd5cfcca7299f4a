"""The change between two texts of a page: the diff, its counts and the added lines."""

from __future__ import annotations

from optout_watch.fetching.decode import decode_html
from optout_watch.pages.diff import compare, unified_diff
from optout_watch.pages.extract import extract_text
from tests.support.paths import FIXTURE_PAGES

PAGES = FIXTURE_PAGES


def added_lines(old: str, new: str) -> list[str]:
    return list(compare(old, new, old_label="old", new_label="new").added)


OLD = "Title\nOpen Settings\nTurn off Improve the model for everyone\nSave\n"
NEW = "Title\nOpen Settings\nTurn off Improve the model for all users\nSave\nDone\n"


def test_unified_diff_of_equal_texts_is_empty() -> None:
    assert unified_diff(OLD, OLD, old_label="a", new_label="b") == ""


def test_unified_diff_shows_removed_and_added_lines() -> None:
    diff = unified_diff(OLD, NEW, old_label="2025-03-01", new_label="2025-03-02", context=1)

    assert diff == (
        "--- 2025-03-01\n"
        "+++ 2025-03-02\n"
        "@@ -2,3 +2,4 @@\n"
        " Open Settings\n"
        "-Turn off Improve the model for everyone\n"
        "+Turn off Improve the model for all users\n"
        " Save\n"
        "+Done\n"
    )


def test_unified_diff_lines_always_end_with_a_newline() -> None:
    diff = unified_diff("a", "a\nb", old_label="old", new_label="new")

    assert diff == "--- old\n+++ new\n@@ -1 +1,2 @@\n a\n+b\n"


def test_added_lines_are_the_inserted_and_replacing_lines_in_order() -> None:
    assert added_lines(OLD, NEW) == ["Turn off Improve the model for all users", "Done"]
    assert added_lines(OLD, OLD) == []
    assert added_lines("", "one\ntwo\n") == ["one", "two"]
    assert added_lines(NEW, OLD) == ["Turn off Improve the model for everyone"]


def test_a_page_whose_only_change_is_an_ignored_date_yields_no_diff() -> None:
    html = decode_html((PAGES / "zendesk_article.html").read_bytes()).text
    later = html.replace("3 March 2025", "17 April 2025").replace("2025-03-03", "2025-04-17")
    assert later != html
    ignore = [r"Updated: \d{1,2} \w+ \d{4}"]

    before = extract_text(html, select="article", ignore=ignore)
    after = extract_text(later, select="article", ignore=ignore)

    assert unified_diff(before, after, old_label="before", new_label="after") == ""
    assert added_lines(before, after) == []
    assert (
        unified_diff(
            extract_text(html, select="article"),
            extract_text(later, select="article"),
            old_label="before",
            new_label="after",
        ).count("\n+Updated: 17 April 2025\n")
        == 1
    )


def test_counts_come_from_the_whole_comparison() -> None:
    old = "".join(f"old line {n}\n" for n in range(2_000))
    new = "".join(f"new line {n}\n" for n in range(2_000))

    change = compare(old, new, old_label="before", new_label="after")

    assert (change.lines_added, change.lines_removed) == (2_000, 2_000)
    assert change.diff.count("\n+new line") == 2_000


def test_counts_of_a_small_change() -> None:
    change = compare(OLD, NEW, old_label="a", new_label="b")

    assert (change.lines_added, change.lines_removed) == (2, 1)
    assert compare(OLD, OLD, old_label="a", new_label="b").diff == ""
