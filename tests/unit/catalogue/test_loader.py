"""The YAML loader: positions, and every hazard refused with a located message."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout_watch.catalogue.loader import (
    LoadError,
    Position,
    load_document,
    parse_document,
)


def test_positions_of_values_and_keys() -> None:
    document = parse_document(b"a:\n  - x\n  - y: 1\n    z: [2, 3]\n", Path("f.yaml"))
    assert document.data == {"a": ["x", {"y": 1, "z": [2, 3]}]}
    assert document.locate(("a", 1, "z", 1)) == Position(4, 12)
    assert document.locate(("a", 1, "z"), key=True) == Position(4, 5)
    # A missing path points at its nearest existing ancestor.
    assert document.locate(("a", 1, "missing")) == Position(3, 5)


def test_core_schema_keeps_dates_and_yes_no_as_strings() -> None:
    document = parse_document(b"d: 2026-01-01\nb: yes\nt: true\nn: ~\ni: 3\nf: 1.5\n", Path("f"))
    assert document.data == {"d": "2026-01-01", "b": "yes", "t": True, "n": None, "i": 3, "f": 1.5}


def test_byte_order_mark_is_accepted() -> None:
    assert parse_document(b"\xef\xbb\xbfa: 1\n", Path("f")).data == {"a": 1}


HAZARDS = [
    ("syntax", b"a: [1, 2\nb: 3\n", "OW103", Position(2, 2), "YAML syntax error"),
    ("duplicate key", b"a: 1\nb: 2\na: 3\n", "OW104", Position(3, 1), "duplicate key 'a'"),
    (
        "python tag",
        b"a: !!python/object/apply:os.system ['ls']\n",
        "OW105",
        Position(1, 4),
        "is not allowed",
    ),
    ("local tag", b"a: !secret x\n", "OW105", Position(1, 4), "'!secret' is not allowed"),
    ("alias", b"a: &x [1, 2]\nb: *x\n", "OW106", Position(2, 1), "aliases are not allowed"),
    (
        "alias bomb",
        b"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c]\n",
        "OW106",
        Position(2, 4),
        "aliases are not allowed",
    ),
    ("not utf-8", "a: café\n".encode("latin-1"), "OW101", Position(1, 7), "not UTF-8"),
    ("control character", b"a: \x00\n", "OW103", Position(1, 4), "U+0000 is not allowed"),
    ("tab indent", b"a:\n\tb: 1\n", "OW107", Position(2, 1), "tab used for indentation"),
    ("two documents", b"a: 1\n---\nb: 2\n", "OW103", Position(2, 1), "single document"),
    ("deep nesting", b"[" * 100 + b"]" * 100, "OW103", Position(1, 66), "nesting deeper"),
    ("int tag on a word", b"a: !!int true\n", "OW103", Position(1, 4), "!!int needs a whole"),
    ("int tag on nothing", b"a: !!int ''\n", "OW103", Position(1, 4), "not ''"),
    ("int tag in YAML 1.1 hex", b"a: !!int 0x1F\n", "OW103", Position(1, 4), "not '0x1F'"),
    ("float tag on a word", b"a: !!float x\n", "OW103", Position(1, 4), "!!float needs a number"),
    ("float tag on nan", b"a: [1, !!float .nan]\n", "OW103", Position(1, 8), "not '.nan'"),
    ("bool tag on maybe", b"a: !!bool maybe\n", "OW103", Position(1, 4), "true or false"),
    ("bool tag on yes", b"a:\n  b: {c: !!bool yes}\n", "OW103", Position(2, 10), "not 'yes'"),
    ("bool tag on a line", b'a: !!bool "true\\n"\n', "OW103", Position(1, 4), "!!bool needs"),
    ("null tag on a word", b"a:\n  - !!null x\n", "OW103", Position(2, 5), "!!null needs"),
    ("bad timestamp", b"a: !!timestamp 2026-13-45\n", "OW105", Position(1, 4), "'!!timestamp'"),
    ("odd timestamp", b"- !!timestamp 2026-02-30\n", "OW105", Position(1, 3), "is not allowed"),
    ("binary", b"a: !!binary '###'\n", "OW105", Position(1, 4), "'!!binary' is not allowed"),
]


@pytest.mark.parametrize(
    ("raw", "code", "position", "fragment"),
    [case[1:] for case in HAZARDS],
    ids=[case[0] for case in HAZARDS],
)
def test_hazard_is_refused_with_a_located_error(
    raw: bytes, code: str, position: Position, fragment: str
) -> None:
    with pytest.raises(LoadError) as caught:
        parse_document(raw, Path("f.yaml"))
    assert caught.value.code == code
    assert caught.value.position == position
    assert fragment in caught.value.message


def test_explicit_core_tags_on_values_written_as_that_type_are_accepted() -> None:
    raw = b"i: !!int -3\nf: !!float 1\ng: !!float 2.5e3\nb: !!bool false\nn: !!null\ns: !!str 4\n"
    document = parse_document(raw, Path("f.yaml"))
    assert document.data == {"i": -3, "f": 1.0, "g": 2500.0, "b": False, "n": None, "s": "4"}


# fmt: off
STANDARD_TAGS = [
    "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary", "!!merge",
    "!!value", "!!yaml", "!!set", "!!omap", "!!pairs", "!!seq", "!!map",
]
# fmt: on


@given(
    st.sampled_from(STANDARD_TAGS),
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["", "0x1F", "1_000", "0o7", "1:30", ".inf", "-.NaN", "yes", "~", "1e5"]),
    ),
    st.sampled_from(["a: {tag} {value}\n", "- {tag} {value}\n", "a:\n  b: [{tag} {value}]\n"]),
)
def test_a_standard_tag_on_any_scalar_loads_or_fails_with_a_located_error(
    tag: str, value: str, layout: str
) -> None:
    quoted = '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    raw = layout.format(tag=tag, value=quoted).encode("utf-8")
    try:
        parse_document(raw, Path("f.yaml"))
    except LoadError as error:
        assert error.code in {"OW103", "OW105"}
        assert error.position.line >= 1
        assert error.position.column >= 1


def test_oversized_file_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * 2_000_000 + b"\n")
    with pytest.raises(LoadError) as caught:
        load_document(path, max_bytes=1024 * 1024)
    assert caught.value.code == "OW102"
    assert caught.value.position == Position(1, 1)
    assert "2,000,004 bytes" in caught.value.message


@given(st.binary(max_size=300))
def test_arbitrary_bytes_load_or_fail_with_a_located_error(raw: bytes) -> None:
    try:
        parse_document(raw, Path("f.yaml"))
    except LoadError as error:
        assert error.code.startswith("OW1")
        assert error.position.line >= 1
        assert error.position.column >= 1


@given(st.text(max_size=200))
def test_arbitrary_text_loads_or_fails_with_a_located_error(text: str) -> None:
    try:
        parse_document(text.encode("utf-8"), Path("f.yaml"))
    except LoadError as error:
        assert error.code.startswith("OW1")
