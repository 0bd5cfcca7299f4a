"""The JSON report of `optout-watch check`, versioned and documented by
`schema/report.schema.json`. Alerts read this and nothing else."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.pages.evidence import Evidence
from optout_watch.severity import Severity

REPORT_FORMAT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Copied(_Model):
    """A report's copy of a stage's record, filled from that record's attributes: the report
    documents its own fields, whatever the stage's type becomes."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)


class HopReport(_Copied):
    """One redirect followed."""

    url: str
    status: int
    location: str


class SuggestionReport(_Copied):
    """A page text likely to be a missing label's new name."""

    text: str
    score: float = Field(ge=0, le=1)
    why: Evidence = Evidence.PASSAGE


class DiagnosticReport(_Copied):
    """A located problem in a catalogue file."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str


class Location(_Model):
    """A place in the catalogue."""

    platform: str
    file: str
    line: int = Field(ge=1)
    entry: str = Field(description="The link id, or `source` for an entry of `sources`.")
    kind: str
    title: str | None = Field(None, description="The link's title, when the catalogue gives one.")


class ArchivedCopyReport(_Model):
    """A copy the public web archive keeps of a page."""

    date: str = Field(description="The day the archive took it (YYYY-MM-DD, UTC).")
    timestamp: str = Field(pattern="^[0-9]{14}$", description="As the archive writes it.")
    url: str = Field(
        description="The copy as people browse it: https://web.archive.org/web/<timestamp>/<url>."
    )


class LastArchivedCopyReport(_Model):
    """For a broken link: where the page went, as the web archive last kept it."""

    last_worked: str | None = Field(
        description="The last check that found the link working (ISO timestamp); null if unknown."
    )
    archived: ArchivedCopyReport | None = Field(
        description="The archive's copy closest to that check (the latest when it is unknown)."
    )
    note: str | None = Field(None, description="Why there is no copy, when there is none.")


class LinkReport(_Model):
    url: str = Field(description="The URL as the catalogue writes it.")
    fetched_url: str = Field(
        description="The URL fetched (differs when --remap applies): the only field that "
        "names where --remap sent the URL; the others give the catalogue's addresses."
    )
    outcome: str = Field(pattern="^(ok|redirected|broken|blocked|error)$")
    reason: str = Field(description="What was seen, for people, with the catalogue's addresses.")
    status: int | None
    final_url: str = Field(description="Where the redirects ended, as the catalogue's address.")
    new_url: str | None = Field(description="Where the catalogue should point, if moved.")
    redirects: list[HopReport] = Field(
        description="The redirects followed, as the catalogue's addresses."
    )
    attempts: int = Field(ge=0)
    elapsed_ms: int = Field(ge=0)
    uses: list[Location]
    failure: FetchErrorKind | None = Field(
        None, description="What went wrong when no answer could be judged (none for an answer)."
    )
    last_archived_copy: LastArchivedCopyReport | None = Field(
        None, description="For a broken link, when the web archive was asked: its last copy."
    )


class LabelReport(_Model):
    label: str
    state: str = Field(pattern="^(present|missing|never_seen)$")
    suggestions: list[SuggestionReport]
    file: str = Field(description="Catalogue file that expects the label.")
    line: int = Field(ge=1, description="Catalogue line of the expected label.")
    last_seen: str | None = Field(
        None, description="When the page last showed the label (ISO timestamp); null if never."
    )
    archive_copy: str | None = Field(
        None,
        description="The day of the web archive's copy the label was judged on tonight "
        "(YYYY-MM-DD); null when judged on the live page.",
    )


class ArchiveReadingReport(_Model):
    """The web archive's copy asked to stand in for a page that could not be read live."""

    archived: ArchivedCopyReport | None = Field(description="The copy found, if any.")
    used: bool = Field(description="The copy was read and the page's labels judged on it.")
    note: str = Field(description="Which copy was read, or why none could stand in.")


class ProposalReport(_Model):
    """The `watch:` block `optout-watch inspect` proposes from the page as read tonight."""

    select: str
    remove: list[str]
    kept_chars: int = Field(ge=0, description="Characters of the page's text the block keeps.")
    page_chars: int = Field(ge=0, description="Characters of the whole page's text.")
    decoys: list[str] = Field(
        description="Copies of the labels it leaves out, as `« label » in element`."
    )


class PageReport(_Model):
    url: str
    lang: str | None = Field(None, description="The page's language, as the catalogue gives it.")
    platforms: list[str]
    file: str
    line: int = Field(ge=1)
    checked: bool = Field(description="False when the page could not be fetched or read.")
    error: str | None
    selector_failed: bool = Field(description="The `select` selector matched nothing.")
    changed: bool
    diff: str
    labels: list[LabelReport]
    read_from: str | None = Field(
        None,
        pattern="^(live|browser|archive|not_read)$",
        description="How the page was read tonight: live, in the browser, from the web "
        "archive's copy (see `archive`), or not at all (see `error`).",
    )
    not_read_because: str | None = Field(
        None,
        description="Why the page was not read live: the link's outcome (blocked, broken, "
        "error), `browser` or `selector`.",
    )
    archive: ArchiveReadingReport | None = Field(
        None, description="The web archive's copy, when one was asked to stand in."
    )
    proposed_watch: ProposalReport | None = Field(
        None, description="For a page watched without `select`: the block `inspect` proposes."
    )


class Finding(_Model):
    code: str
    severity: Severity
    platform: str
    file: str
    line: int = Field(ge=1)
    url: str | None
    label: str | None
    message: str
    evidence: dict[str, str | int | float | list[str] | None]
    fingerprint: str = Field(pattern="^[0-9a-f]{16}$")
    streak: int = Field(ge=1, description="Consecutive runs that have seen the problem.")
    runs_needed: int = Field(ge=1, description="The streak at which it is confirmed.")
    confirmed: bool


class PlatformInfo(_Model):
    """A platform of the catalogue, for people: reports name platforms by service."""

    id: str
    provider: str
    service: str
    file: str


class LabelCoverage(_Model):
    """How many of one platform's step labels in one language a watched page checks."""

    platform: str
    lang: str
    watched: int = Field(ge=0, description="Labels a watched page of that language expects.")
    not_watchable: int = Field(
        ge=0, description="Labels the catalogue explains no page can check (with the reason)."
    )
    total: int = Field(ge=0, description="Distinct labels the platform's steps name.")


class Summary(_Model):
    links: int
    outcomes: dict[str, int]
    pages: int
    pages_changed: int
    labels: dict[str, int]
    findings: int
    confirmed_errors: int
    confirmed_warnings: int
    outage: bool
    exit_code: int
    pages_read: dict[str, int] = Field(
        default_factory=dict,
        description="Watched pages by how they were read: live, browser, archive.",
    )
    pages_not_read: dict[str, int] = Field(
        default_factory=dict,
        description="Watched pages not read at all, by why they were not read live.",
    )
    label_coverage: list[LabelCoverage] = Field(
        default_factory=list,
        description="Per platform and language, the step labels a watched page checks; when "
        "each was last seen is in `pages[].labels[].last_seen`.",
    )


class Report(_Model):
    format_version: int = Field(REPORT_FORMAT_VERSION, ge=1)
    generator: str
    started_at: str
    finished_at: str
    summary: Summary
    platforms: list[PlatformInfo]
    skipped_files: list[str] = Field(
        description="Catalogue files that could not be read or do not match the schema: "
        "none of their URLs was checked."
    )
    validation: list[DiagnosticReport]
    links: list[LinkReport]
    pages: list[PageReport]
    findings: list[Finding]
