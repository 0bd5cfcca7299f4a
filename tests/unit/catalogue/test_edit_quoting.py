"""A value written by `fix` reads back as the very same string, whatever it holds, in every
YAML reader around: PyYAML's pure-Python and libyaml loaders (YAML 1.1) and the catalogue's
own loader (YAML 1.2 core). What other readers would take for another type is quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from optout_watch.catalogue.edit import EditError, apply_edits, compose, quote_like, replace_scalar
from optout_watch.catalogue.loader import parse_document

STYLES = [None, "'", '"']

# Characters YAML gives a meaning to, mixed with words and numbers it may read as other types.
yamlish = st.text(
    alphabet=st.sampled_from(list(" \t:#-?,[]{}&*!|>'\"%@`<=~\\/.+_0123456789xobeEyYnNlu\u00a0")),
    max_size=12,
)
labels = st.one_of(st.text(), yamlish).filter(lambda value: "\n" not in value)


def _read_back(document: str) -> list[object]:
    """The value of `k` in `document`, as each reader reads it."""
    return [
        yaml.load(document, Loader=yaml.SafeLoader)["k"],
        yaml.load(document, Loader=yaml.CSafeLoader)["k"],
        parse_document(document.encode("utf-8"), Path("k.yaml")).data["k"],
    ]


@settings(max_examples=400)
@given(labels, st.sampled_from(STYLES), st.booleans())
@example("a\tb", None, False)
@example("0o17", None, True)
def test_every_value_reads_back_as_itself_in_every_reader(
    value: str, style: str | None, flow: bool
) -> None:
    scalar = quote_like(value, style, flow=flow)
    if flow:
        assert _read_back(f"k: [{scalar}, z]\n") == [[value, "z"]] * 3
    else:
        assert _read_back(f"k: {scalar}\n") == [value] * 3


AMBIGUOUS = [
    "a\tb", "=", "<<", "0x1F", "0o17", "017", "0b101", "yes", "no", "on", "off", "y", "n", "Y",
    "N", "True", "FALSE", "~", "null", "Null", "", "1_000", ".inf", "-.inf", ".NaN", "1e3",
    "1.5", "+12", "1:20", "190:20:30", "2026-01-01", "2026-01-01 10:00:00", " lead", "trail ",
    "#", "a #b", "a: b", "a:", "-x", "?x", ":x", ",x", "[x", "]x", "{x", "}x", "#x", "&x", "*x",
    "!x", "|x", ">x", "'x", '"x', "%x", "@x", "`x", "- x", "--- x", "... x", "x\u2028y", "x\x85y",
    "\ufeffx", "x\x7f", "x\x00y",
]  # fmt: skip


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_what_a_reader_could_take_for_another_type_is_double_quoted(value: str) -> None:
    scalar = quote_like(value, None, flow=False)
    assert scalar.startswith('"')
    assert _read_back(f"k: {scalar}\n") == [value] * 3


@pytest.mark.parametrize(
    "value",
    [
        "Improve the model for everyone",
        "Paramètres",
        "https://help.example.com/en/articles/42-data-controls?hl=en#top",
        "replaced the label's line",
        "Go to “Data Controls”, then “Improve the model”.",
    ],
)
def test_ordinary_words_stay_plain(value: str) -> None:
    assert quote_like(value, None, flow=False) == value


def test_a_tab_is_escaped_even_where_the_author_single_quoted() -> None:
    assert quote_like("a\tb", "'", flow=False) == '"a\\tb"'


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(EditError, match="not text"):
        quote_like("a\ud800", None, flow=False)


def test_an_edited_file_is_read_with_the_loader_of_validate() -> None:
    """libyaml, as `validate` uses it, reads a plain tab that PyYAML's pure-Python scanner
    refuses: the edit reads what validation reads, and writes the new value escaped."""
    text = "k: a\tb  # an author's tab\n"
    edit = replace_scalar(text, compose(text), ("k",), "a\tb", "c\td")
    assert apply_edits(text, [edit]) == 'k: "c\\td"  # an author\'s tab\n'


def test_a_question_mark_in_a_flow_list_is_quoted() -> None:
    # PyYAML's pure-Python reader ends a plain scalar at `?` inside `[...]`.
    scalar = quote_like("A?", None, flow=True)
    assert scalar == '"A?"'
    assert _read_back(f"k: [{scalar}, z]\n") == [["A?", "z"]] * 3
    assert quote_like("A?", None, flow=False) == "A?"
