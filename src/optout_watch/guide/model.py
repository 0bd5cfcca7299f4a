"""The guide's view of a platform: what its pages show, in one language, as plain data.

`view` builds it from the catalogue (and a report); `html` and `markdown` write it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from optout_watch.guide.label_checks import NOT_WATCHED, LabelStatus

NoteKind = Literal["ok", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a step's text: plain text, or an interface label as the screen shows it."""

    text: str
    label: bool = False


@dataclass(frozen=True, slots=True)
class UiLabel:
    text: str
    #: Whether a watched page checks it, when that page last showed it, whether it was missed.
    check: LabelStatus = NOT_WATCHED


@dataclass(frozen=True, slots=True)
class GuideLink:
    url: str
    #: In the reader's language.
    name: str
    lang: str
    #: `in English` when the page is not in the reader's language, else None.
    language_note: str | None


@dataclass(frozen=True, slots=True)
class StepNote:
    """`“Vibe” was formerly “Le Chat”; noted on 3 September 2026 on <source>`."""

    text: str
    source: GuideLink | None


@dataclass(frozen=True, slots=True)
class GuideStep:
    segments: tuple[Segment, ...]
    labels: tuple[UiLabel, ...]
    #: The labels the text does not quote: shown after it, "On screen: …".
    unquoted: tuple[UiLabel, ...]
    links: tuple[GuideLink, ...]
    #: Where a label differs from an earlier wording, and where that was seen.
    notes: tuple[StepNote, ...] = ()


@dataclass(frozen=True, slots=True)
class Freshness:
    """One line on what the last automatic check found for a procedure."""

    kind: NoteKind
    text: str


@dataclass(frozen=True, slots=True)
class GuideAction:
    label: str
    link: GuideLink


@dataclass(frozen=True, slots=True)
class GuideProcedure:
    id: str
    title: str
    channel: str
    surfaces: tuple[str, ...]
    surface_names: tuple[str, ...]
    #: `yes`, `no` or `unknown` (the source does not say).
    account: str
    audience: tuple[str, ...]
    stops: str
    caveats: tuple[str, ...]
    steps: tuple[GuideStep, ...]
    action: GuideAction | None
    #: `A form · no account needed`, from the channel and the account.
    effort: str
    #: `easy`, `medium` or `hard`: the colour of the effort mark.
    effort_level: str
    freshness: Freshness | None


@dataclass(frozen=True, slots=True)
class GuideSource:
    title: str
    publisher: str
    date: str
    url: str
    #: The title's language when it is not the reader's.
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class GuidePlatform:
    id: str
    provider: str
    service: str
    last_reviewed: str
    procedures: tuple[GuideProcedure, ...]
    sources: tuple[GuideSource, ...]
    aliases: tuple[str, ...] = ()
    channels: tuple[str, ...] = field(default=())
    surfaces: tuple[str, ...] = field(default=())
    no_account: bool = False
    #: The names the search box matches, as `search_key` writes them.
    search: str = ""


def label_of(step: GuideStep, text: str) -> UiLabel:
    return next((label for label in step.labels if label.text == text), UiLabel(text))
