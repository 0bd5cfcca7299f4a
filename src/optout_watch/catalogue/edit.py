"""Byte-preserving edits of a catalogue file: replace one scalar, append one entry to a block.

A catalogue file is edited by hand: its comments, key order, quoting and line breaks are the
author's, and a machine's edit must leave all of them as they were. So the file is never
dumped again. The text is composed (not constructed) by the loader `validate` uses, which
keeps the start and end of every node; an edit replaces exactly the characters of one scalar,
re-quoted the way the author quoted it where that is safe, or inserts lines at the end of one
block mapping or block sequence. A value is written so that every YAML reader, 1.1 or 1.2,
reads it back as the same string.

Every function is pure: text in, text (or an `Edit`) out. `EditError` says why a value cannot
be edited safely (a flow mapping, a block scalar, a multi-line value); the caller then leaves
the file alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from optout_watch.catalogue import loader
from optout_watch.report.safe_markdown import one_line

JsonPath = tuple[str | int, ...]

#: A value written plain must match this: a letter first, then letters, digits, spaces and
#: punctuation that no YAML reader takes for syntax there, and no space or `:` last. The rest
#: is quoted: an allow-list, because YAML 1.1 readers take for other types much that YAML 1.2
#: readers take for text (`0o17`, `1_000`, `1:20`, `2026-01-01`, `=`, `<<`, `yes`...). With a
#: letter first, only the words below would still be read as something else.
_PLAIN_INSIDE = r"\w\-.,;/()+&?!=%~*@#'’‘“”«»–—…"
_PLAIN = re.compile(rf"[^\W\d_](?:[{_PLAIN_INSIDE} :\u00a0\u202f]*[{_PLAIN_INSIDE}])?")
_NOT_A_STRING = re.compile(
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL"
)
#: What ends or breaks a plain scalar in a flow collection (`[a, b]`); PyYAML's pure-Python
#: reader also ends it at `?`, anywhere in it.
_FLOW_INDICATORS = frozenset(",:?[]{}#")
#: What may stand as it is between quotes: YAML's printable characters, less the tab, line
#: breaks (U+0085, U+2028, U+2029) and the byte order mark, which readers treat apart.
_AS_IS = r"\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_SINGLE_QUOTABLE = re.compile(f"[{_AS_IS}]*")
_TO_ESCAPE = re.compile(f'[^{_AS_IS}]|["\\\\]')
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}
_SURROGATES = re.compile(r"[\ud800-\udfff]")


class EditError(Exception):
    """A value that cannot be edited without touching more than itself."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the characters `start:end` of the text by `text`."""

    start: int
    end: int
    text: str


def compose(text: str) -> Node:
    """The file's node tree, read by the loader of `validate`."""
    try:
        root = loader.compose(text)
    except yaml.YAMLError as error:
        raise EditError(f"the file is not valid YAML: {one_line(str(error))}") from None
    if root is None:
        raise EditError("the file is empty")
    return root


def node_at(root: Node, path: JsonPath) -> Node:
    node = root
    for step in path:
        if isinstance(node, MappingNode) and isinstance(step, str):
            found = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, SequenceNode) and isinstance(step, int):
            found = node.value[step] if 0 <= step < len(node.value) else None
        else:
            found = None
        if found is None:
            raise EditError(f"nothing at {format_path(path)}")
        node = found
    return node


def format_path(path: JsonPath) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)[1:] or "."


def _in_flow(text: str, node: Node) -> bool:
    """Whether the scalar stands in a flow collection (`[a, b]`): then `,` `]` end it."""
    line_start = text.rfind("\n", 0, node.start_mark.index) + 1
    before = text[line_start : node.start_mark.index].rstrip()
    return before.endswith(("[", ",", "{"))


def _can_be_plain(value: str, *, flow: bool) -> bool:
    return bool(
        _PLAIN.fullmatch(value)
        and ": " not in value
        and " #" not in value
        and not _NOT_A_STRING.fullmatch(value)
        and not (flow and _FLOW_INDICATORS & set(value))
    )


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"


def quote_like(value: str, style: str | None, *, flow: bool) -> str:
    """`value` as a YAML scalar of the given style (None: plain, `'`, `"`) that every YAML
    reader reads back as this very string: a value that cannot be plain, or single-quoted,
    is double-quoted, with escapes for what cannot stand as it is."""
    if "\n" in value:
        raise EditError("a label or address never spans lines")
    if _SURROGATES.search(value):
        raise EditError("the value holds characters that are not text (lone surrogates)")
    if style == "'" and _SINGLE_QUOTABLE.fullmatch(value):
        return "'" + value.replace("'", "''") + "'"
    if style is None and _can_be_plain(value, flow=flow):
        return value
    return '"' + _TO_ESCAPE.sub(_escape, value) + '"'


