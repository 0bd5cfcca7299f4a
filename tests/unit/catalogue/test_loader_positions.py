"""The loader's compact positions against the plain dictionaries they replaced.

The reference below is the loader's builder as it was before positions were made compact,
copied verbatim: a `Position` for every value and every key, in dictionaries keyed by path.
Checks of values added since (tagged scalars, how tags are shown) call the loader's own.
Whatever the YAML, both must load the same data, locate every path (existing or not) at the
same place, and refuse a hazard with the same code, message and position.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from optout_watch.catalogue import loader
from optout_watch.catalogue.loader import (
    _CORE,
    _SCALAR_TAGS,
    MAX_DEPTH,
    JsonPath,
    LoadError,
    Position,
    _position,
    parse_document,
)
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, validate_files
from tests.support.paths import ROOT

CATALOGUE = ROOT / "catalogue"

# --- the reference, as it was ------------------------------------------------------------------


class ReferenceBuilder:
    def __init__(self) -> None:
        self.value_positions: dict[JsonPath, Position] = {}
        self.key_positions: dict[JsonPath, Position] = {}
        self._seen: dict[int, Position] = {}
        self._scalars = SafeConstructor()

    def build(self, node: Node, path: JsonPath = ()) -> Any:
        if len(path) > MAX_DEPTH:
            raise LoadError(
                "OW103",
                f"nesting deeper than {MAX_DEPTH} levels; flatten the structure",
                _position(node),
            )
        first = self._seen.get(id(node))
        if first is not None:
            raise LoadError(
                "OW106",
                f"alias to the anchor defined at line {first.line}: aliases are not allowed "
                "in the catalogue; write the value out in full",
                self.key_positions.get(path) or self.value_positions.get(path[:-1], first),
            )
        self._seen[id(node)] = _position(node)
        self.value_positions[path] = _position(node)
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise LoadError(
                    "OW105",
                    f"tag {loader._shown_tag(node.tag)!r} is not allowed; "
                    "remove it and write a plain value",
                    _position(node),
                )
            if node.tag != _CORE + "str":
                loader._require_core_form(node)
            return self._scalars.construct_object(node)
        if isinstance(node, SequenceNode):
            self._require_tag(node, "seq")
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self._require_tag(node, "map")
            return self._build_mapping(node, path)
        raise LoadError("OW103", "unsupported YAML node", _position(node))

    @staticmethod
    def _require_tag(node: Node, kind: str) -> None:
        if node.tag != _CORE + kind:
            raise LoadError(
                "OW105",
                f"tag {loader._shown_tag(node.tag)!r} is not allowed; remove it",
                _position(node),
            )

    def _build_mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise LoadError("OW103", "mapping keys must be plain words", _position(key_node))
            key = str(key_node.value)
            if key in first_lines:
                raise LoadError(
                    "OW104",
                    f"duplicate key {key!r} (first at line {first_lines[key]}); "
                    "keep one of the two",
                    _position(key_node),
                )
            first_lines[key] = key_node.start_mark.line + 1
            self.key_positions[(*path, key)] = _position(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


def reference_locate(builder: ReferenceBuilder, json_path: JsonPath, *, key: bool) -> Position:
    if key and json_path in builder.key_positions:
        return builder.key_positions[json_path]
    for end in range(len(json_path), -1, -1):
        found = builder.value_positions.get(json_path[:end])
        if found is not None:
            return found
    return Position(1, 1)


def reference_parse(raw: bytes) -> tuple[Any, ReferenceBuilder]:
    """The loader's `parse_document` as it was, with the reference builder (the steps before
    building are the loader's own: they did not change)."""
    _, node = loader._lines_and_node(raw, loader.MAX_BYTES)
    builder = ReferenceBuilder()
    return (builder.build(node) if node is not None else None), builder


def probes(paths: list[JsonPath]) -> list[JsonPath]:
    """Every path, and paths that go one step too far in every way."""
    found: list[JsonPath] = [(), ("missing",), (0,), (-1,), (True,)]
    for path in paths:
        found += [path, (*path, "missing"), (*path, 0), (*path, 1), (*path, 99), (*path, -1)]
        found += [(*path, True), (*path, "0"), (*path, "missing", 0)]
    return found


