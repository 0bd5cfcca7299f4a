"""Why a page text is suggested as a missing label's new name: its own light module, so that
the report can name the reason without loading the fuzzy matching."""

from __future__ import annotations

from enum import StrEnum


class Evidence(StrEnum):
    """Why a text is suggested as a missing label's new name, strongest first."""

    #: The diff put it where the label's line was.
    REPLACED = "replaced the label's line"
    #: A line of its own (a heading, a button, a list item…) new since the last snapshot.
    NEW_LINE = "a new line of its own on the page"
    #: Words of the page that read like the label, wherever they stand.
    PASSAGE = "a passage of the page like the label"
