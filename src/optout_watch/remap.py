"""`--remap 'REGEX REPLACEMENT'`: fetch a URL somewhere else (a mirror, an archive, a test
server) while reports keep the catalogue's URL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


class RemapError(ValueError):
    """A remap rule that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Remap:
    pattern: re.Pattern[str]
    replacement: str


def parse_remap(rule: str) -> Remap:
    """Parse `'REGEX REPLACEMENT'` (split at the last white space, as the regex may not
    contain unescaped spaces but a replacement never needs one)."""
    parts = rule.strip().rsplit(None, 1)
    if len(parts) != 2:
        raise RemapError(f"--remap {rule!r}: expected 'REGEX REPLACEMENT'")
    try:
        pattern = re.compile(parts[0])
    except re.error as error:
        raise RemapError(f"--remap {rule!r}: invalid regular expression: {error}") from None
    try:
        pattern.sub(parts[1], "")  # the replacement is parsed even when nothing matches
    except (re.error, IndexError) as error:
        raise RemapError(f"--remap {rule!r}: invalid replacement: {error}") from None
    return Remap(pattern, parts[1])


def apply_remaps(url: str, remaps: Sequence[Remap]) -> str:
    """Every rule in order, each applied to the result of the one before."""
    for remap in remaps:
        url = remap.pattern.sub(remap.replacement, url)
    return url
