"""YAML → plain JSON-like data, with the line and column of every node.

Catalogue files are edited by hand and arrive in pull requests from strangers, so this loader
is deliberately narrower than `yaml.safe_load`:

- only the JSON-compatible core of YAML: strings, integers, floats, `true`/`false`, `null`,
  mappings and sequences. Dates stay strings (as editors see them) and `yes`/`no`/`on`/`off`
  stay strings (YAML 1.2 behaviour), so the CLI and an editor using the JSON Schema agree;
- explicit tags other than the core ones are refused, and so are aliases (no alias bombs);
  a core tag must tag a value written as that type (`!!int 3`, never `!!int true`);
- duplicate keys are refused (PyYAML keeps the last one silently);
- files must be UTF-8, indented with spaces, and at most `max_bytes` long.

Every refusal is a `LoadError` with a stable code, a 1-based line and column, and a message that
says how to fix it.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
import yaml.reader
from yaml._yaml import CParser
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MAX_BYTES = 1024 * 1024
#: Deeper nesting than any catalogue needs; bounds recursion on hostile input.
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null")}
_STR = _CORE + "str"


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


class LoadError(Exception):
    """A file that cannot be turned into data; `code` is a stable rule code (OW1xx)."""

    def __init__(self, code: str, message: str, position: Position) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


class _Positions:
    """Where each value and each mapping key of a document stands, kept small: loading a
    catalogue records a position for every node of every file, and most are never asked for.

    Nodes are numbered in document order. `_at` holds four numbers per node: the line and
    column of the value, then of its key when it is a mapping member (0, 0 otherwise).
    `_children` gives, for each mapping or sequence node, the numbers of its members by key
    or by index. Positions are made into `Position` objects only when asked for.
    """

    __slots__ = ("_at", "_children")

    def __init__(self, at: array[int], children: dict[int, dict[str, int] | tuple[int, ...]]):
        self._at = at
        self._children = children

    def __eq__(self, other: object) -> bool:  # as the tables of positions they stand for
        if not isinstance(other, _Positions):
            return NotImplemented
        return self._at == other._at and self._children == other._children

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<positions of {len(self._at) // 4} nodes>"

    def value(self, node: int) -> Position:
        return Position(self._at[4 * node], self._at[4 * node + 1])

    def key(self, node: int) -> Position | None:
        line = self._at[4 * node + 2]
        return Position(line, self._at[4 * node + 3]) if line else None

    def find(self, json_path: JsonPath) -> tuple[int, int]:
        """The node at the longest prefix of `json_path` that exists (-1 for an empty
        document), and how many steps of `json_path` that prefix has."""
        if not self._at:
            return -1, 0
        node = 0
        for steps, step in enumerate(json_path):
            children = self._children.get(node)
            if isinstance(children, dict):
                child = children.get(step) if isinstance(step, str) else None
            elif children is not None and isinstance(step, int) and 0 <= step < len(children):
                child = children[step]
            else:
                child = None
            if child is None:
                return node, steps
            node = child
        return node, len(json_path)

    def paths(self, node: int = 0, path: JsonPath = ()) -> Iterator[tuple[JsonPath, int]]:
        """Every node under `node` with its path, in document order."""
        if not self._at:
            return
        yield path, node
        children = self._children.get(node)
        members = children.items() if isinstance(children, dict) else enumerate(children or ())
        for step, child in members:
            yield from self.paths(child, (*path, step))


class _PositionView(Mapping[JsonPath, Position]):
    """`Document.value_positions` or `key_positions`, read from `_Positions` on demand."""

    def __init__(self, positions: _Positions, *, keys: bool) -> None:
        self._positions = positions
        self._keys = keys

    def __getitem__(self, json_path: JsonPath) -> Position:
        node, steps = self._positions.find(json_path)
        if node >= 0 and steps == len(json_path):
            found = self._positions.key(node) if self._keys else self._positions.value(node)
            if found is not None:
                return found
        raise KeyError(json_path)

    def __iter__(self) -> Iterator[JsonPath]:
        for path, node in self._positions.paths():
            if not self._keys or self._positions.key(node) is not None:
                yield path

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded YAML file: its data and where each value and each key stands."""

    path: Path
    data: Any
    lines: tuple[str, ...]
    _positions: _Positions

    @property
    def value_positions(self) -> Mapping[JsonPath, Position]:
        """Where each value stands, by path (computed on demand: prefer `locate`)."""
        return _PositionView(self._positions, keys=False)

    @property
    def key_positions(self) -> Mapping[JsonPath, Position]:
        """Where the key of each mapping member stands, by path (computed on demand)."""
        return _PositionView(self._positions, keys=True)

    def locate(self, json_path: JsonPath, *, key: bool = False) -> Position:
        """Where `json_path` stands; for a path that does not exist (a missing key), the
        nearest existing ancestor. `key=True` points at a mapping member's key."""
        node, steps = self._positions.find(json_path)
        if node < 0:
            return Position(1, 1)
        if key and steps == len(json_path):
            found = self._positions.key(node)
            if found is not None:
                return found
        return self._positions.value(node)


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: no timestamps, no yes/no booleans, no merge keys."""


@dataclass(frozen=True, slots=True)
class _CoreScalar:
    """How a value of one core scalar tag is written, whether the tag is implicit or explicit
    (`!!int 3`), and how the fix is worded when an explicit tag's value is not written so."""

    pattern: re.Pattern[str]
    first_characters: list[str]
    expected: str


