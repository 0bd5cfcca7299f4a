"""The catalogue (and, when given, a check's report) as the guide's files: pure functions
from platforms to `{relative path: text}`. The command writes the files; nothing here reads
or writes anything but the package's own templates and static files.

Catalogue text is never trusted as HTML: the templates autoescape every value, and the
Markdown quotes every value with `report/safe_markdown.py`. Interface labels are set apart
by splitting a step's text into plain and label segments, never by inserting markup into it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from optout_watch.catalogue.models import Link, Platform, Procedure, Step
from optout_watch.guide.label_checks import (
    NOT_WATCHED,
    LabelStatus,
    LabelStatuses,
    check_of,
    check_text,
    label_checks,
)
from optout_watch.guide.words import (
    AUDIENCES,
    CHANNELS,
    LANGS,
    LANGUAGE_NAMES,
    LINK_KINDS,
    SURFACES,
    WORDS,
    Lang,
    in_language,
    long_date,
    quoted,
)
from optout_watch.report.people import ReportView
from optout_watch.report.safe_markdown import autolink, inline

__all__ = [
    "MANIFEST",
    "STATIC_FILES",
    "GuidePlatform",
    "guide_platforms",
    "read_manifest",
    "render_manifest",
    "render_markdown",
    "render_site",
]

#: The site's static files, copied beside the pages: the site loads nothing else.
STATIC_FILES = ("guide.css", "guide.js")
#: Markdown text is long on purpose (a step, a caveat): only line breaks are flattened.
_TEXT_LIMIT = 20_000

NoteKind = Literal["ok", "warning", "info"]


# --- the view: what a page shows, in one language ----------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a step's text: plain text, or an interface label as the screen shows it."""

    text: str
    label: bool = False


@dataclass(frozen=True, slots=True)
class UiLabel:
    text: str
    #: Earlier wordings the catalogue records for this label, newest first.
    formerly: tuple[str, ...] = ()
    #: Whether a watched page checks it, and when that page last showed it.
    check: LabelStatus = NOT_WATCHED


@dataclass(frozen=True, slots=True)
class GuideLink:
    url: str
    name: str
    lang: str
    #: `in English` when the page is not in the reader's language, else None.
    language_note: str | None
    #: The language of `name` when it is the page's own title in another language.
    name_lang: str | None = None


@dataclass(frozen=True, slots=True)
class GuideStep:
    segments: tuple[Segment, ...]
    labels: tuple[UiLabel, ...]
    #: The labels the text does not quote: shown after it, "On screen: …".
    unquoted: tuple[UiLabel, ...]
    links: tuple[GuideLink, ...]


@dataclass(frozen=True, slots=True)
class Note:
    kind: NoteKind
    text: str


@dataclass(frozen=True, slots=True)
class GuideProcedure:
    id: str
    title: str
    channel: str
    channel_name: str
    surfaces: tuple[str, ...]
    surface_names: tuple[str, ...]
    requires_account: bool
    audience: tuple[str, ...]
    stops: str
    caveats: tuple[str, ...]
    steps: tuple[GuideStep, ...]
    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class GuideSource:
    title: str
    publisher: str
    date: str
    url: str
    #: The source's language when known and not the reader's (its title is in it).
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class GuidePlatform:
    id: str
    provider: str
    service: str
    last_reviewed: str
    procedures: tuple[GuideProcedure, ...]
    sources: tuple[GuideSource, ...]
    channels: tuple[str, ...] = field(default=())
    surfaces: tuple[str, ...] = field(default=())
    no_account: bool = False
    #: Lower-case words without accents that the search box matches.
    search: str = ""


def guide_platforms(
    platforms: Iterable[Platform], report: ReportView | None, lang: Lang
) -> list[GuidePlatform]:
    """Every platform as the guide shows it in `lang`, by service name."""
    ordered = sorted(platforms, key=lambda p: (p.service.casefold(), p.id))
    return [_platform(platform, report, lang) for platform in ordered]


