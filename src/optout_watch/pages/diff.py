"""What changed between two texts of a page: the diff people read, and its counts.

The counts come from the whole comparison, never from the diff as shown (which a report may
cut short), so a page rewritten by 2,000 lines says so.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Replacement:
    """Lines of the old text and the lines that took their place."""

    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextChange:
    #: Unified diff, whole; "" when the texts are equal.
    diff: str
    lines_added: int
    lines_removed: int
    #: The lines of the new text that the change adds (inserted or replacing others), in order.
    added: tuple[str, ...]
    #: Each run of old lines replaced by new ones, in order.
    replaced: tuple[Replacement, ...] = ()
    #: The old lines removed with nothing in their place.
    deleted: tuple[str, ...] = ()


def compare(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> TextChange:
    """The change from `old` to `new`, line by line."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    # The same matching as `difflib.unified_diff`, so the counts agree with the diff shown.
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    added: list[str] = []
    replaced: list[Replacement] = []
    deleted: list[str] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation in {"replace", "insert"}:
            added += new_lines[new_start:new_end]
        if operation == "replace":
            replaced.append(
                Replacement(
                    tuple(old_lines[old_start:old_end]), tuple(new_lines[new_start:new_end])
                )
            )
        elif operation == "delete":
            deleted += old_lines[old_start:old_end]
    removed = len(deleted) + sum(len(block.old) for block in replaced)
    diff = unified_diff(old, new, old_label=old_label, new_label=new_label, context=context)
    return TextChange(diff, len(added), removed, tuple(added), tuple(replaced), tuple(deleted))


def unified_diff(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> str:
    """A unified diff of two texts, line by line; "" when they are equal."""
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=old_label,
        tofile=new_label,
        n=context,
        lineterm="",
    )
    return "".join(f"{line}\n" for line in lines)
