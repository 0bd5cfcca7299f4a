"""The catalogue's data model: one platform per YAML file.

These models are the single source of truth for the format: the committed JSON Schema
(`schema/platform.schema.json`) is generated from them, so editors and the CLI agree.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

_IDENTIFIER = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_TEXT = r"^\S(?:[\s\S]*\S)?$"
_URL = r"^https?://[^\s/?#]+[^\s]*$"
_LANGUAGE_TAG = r"^[a-z]{2,3}(?:-[A-Z]{2})?$"
#: Each pattern of the format in words, for the messages of `validate`: a raw regular
#: expression helps nobody.
PATTERN_HINTS = {
    _IDENTIFIER: "lower-case words joined by hyphens, e.g. openai-chatgpt",
    _TEXT: "non-empty text without leading or trailing spaces",
    _URL: "an absolute https:// address without spaces",
    _LANGUAGE_TAG: "a language tag such as fr, en or en-US",
}

#: Lower-case kebab identifiers: `openai-chatgpt`, `settings-web`.
Identifier = Annotated[str, StringConstraints(pattern=_IDENTIFIER, min_length=1, max_length=64)]
#: Non-empty text with no leading or trailing white space.
Text = Annotated[str, StringConstraints(min_length=1, pattern=_TEXT)]
#: An absolute web address as written in the catalogue (kept verbatim: exports and reports
#: must show the catalogue's own spelling). Scheme, host and parameters are checked by the
#: content rules, which can explain what is wrong better than a pattern can.
Url = Annotated[str, StringConstraints(pattern=_URL, max_length=2048)]
#: How a watched page is fetched: `plain` (one HTTP request) or `browser` (headless Chromium).
RenderMode = Literal["plain", "browser"]
#: A BCP 47 language tag as used on the web: `en`, `fr`, `en-US`.
LanguageTag = Annotated[str, StringConstraints(pattern=_LANGUAGE_TAG)]


class _Strict(BaseModel):
    """Unknown keys are mistakes (a misspelt `caveat:` must not vanish silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Channel(StrEnum):
    SETTINGS = "settings"
    FORM = "form"
    EMAIL = "email"
    OTHER = "other"


class Surface(StrEnum):
    WEB = "web"
    ANDROID = "android"
    IOS = "ios"
    DESKTOP = "desktop"


class Audience(StrEnum):
    """Who a procedure is for."""

    ACCOUNT_HOLDERS = "account-holders"
    NON_ACCOUNT_HOLDERS = "non-account-holders"


class LinkKind(StrEnum):
    HELP = "help"
    FORM = "form"
    SETTINGS = "settings"
    POLICY = "policy"
    SOURCE = "source"


class Localized(_Strict):
    """The same text in French and in English."""

    fr: Text
    en: Text


class Caveat(_Strict):
    """Something to know about a procedure, in the languages it concerns: a note about the
    English interface's labels is written in English only, and French readers never see it."""

    fr: Text | None = None
    en: Text | None = None

    @model_validator(mode="after")
    def _in_one_language_at_least(self) -> Caveat:
        if self.fr is None and self.en is None:
            raise ValueError("a caveat needs its text in French (fr), in English (en) or both")
        return self


class Source(_Strict):
    """Where the catalogue's facts about a platform come from."""

    title: Text
    publisher: Text
    url: Url
    lang: LanguageTag | None = Field(
        default=None,
        description="The language of `title` when it is not the page's own language (a French "
        "page cited under an English title); by default the guide takes the page's language.",
    )
    date: dt.date = Field(description="When the source was published or last seen.")
    note: Text | None = Field(
        default=None,
        description="What the source shows and how far, e.g. that an address follows the help "
        "centre's locale convention and was not seen from here yet.",
    )


class Step(_Strict):
    text: Text = Field(description="What to do, as a person reads it.")
    ui: list[Text] = Field(
        default_factory=list,
        description="Interface labels the step names, exactly as the interface shows them.",
    )
    links: list[Identifier] = Field(
        default_factory=list, description="Ids of the platform's links this step uses."
    )


class Steps(_Strict):
    fr: list[Step] = Field(min_length=1)
    en: list[Step] = Field(min_length=1)


class LinkPerLanguage(_Strict):
    """The same page in each language: the link French readers open and English ones do."""

    fr: Identifier
    en: Identifier


class Action(_Strict):
    """The one place a reader goes to act: the setting or the form itself where the platform
    gives its address, else its settings or help page."""

    link: Identifier | LinkPerLanguage = Field(
        description="Id of the platform's link the button opens, or one id per language."
    )
    label: Localized = Field(
        description='What the button says, e.g. "Ouvrir le formulaire" / "Open the form".'
    )


class Procedure(_Strict):
    id: Identifier
    title: Localized
    channel: Channel
    surfaces: list[Surface] = Field(min_length=1)
    requires_account: StrictBool | None = Field(
        description="Whether the procedure needs an account; null when no source says."
    )
    audience: list[Audience] = Field(min_length=1, description="Who the procedure is for.")
    stops: Localized = Field(description="What the procedure stops.")
    action: Action | None = Field(
        default=None, description="The button shown first, above the steps."
    )
    caveats: list[Caveat] = Field(default_factory=list)
    steps: Steps


class RenameEvidence(_Strict):
    """What showed that a label was renamed: the watched page and the check's suggestion."""

    url: Url = Field(description="The watched page on which the new wording was found.")
    score: float = Field(ge=0, le=1, description="Similarity of the new wording to the old.")
    why: Text = Field(
        description="Why the check suggested it, e.g. \"replaced the label's line\" (the page's "
        "diff put the new wording where the old one stood)."
    )


class LabelRename(_Strict):
    """One renaming of an expected label, newest last. `optout-watch fix` appends it when it
    replaces `old` by `new` in `expect` (and in the steps of the page's language), so that a
    guide can still say "formerly « old »" to readers who know the old wording."""

    date: dt.date = Field(description="When the check saw the new wording (its run's date).")
    old: Text = Field(description="The label as the page showed it before.")
    new: Text = Field(description="The label as the page shows it now (in `expect`).")
    evidence: RenameEvidence


class Watch(_Strict):
    """What to watch on a page so that a renamed menu is noticed."""

    select: Text | None = Field(
        default=None, description="CSS selector of the text that matters (every match)."
    )
    remove: list[Text] = Field(default_factory=list, description="CSS selectors to drop.")
    ignore: list[Text] = Field(
        default_factory=list, description="Regular expressions of volatile text to drop."
    )
    expect: list[Text] = Field(
        default_factory=list, description="Labels that must appear on the page, in its language."
    )
    render: RenderMode = Field(
        default="plain",
        description="plain: the page's HTML holds its text. browser: the page shows its text "
        "only after scripts run; fetched with headless Chromium when the `browser` extra is "
        "installed.",
    )
    renamed: list[LabelRename] = Field(
        default_factory=list,
        description="The history of the `expect` labels the page renamed, oldest first: each "
        "entry's `new` replaced its `old`. Written by `optout-watch fix`; a guide can show "
        '"formerly « old »" next to the current label.',
    )


class Link(_Strict):
    id: Identifier
    url: Url
    kind: LinkKind
    lang: LanguageTag
    title: Text | None = Field(default=None, description="The page's own title, in its language.")
    name: Localized | None = Field(
        default=None,
        description="What the guide calls the link in each language; without it, the guide "
        "shows `title` to readers of the page's language and the kind of page to the others.",
    )
    watch: Watch | None = None


class Alias(_Strict):
    """Another name people use for the service or for where it lives (a former name, the
    app it sits in, a French spelling), so that the guide's search finds it."""

    name: Text
    source: Url = Field(
        description="The address, among the platform's `sources`, of the page that uses "
        "this name for the service."
    )


class UnwatchedLabel(_Strict):
    """An interface label that no watched page can confirm, and why: every label of a step's
    `ui` is either expected by a watched page of its platform and language or listed here."""

    label: Text = Field(description="The label exactly as the steps' `ui` write it.")
    lang: LanguageTag = Field(description="The language of the steps that name it.")
    reason: Text = Field(
        description='Why no watched page can check it, e.g. "shown only inside the app, no '
        'official page names it".'
    )


class Platform(_Strict):
    id: Identifier
    provider: Text
    service: Text
    aliases: list[Alias] = Field(
        default_factory=list, description="Other names the guide's search finds it by."
    )
    sources: list[Source] = Field(min_length=1)
    last_reviewed: dt.date
    procedures: list[Procedure] = Field(min_length=1)
    links: list[Link] = Field(min_length=1)
    unwatched_labels: list[UnwatchedLabel] = Field(
        default_factory=list,
        description="The step labels that no watched page of this platform can confirm, each "
        "with its reason (the content rule OW508 asks for a decision on every label).",
    )
