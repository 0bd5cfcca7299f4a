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
from tests.support.catalogue import HAZARDS


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