def assert_same(raw: bytes) -> None:
    try:
        expected, reference = reference_parse(raw)
    except LoadError as error:
        with pytest.raises(LoadError) as refused:
            parse_document(raw, Path("f.yaml"))
        assert (refused.value.code, refused.value.message, refused.value.position) == (
            error.code,
            error.message,
            error.position,
        )
        return
    except Exception as error:  # a crash of the reference (say, `!!int x`) must stay one
        with pytest.raises(type(error)) as crashed:
            parse_document(raw, Path("f.yaml"))
        assert str(crashed.value) == str(error)
        return
    document = parse_document(raw, Path("f.yaml"))
    assert document.data == expected
    values: Mapping[JsonPath, Position] = document.value_positions
    keys: Mapping[JsonPath, Position] = document.key_positions
    assert list(values.items()) == list(reference.value_positions.items())
    assert list(keys.items()) == list(reference.key_positions.items())
    assert len(values) == len(reference.value_positions)
    assert len(keys) == len(reference.key_positions)
    for path in probes(list(reference.value_positions)):
        for key in (False, True):
            assert document.locate(path, key=key) == reference_locate(reference, path, key=key), (
                path,
                key,
            )
        assert (path in values) == (path in reference.value_positions)
        assert (path in keys) == (path in reference.key_positions)


# --- random YAML -------------------------------------------------------------------------------

scalars = st.one_of(
    st.text(alphabet="ab é:-#'\"\n", max_size=6),
    st.integers(-300, 300),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["yes", "no", "2026-01-01", "1_000", "0x1F", "~", "", "true", "1.5e3"]),
)
keys = st.one_of(st.text(alphabet="abz-_ 1é", min_size=1, max_size=4), st.sampled_from(["1", "on"]))
data = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)
dumped = st.builds(
    lambda value, flow, indent: yaml.safe_dump(
        value, default_flow_style=flow, indent=indent, allow_unicode=True, sort_keys=False
    ),
    data,
    st.sampled_from([False, True, None]),
    st.sampled_from([2, 4]),
)
# fmt: off
PIECES = [
    "a: ", "b: ", "- ", "\n", "  ", "    ", "{", "}", "[", "]", ", ", "&x ", "*x", "&y ", "*y",
    "!!str ", "!!int ", "!!binary ", "!!map ", "!!seq ", "!local ", "? ", ": ", "'q'", '"q"',
    "|\n  x\n", "1", "0x10", "true", "~", "# c\n", "---\n", "a: 1\n", "a: 2\n", "\t", "é",
]
# fmt: on
pieced = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
texts = st.one_of(dumped, pieced, st.tuples(dumped, pieced).map("".join))


@settings(max_examples=300)
@given(texts)
@example("a:\n  - x\n  - y: 1\n    z: [2, 3]\n")
@example("a: &x [1, 2]\nb: *x\n")
@example("a: &x [1, 2]\nb: [1, *x]\n")
@example("a: 1\nb: 2\na: 3\n")
@example("[" * 70 + "]" * 70)
@example("")
@example("x")
@example("!!int 0x10")
@example("!!int true")  # refused where it stands, as every other malformed value
def test_yaml_is_loaded_and_located_as_before(text: str) -> None:
    assert_same(text.encode("utf-8"))


@pytest.mark.parametrize("path", sorted(CATALOGUE.glob("*.yaml")), ids=lambda path: path.stem)
def test_catalogue_files_are_loaded_and_located_as_before(path: Path) -> None:
    assert_same(path.read_bytes())


def test_documents_loaded_alike_are_equal() -> None:
    raw = (CATALOGUE / "openai-chatgpt.yaml").read_bytes()
    moved = raw.replace(b"\nid:", b"\n\nid:", 1)

    assert parse_document(raw, Path("f.yaml")) == parse_document(raw, Path("f.yaml"))
    assert parse_document(raw, Path("f.yaml"))._positions != (
        parse_document(moved, Path("f.yaml"))._positions
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_validation_leaves_the_garbage_collector_as_it_found_it(
    tmp_path: Path, enabled: bool
) -> None:
    path = tmp_path / "openai-chatgpt.yaml"
    path.write_bytes((CATALOGUE / "openai-chatgpt.yaml").read_bytes())
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        result = validate_files(
            [path], selection=Selection(), settings=RuleSettings(today=dt.date(2026, 12, 1))
        )
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
    assert [item.platform.id for item in result.platforms] == ["openai-chatgpt"]