_CORE_SCALARS = {
    _CORE + "bool": _CoreScalar(
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"), "true or false"
    ),
    _CORE + "int": _CoreScalar(
        re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"), "a whole number such as 3"
    ),
    _CORE + "float": _CoreScalar(
        re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
        list("-+0123456789."),
        "a number such as 1.5",
    ),
    _CORE + "null": _CoreScalar(
        re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""], "null, ~ or nothing"
    ),
}
for _tag, _scalar in _CORE_SCALARS.items():
    _CoreResolver.add_implicit_resolver(_tag, _scalar.pattern, _scalar.first_characters)


class _PyComposer(Reader, Scanner, Parser, Composer, _CoreResolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)


class _LibYamlComposer(CParser, _CoreResolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _CoreResolver.__init__(self)


def _composer(text: str) -> _PyComposer | _LibYamlComposer:
    # libyaml's parser is several times faster; positions and resolution behave the same.
    return _LibYamlComposer(text) if yaml.__with_libyaml__ else _PyComposer(text)


def compose(text: str) -> Node | None:
    """The node tree of `text`, every node with its start and end (offsets in characters),
    as `parse_document` reads it: what an edit reads is what validation reads. Raises
    `yaml.YAMLError` (`yaml.reader.ReaderError` for a character YAML does not allow)."""
    composer = _composer(text)
    try:
        return composer.get_single_node()
    finally:
        composer.dispose()


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _require_core_form(node: ScalarNode) -> None:
    """Refuse an explicit tag whose value is not written as the core schema writes that type
    (`!!int true`, `!!float x`, `!!null x`): PyYAML's constructor would raise on some, follow
    YAML 1.1 on others (`!!bool yes`, `!!int 0x1F`) and turn any `!!null` into null."""
    scalar = _CORE_SCALARS[node.tag]
    if not scalar.pattern.fullmatch(node.value):
        tag = _shown_tag(node.tag)
        raise LoadError(
            "OW103",
            f"{tag} needs {scalar.expected}, not {node.value!r}; correct the value, "
            f"or remove {tag} to keep it as text",
            _position(node),
        )


def _shown_tag(tag: str) -> str:
    """A tag as it is written in the file: `!!int` rather than `tag:yaml.org,2002:int`."""
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


class _Builder:
    """Turns a composed node tree into data, recording positions and refusing hazards."""

    def __init__(self) -> None:
        self.at = array("I")  # see `_Positions`
        self.children: dict[int, dict[str, int] | tuple[int, ...]] = {}
        self._seen: dict[int, int] = {}  # id() of each node built -> its number
        self._scalars = SafeConstructor()

    def positions(self) -> _Positions:
        return _Positions(self.at, self.children)

    def build(self, node: Node, depth: int = 0, key: Node | None = None, parent: int = -1) -> Any:
        """The data of `node`, `depth` levels down, the value of `key` in the mapping or the
        item of the sequence that is node number `parent`."""
        if depth > MAX_DEPTH:
            raise LoadError(
                "OW103",
                f"nesting deeper than {MAX_DEPTH} levels; flatten the structure",
                _position(node),
            )
        first = self._seen.get(id(node))
        if first is not None:
            # The composer hands back the anchored node itself for an alias.
            raise LoadError(
                "OW106",
                f"alias to the anchor defined at line {self.at[4 * first]}: aliases are not "
                "allowed in the catalogue; write the value out in full",
                # Where the alias is used: its key, or else the collection holding it.
                _position(key) if key is not None else self.positions().value(parent),
            )
        number = self._seen[id(node)] = len(self.at) // 4
        mark = node.start_mark
        if key is None:
            self.at.extend((mark.line + 1, mark.column + 1, 0, 0))
        else:
            key_mark = key.start_mark
            self.at.extend((mark.line + 1, mark.column + 1, key_mark.line + 1, key_mark.column + 1))
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise LoadError(
                    "OW105",
                    f"tag {_shown_tag(node.tag)!r} is not allowed; "
                    "remove it and write a plain value",
                    _position(node),
                )
            if node.tag == _STR:
                return node.value  # what the constructor would do, without its bookkeeping
            _require_core_form(node)
            return self._scalars.construct_object(node)
        if isinstance(node, SequenceNode):
            self._require_tag(node, "seq")
            items, numbers = [], []
            for item in node.value:
                numbers.append(len(self.at) // 4)
                items.append(self.build(item, depth + 1, None, number))
            self.children[number] = tuple(numbers)
            return items
        if isinstance(node, MappingNode):
            self._require_tag(node, "map")
            return self._build_mapping(node, depth, number)
        raise LoadError("OW103", "unsupported YAML node", _position(node))  # pragma: no cover

    @staticmethod
    def _require_tag(node: Node, kind: str) -> None:
        if node.tag != _CORE + kind:
            raise LoadError(
                "OW105",
                f"tag {_shown_tag(node.tag)!r} is not allowed; remove it",
                _position(node),
            )

    def _build_mapping(self, node: MappingNode, depth: int, number: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        members: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise LoadError("OW103", "mapping keys must be plain words", _position(key_node))
            key = str(key_node.value)
            if key in members:
                raise LoadError(
                    "OW104",
                    f"duplicate key {key!r} (first at line {self.at[4 * members[key] + 2]}); "
                    "keep one of the two",
                    _position(key_node),
                )
            members[key] = len(self.at) // 4
            result[key] = self.build(value_node, depth + 1, key_node, number)
        self.children[number] = members
        return result


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            "OW101",
            f"not UTF-8: byte 0x{raw[error.start]:02X} cannot be decoded; save the file as UTF-8",
            Position(line, column),
        ) from None
    return text.removeprefix("\ufeff")


def _refuse_tab_indentation(lines: tuple[str, ...]) -> None:
    for number, line in enumerate(lines, start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise LoadError(
                "OW107",
                "tab used for indentation; YAML needs spaces: replace the tab with spaces",
                Position(number, indent.index("\t") + 1),
            )


def _too_large(size: int, max_bytes: int) -> LoadError:
    return LoadError(
        "OW102",
        f"file is {size:,} bytes, over the limit of {max_bytes:,}; split it or trim it",
        Position(1, 1),
    )


def parse_document(raw: bytes, path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Parse the bytes of one catalogue file; raises `LoadError`."""
    lines, node = _lines_and_node(raw, max_bytes)
    builder = _Builder()
    data = builder.build(node) if node is not None else None
    return Document(path=path, data=data, lines=lines, _positions=builder.positions())


def _lines_and_node(raw: bytes, max_bytes: int) -> tuple[tuple[str, ...], Node | None]:
    """The lines of one catalogue file and its node tree; raises a located `LoadError`."""
    if len(raw) > max_bytes:
        raise _too_large(len(raw), max_bytes)
    text = _decode(raw)
    lines = tuple(text.splitlines())
    _refuse_tab_indentation(lines)
    try:
        node = compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise LoadError("OW103", f"YAML syntax error: {problem}", position) from None
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        position = Position(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        raise LoadError(
            "OW103",
            f"character U+{error.character:04X} is not allowed in YAML; remove it",
            position,
        ) from None
    return lines, node


def load_document(path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read and parse one file; the size is checked before the whole file is read."""
    with path.open("rb") as stream:
        raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _too_large(path.stat().st_size, max_bytes)
    return parse_document(raw, path, max_bytes=max_bytes)