def _platform(platform: Platform, report: ReportView | None, lang: Lang) -> GuidePlatform:
    links = {link.id: link for link in platform.links}
    checks = label_checks(platform, report)
    procedures = tuple(_procedure(p, links, report, checks, lang) for p in platform.procedures)
    channels = tuple(dict.fromkeys(p.channel for p in procedures))
    surfaces = tuple(dict.fromkeys(s for p in procedures for s in p.surfaces))
    words = [platform.provider, platform.service, platform.id, *(p.title for p in procedures)]
    return GuidePlatform(
        id=platform.id,
        provider=platform.provider,
        service=platform.service,
        last_reviewed=long_date(platform.last_reviewed, lang),
        procedures=procedures,
        sources=tuple(
            GuideSource(
                s.title,
                s.publisher,
                long_date(s.date, lang),
                s.url,
                _source_lang(s.url, links, lang),
            )
            for s in platform.sources
        ),
        channels=channels,
        surfaces=surfaces,
        no_account=any(not p.requires_account for p in procedures),
        search=search_key(" ".join(words)),
    )


_PATH_LANGUAGE = re.compile(r"^https?://[^/]+/([a-z]{2})(?:[-_][a-zA-Z]{2})?(?:/|$)")


def _source_lang(url: str, links: Mapping[str, Link], lang: Lang) -> str | None:
    """The language of a source, from the catalogue's link to the same page or from a
    language folder in its address (`/fr/`, `/en-us/`); None when unknown or the reader's."""
    found = next((link.lang for link in links.values() if link.url == url), None)
    if found is None:
        match = _PATH_LANGUAGE.match(url)
        found = match.group(1) if match and match.group(1) in _KNOWN_LANGUAGES else None
    return None if found is None or found.split("-")[0] == lang else found


_KNOWN_LANGUAGES = frozenset({"fr", "en", "de", "es", "it", "nl", "pt"})