def replace_scalar(text: str, root: Node, path: JsonPath, old: str, new: str) -> Edit:
    """The edit that turns the string `old` at `path` into `new`, quoted as it was."""
    node = node_at(root, path)
    if not isinstance(node, ScalarNode):
        raise EditError(f"{format_path(path)} is not a single value")
    if node.value != old:
        raise EditError(f"{format_path(path)} holds {node.value!r}, not {old!r}")
    style = node.style or None  # libyaml says "" for plain
    if style not in (None, "'", '"'):
        raise EditError(f"{format_path(path)} is a block scalar (| or >); edit it by hand")
    if node.start_mark.line != node.end_mark.line:
        raise EditError(f"{format_path(path)} spans several lines; edit it by hand")
    flow = _in_flow(text, node)
    return Edit(node.start_mark.index, node.end_mark.index, quote_like(new, style, flow=flow))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [match.end() for match in re.finditer("\n", text)]
    return starts


def _block_end(text: str, first_line: int, column: int, *, sequence: bool) -> int:
    """The offset just after the last line of the block whose members start at `column`
    (0-based) from line `first_line` (0-based): the block ends before the first content line
    indented less, or (for a sequence at its parent's indentation) not starting with `-`."""
    lines = text.split("\n")
    starts = _line_starts(text)
    last = first_line
    for number in range(first_line + 1, len(lines)):
        line = lines[number]
        if not _is_content(line):
            continue
        indent = _indent(line)
        if indent < column or (sequence and indent == column and not line.lstrip().startswith("-")):
            break
        last = number
    end = starts[last] + len(lines[last])
    return end + 1 if end < len(text) else end


def render_block(entries: Mapping[str, object], indent: int) -> list[str]:
    """A mapping as block lines at `indent`, nested mappings indented by two more."""
    lines = []
    for key, value in entries.items():
        if isinstance(value, Mapping):
            lines.append(" " * indent + f"{key}:")
            lines += render_block(value, indent + 2)
        else:
            lines.append(" " * indent + f"{key}: {_render_value(value)}")
    return lines


def _render_value(value: object) -> str:
    if isinstance(value, bool) or value is None:
        raise EditError("only strings, numbers and dates are written")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, PlainScalar):
        return value.text
    return quote_like(str(value), None, flow=False)


@dataclass(frozen=True, slots=True)
class PlainScalar:
    """A value written as is (a date: `2026-12-01`)."""

    text: str


def append_to_list(text: str, root: Node, mapping_path: JsonPath, key: str,
                   entry: Mapping[str, object]) -> Edit:  # fmt: skip
    """The edit that appends `entry` to the block list `key` of the block mapping at
    `mapping_path`, creating the key at the mapping's end when it is absent."""
    mapping = node_at(root, mapping_path)
    if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value:
        raise EditError(f"{format_path(mapping_path)} is not a block mapping; edit it by hand")
    member = next((v for k, v in mapping.value if k.value == key), None)
    if member is None:
        column = mapping.value[0][0].start_mark.column
        end = _block_end(text, mapping.start_mark.line, column, sequence=False)
        lines = [" " * column + f"{key}:"]
        first, *rest = render_block(entry, column + 4)
        lines.append(" " * (column + 2) + "- " + first.lstrip())
        lines += rest
    else:
        if not isinstance(member, SequenceNode) or member.flow_style or not member.value:
            raise EditError(f"{format_path((*mapping_path, key))} is not a block list")
        item = member.value[0]
        dash_line = text.split("\n")[item.start_mark.line]
        dash = dash_line.rfind("-", 0, item.start_mark.column)
        if dash < 0:
            raise EditError(f"{format_path((*mapping_path, key))}: cannot find its first item")
        end = _block_end(text, member.start_mark.line, dash, sequence=True)
        first, *rest = render_block(entry, item.start_mark.column)
        lines = [" " * dash + "-" + " " * (item.start_mark.column - dash - 1) + first.lstrip()]
        lines += rest
    block = "\n".join(lines) + "\n"
    if end == len(text) and not text.endswith("\n"):
        block = "\n" + block.removesuffix("\n")
    return Edit(end, end, block)


def prepend_to_mapping(
    text: str, root: Node, mapping_path: JsonPath, entries: Mapping[str, str | Sequence[str]]
) -> Edit:
    """The edit that writes `entries` (strings, or lists of strings as block lists) as the
    first keys of the block mapping at `mapping_path`, at its keys' indentation."""
    mapping = node_at(root, mapping_path)
    if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value:
        raise EditError(f"{format_path(mapping_path)} is not a block mapping; edit it by hand")
    first = mapping.value[0][0].start_mark
    start = _line_starts(text)[first.line]
    if text[start : start + first.column].strip():
        raise EditError(f"{format_path(mapping_path)} does not start on a line of its own")
    indent = " " * first.column
    lines = []
    for key, value in entries.items():
        if isinstance(value, str):
            lines.append(f"{indent}{key}: {_render_value(value)}")
        else:
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  - {_render_value(item)}" for item in value]
    return Edit(start, start, "\n".join(lines) + "\n")


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with every edit made; edits may not overlap (insertions at one point keep their
    order)."""
    ordered: Sequence[Edit] = sorted(edits, key=lambda edit: (edit.start, edit.end))
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise EditError("two edits of one value")
        pieces += [text[position : edit.start], edit.text]
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)