def search_key(text: str) -> str:
    """Lower case, without accents, one space between words: what `guide.js` compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _procedure(
    procedure: Procedure,
    links: Mapping[str, Link],
    report: ReportView | None,
    checks: LabelStatuses,
    lang: Lang,
) -> GuideProcedure:
    steps = getattr(procedure.steps, lang)
    renames = _renames(procedure, links)
    return GuideProcedure(
        id=procedure.id,
        title=getattr(procedure.title, lang),
        channel=str(procedure.channel),
        channel_name=CHANNELS[lang][str(procedure.channel)],
        surfaces=tuple(str(s) for s in procedure.surfaces),
        surface_names=tuple(SURFACES[lang][str(s)] for s in procedure.surfaces),
        requires_account=procedure.requires_account,
        audience=tuple(AUDIENCES[lang][str(a)] for a in procedure.audience),
        stops=getattr(procedure.stops, lang),
        caveats=tuple(getattr(c, lang) for c in procedure.caveats),
        steps=tuple(_step(step, links, renames, checks, lang) for step in steps),
        notes=tuple(_notes(procedure, links, renames, report, lang)),
    )


def _step(
    step: Step,
    links: Mapping[str, Link],
    renames: Mapping[str, list[Rename]],
    checks: LabelStatuses,
    lang: Lang,
) -> GuideStep:
    labels = tuple(
        UiLabel(text, tuple(r.old for r in renames.get(text, [])), check_of(checks, lang, text))
        for text in step.ui
    )
    return GuideStep(
        segments=split_labels(step.text, step.ui),
        labels=labels,
        unquoted=tuple(label for label in labels if label.text not in step.text),
        links=tuple(_link(links[i], lang) for i in step.links if i in links),
    )


def _link(link: Link, lang: Lang) -> GuideLink:
    if not link.url.startswith(("https://", "http://")):  # the schema allows nothing else
        raise ValueError(f"not a web address: {link.url!r}")
    note = None if link.lang.split("-")[0] == lang else in_language(link.lang, lang)
    name_lang = link.lang if note is not None and link.title else None
    return GuideLink(
        link.url, link.title or LINK_KINDS[lang][str(link.kind)], link.lang, note, name_lang
    )


def split_labels(text: str, labels: Sequence[str]) -> tuple[Segment, ...]:
    """`text` cut into plain segments and the places it names one of `labels` (longest
    labels first; every occurrence; never overlapping)."""
    taken = [False] * len(text)
    spans: list[tuple[int, int]] = []
    for label in sorted(set(labels), key=len, reverse=True):
        start = text.find(label)
        while start != -1:
            end = start + len(label)
            if not any(taken[start:end]):
                spans.append((start, end))
                taken[start:end] = [True] * len(label)
            start = text.find(label, end)
    segments: list[Segment] = []
    position = 0
    for start, end in sorted(spans):
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], label=True))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return tuple(segments)


# --- label renames: read defensively (`fix` records them in `watch.renamed`) ---------------


@dataclass(frozen=True, slots=True)
class Rename:
    new: str
    old: str
    date: dt.date | None


_HISTORY_FIELDS = ("renamed", "renames")
_NEW_FIELDS = ("new",)
_OLD_FIELDS = ("old",)
_DATE_FIELDS = ("date",)


def _field(entry: Any, names: Sequence[str]) -> Any:
    for name in names:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        if value is not None:
            return value
    return None


def _renames(procedure: Procedure, links: Mapping[str, Link]) -> dict[str, list[Rename]]:
    """The label renames the catalogue records (in the `watch` of the links the procedure
    uses), by current label, newest first, following chains (`c` formerly `b`, formerly `a`);
    empty when the catalogue records none, or its model has no rename history."""
    owners: list[Any] = [link.watch for link in _procedure_links(procedure, links) if link.watch]
    direct: dict[str, list[Rename]] = {}
    for owner in owners:
        for name in _HISTORY_FIELDS:
            history = getattr(owner, name, None)
            if not isinstance(history, list | tuple):
                continue
            for entry in history:
                new = _field(entry, _NEW_FIELDS)
                old = _field(entry, _OLD_FIELDS)
                date = _field(entry, _DATE_FIELDS)
                if isinstance(new, str) and isinstance(old, str) and old != new:
                    when = date if isinstance(date, dt.date) else None
                    direct.setdefault(new, []).append(Rename(new, old, when))
    found: dict[str, list[Rename]] = {}
    for label in direct:
        chain: list[Rename] = []
        pending = [label]
        while pending:
            current = pending.pop()
            for rename in direct.get(current, []):
                if rename.old != label and all(rename.old != r.old for r in chain):
                    chain.append(rename)
                    pending.append(rename.old)
        chain.sort(key=lambda r: r.date or dt.date.min, reverse=True)
        found[label] = chain
    return found


# --- freshness, from a report ---------------------------------------------------------------


def report_date(report: ReportView) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(report.started_at).date()
    except ValueError:
        return None


def _procedure_links(procedure: Procedure, links: Mapping[str, Link]) -> list[Link]:
    ids = [i for lang in LANGS for step in getattr(procedure.steps, lang) for i in step.links]
    return [links[i] for i in dict.fromkeys(ids) if i in links]


def _notes(
    procedure: Procedure,
    links: Mapping[str, Link],
    renames: Mapping[str, list[Rename]],
    report: ReportView | None,
    lang: Lang,
) -> list[Note]:
    words = WORDS[lang]
    notes: list[Note] = []
    own_labels = {label for step in getattr(procedure.steps, lang) for label in step.ui}
    for new, history in renames.items():
        if new not in own_labels:
            continue
        for rename in history:
            if rename.date is None:
                text = words["fresh_renamed_undated"].format(
                    label=quoted(new, lang), old=quoted(rename.old, lang)
                )
            else:
                text = words["fresh_renamed"].format(
                    label=quoted(new, lang),
                    old=quoted(rename.old, lang),
                    date=long_date(rename.date, lang),
                )
            notes.append(Note("info", text))
    if report is None:
        return notes
    day = report_date(report)
    when = long_date(day, lang) if day else report.started_at
    checked: list[Note] = []
    problems: list[Note] = []
    for link in _procedure_links(procedure, links):
        name = quoted(link.title or LINK_KINDS[lang][str(link.kind)], lang)
        reported = report.link(link.url)
        if reported is None:
            problems.append(Note("info", words["fresh_unchecked"].format(link=name, date=when)))
            continue
        checked.append(Note("ok", words["fresh_ok"].format(date=when)))
        outcome = reported.outcome
        if outcome == "redirected":
            problems.append(Note("info", words["fresh_moved"].format(link=name, date=when)))
        elif outcome == "broken":
            status = f" (HTTP {reported.status})" if reported.status else ""
            problems.append(
                Note("warning", words["fresh_broken"].format(link=name, date=when, status=status))
            )
        elif outcome == "blocked":
            problems.append(Note("info", words["fresh_blocked"].format(link=name, date=when)))
        elif outcome == "error":
            problems.append(Note("warning", words["fresh_error"].format(link=name, date=when)))
        problems += _label_notes(report, link.url, when, lang)
        problems += page_reading_notes(report, link.url, name, lang)
    return notes + checked[:1] + problems


#: A page read from the web archive's copy (kept beside the one function using it).
_ARCHIVE_READING: dict[Lang, str] = {
    "fr": "La page {link} n’a pas pu être lue directement : ses libellés ont été vérifiés sur "
    "la copie qu’en garde la Wayback Machine, datée du {date}.",
    "en": "The page {link} could not be read directly: its labels were checked on the "
    "Wayback Machine's copy of {date}.",
}


def page_reading_notes(report: ReportView, url: str, name: str, lang: Lang) -> list[Note]:
    """How the last check read the watched page `url` (named `name`), when the guide must say
    it: from the web archive's copy, and of which day. Nothing for a page read live or in the
    browser (a page not read at all has its link's note), nor for a report that does not say
    (`pages[].read_from`)."""
    page = report.page(url)
    archived = page.archive.archived if page is not None and page.archive is not None else None
    if page is None or page.read_from != "archive" or archived is None:
        return []
    day = long_date(dt.date.fromisoformat(archived.date), lang)
    return [Note("info", _ARCHIVE_READING[lang].format(link=name, date=day))]


def _label_notes(report: ReportView, url: str, when: str, lang: Lang) -> list[Note]:
    page = report.page(url)
    if page is None or not page.checked:
        return []
    words = WORDS[lang]
    notes = []
    for label in page.labels:
        if label.state != "missing":
            continue
        streak = next(
            (
                f.streak
                for f in report.findings
                if f.code == "label-missing" and f.url == url and f.label == label.label
            ),
            1,
        )
        key = "fresh_label_new" if streak <= 1 else "fresh_label_streak"
        text = words[key].format(label=quoted(label.label, lang), date=when, runs=streak)
        if label.suggestions:
            text += words["fresh_label_suggestion"].format(
                suggestion=quoted(label.suggestions[0].text, lang)
            )
        notes.append(Note("warning", text))
    return notes


# --- HTML -----------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("optout_watch.guide", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        CHANNELS=CHANNELS,
        SURFACES=SURFACES,
        label_of=_label_of,
        formerly_text=_formerly_text,
        check_text=check_text,
    )
    return env


def _static(name: str) -> str:
    return resources.files("optout_watch.guide").joinpath("static", name).read_text("utf-8")


def render_site(
    platforms: Sequence[Platform],
    report: ReportView | None = None,
    langs: Sequence[Lang] = LANGS,
) -> dict[str, str]:
    """The site: `index.html` (the language choice), `<lang>/index.html` (the platforms, with
    search and filters), `<lang>/<platform>.html`, and the static files under `static/`."""
    env = _environment()
    day = report_date(report) if report else None
    files: dict[str, str] = {f"static/{name}": _static(name) for name in STATIC_FILES}
    files["index.html"] = env.get_template("root.html.j2").render(
        langs=list(langs), words=WORDS, root="", page="index.html"
    )
    for lang in langs:
        views = guide_platforms(platforms, report, lang)
        common = {
            "lang": lang,
            "langs": list(langs),
            "w": WORDS[lang],
            "root": "../",
            "checked": long_date(day, lang) if day else None,
        }
        files[f"{lang}/index.html"] = env.get_template("index.html.j2").render(
            platforms=views,
            channels=list(dict.fromkeys(c for v in views for c in v.channels)),
            surfaces=list(dict.fromkeys(s for v in views for s in v.surfaces)),
            page="index.html",
            **common,
        )
        for view in views:
            files[f"{lang}/{view.id}.html"] = env.get_template("platform.html.j2").render(
                platform=view, page=f"{view.id}.html", **common
            )
    return files


# --- Markdown -------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Catalogue text quoted for Markdown, keeping the white space around it (a label inside
    a sentence keeps its spaces)."""
    stripped = text.strip()
    if not stripped:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    if text[0] == "\u00a0":
        lead = "\u00a0"
    if text[-1] == "\u00a0":
        trail = "\u00a0"
    return f"{lead}{inline(stripped, _TEXT_LIMIT)}{trail}"


def _md_label(label: UiLabel, lang: Lang) -> str:
    text = f"**{_md(label.text)}**"
    if label.formerly:
        text += f" ({_md(_formerly_text(label.formerly, lang))})"
    return text + f" <sub>{_md(check_text(label.check, lang))}</sub>"


def _md_platform(view: GuidePlatform, lang: Lang) -> list[str]:
    w = WORDS[lang]
    lines = [
        f'<a id="{view.id}"></a>',
        "",
        f"## {_md(_name(view))}",
        "",
        _md(w["last_reviewed"].format(date=view.last_reviewed)),
        "",
    ]
    for procedure in view.procedures:
        account = w["yes"] if procedure.requires_account else w["no"]
        lines += [
            f"### {_md(procedure.title)}",
            "",
            f"- {_md(w['channel'])}{_colon(lang)} {_md(procedure.channel_name)}",
            f"- {_md(w['surfaces'])}{_colon(lang)} {_md(', '.join(procedure.surface_names))}",
            f"- {_md(w['account_needed'])}{_colon(lang)} {account}",
            f"- {_md(w['for_whom'])}{_colon(lang)} {_md(', '.join(procedure.audience))}",
            f"- {_md(w['stops'])}{_colon(lang)} {_md(procedure.stops)}",
            "",
            f"**{_md(w['steps'])}**",
            "",
        ]
        for number, step in enumerate(procedure.steps, start=1):
            text = "".join(
                _md_label(_label_of(step, s.text), lang) if s.label else _md(s.text)
                for s in step.segments
            )
            lines.append(f"{number}. {text}")
            if step.unquoted:
                shown = ", ".join(_md_label(label, lang) for label in step.unquoted)
                lines.append(f"   {_md(w['on_screen'])} {shown}")
            for link in step.links:
                note = f" ({_md(link.language_note)})" if link.language_note else ""
                lines.append(f"   {_md(link.name)}{note}{_colon(lang)} {autolink(link.url)}")
        lines.append("")
        if procedure.caveats:
            lines += [f"**{_md(w['caveats'])}**", ""]
            lines += [f"- {_md(caveat)}" for caveat in procedure.caveats]
            lines.append("")
        if procedure.notes:
            lines += [f"**{_md(w['freshness'])}**", ""]
            lines += [f"- {_md(note.text)}" for note in procedure.notes]
            lines.append("")
    lines += [f"**{_md(w['sources'])}**", ""]
    for source in view.sources:
        published = w["published"].format(publisher=source.publisher, date=source.date)
        lines.append(
            f"- {_md(source.title)} ({_md(published)}){_colon(lang)} {autolink(source.url)}"
        )
    lines.append("")
    return lines


def _name(view: GuidePlatform) -> str:
    """`ChatGPT (OpenAI)`, but `DeepSeek` alone."""
    if view.provider.casefold() == view.service.casefold():
        return view.service
    return f"{view.service} ({view.provider})"


def _formerly_text(formerly: Sequence[str], lang: Lang) -> str:
    """`formerly “Data Controls”`."""
    return WORDS[lang]["formerly"].format(label=", ".join(quoted(o, lang) for o in formerly))


def _label_of(step: GuideStep, text: str) -> UiLabel:
    return next((label for label in step.labels if label.text == text), UiLabel(text))


def _colon(lang: Lang) -> str:
    return "\u00a0:" if lang == "fr" else ":"


def render_markdown(
    platforms: Sequence[Platform],
    report: ReportView | None = None,
    langs: Sequence[Lang] = LANGS,
) -> dict[str, str]:
    """One guide per language, `guide.<lang>.md`, for a README or a wiki."""
    files: dict[str, str] = {}
    day = report_date(report) if report else None
    for lang in langs:
        w = WORDS[lang]
        views = guide_platforms(platforms, report, lang)
        lines = [f"# {_md(w['site_title'])}", "", _md(w["site_intro"]), ""]
        if day is not None:
            lines += [_md(w["checked_on"].format(date=long_date(day, lang))), ""]
        lines += [f"**{_md(w['markdown_index'])}**", ""]
        lines += [f"- [{_md(_name(v))}](#{v.id})" for v in views]
        lines.append("")
        for view in views:
            lines += _md_platform(view, lang)
        lines += [_md(w["footer"]), ""]
        files[f"guide.{lang}.md"] = "\n".join(lines)
    return files


# --- the manifest ---------------------------------------------------------------------------

#: The list of the files a render wrote, kept in its output folder: the next render removes
#: those it no longer writes (a platform taken out of the catalogue) and no other file, and
#: writes only into a folder that is empty or holds one.
MANIFEST = ".optout-watch-guide.json"


def render_manifest(files: Iterable[str]) -> str:
    document = {"written_by": "optout-watch render", "files": sorted(set(files))}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_manifest(text: str) -> frozenset[str]:
    """The files a manifest lists. Raises ValueError for a manifest `render_manifest` did not
    write, or one that names a file outside its folder (never to be removed)."""
    document = json.loads(text)
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        raise ValueError('not a list of files under "files"')
    for name in files:
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or "\\" in name or ".." in parts or name == MANIFEST:
            raise ValueError(f"{name!r} is not a file of the guide")
    return frozenset(files)
