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
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from optout_watch.catalogue.models import Link, Platform, Procedure, Step
from optout_watch.guide.label_checks import (
    NOT_WATCHED,
    LabelStatus,
    LabelStatuses,
    check_of,
    check_text,
    label_checks,
    report_date,
)
from optout_watch.guide.words import (
    ACCOUNT_MARKS,
    AUDIENCES,
    CHANNELS,
    CNIL_FURTHER_READING,
    CNIL_GUIDE_URL,
    CNIL_RESERVATION,
    CNIL_RESERVATION_EN,
    EFFORT_LEVELS,
    EFFORTS,
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
    channel_name: str
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
    aliases = tuple(alias.name for alias in platform.aliases)
    names = [platform.provider, platform.service, platform.id, *aliases]
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
                _source_lang(s.lang, s.url, links, lang),
            )
            for s in platform.sources
        ),
        aliases=aliases,
        channels=channels,
        surfaces=surfaces,
        no_account=any(p.account == "no" for p in procedures),
        search=search_key(" ".join(names)),
    )


_PATH_LANGUAGE = re.compile(r"^https?://[^/]+/([a-z]{2})(?:[-_][a-zA-Z]{2})?(?:/|$)")


def _source_lang(
    title_lang: str | None, url: str, links: Mapping[str, Link], lang: Lang
) -> str | None:
    """The language of a source's title: the catalogue's when it gives one, else the language
    of its link to the same page or of a language folder in its address (`/fr/`, `/en-us/`);
    None when unknown or the reader's."""
    found = title_lang or next((link.lang for link in links.values() if link.url == url), None)
    if found is None:
        match = _PATH_LANGUAGE.match(url)
        found = match.group(1) if match and match.group(1) in _KNOWN_LANGUAGES else None
    return None if found is None or found.split("-")[0] == lang else found


_KNOWN_LANGUAGES = frozenset({"fr", "en", "de", "es", "it", "nl", "pt"})
_NOT_A_WORD = re.compile(r"[^0-9a-z]+")


def search_key(text: str) -> str:
    """Lower case, without accents, words of letters and digits one space apart (`X / xAI`
    is `x xai`): what `guide.js` compares, word by word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(dict.fromkeys(_NOT_A_WORD.sub(" ", bare).split()))


def _account(procedure: Procedure) -> str:
    if procedure.requires_account is None:
        return "unknown"
    return "yes" if procedure.requires_account else "no"


def _action_link(procedure: Procedure, lang: Lang) -> str | None:
    if procedure.action is None:
        return None
    link = procedure.action.link
    return link if isinstance(link, str) else getattr(link, lang)


def _procedure(
    procedure: Procedure,
    links: Mapping[str, Link],
    report: ReportView | None,
    checks: LabelStatuses,
    lang: Lang,
) -> GuideProcedure:
    steps = tuple(
        _step(step, links, _renames(procedure, links), checks, lang)
        for step in getattr(procedure.steps, lang)
    )
    action_id = _action_link(procedure, lang)
    action = None
    if procedure.action is not None and action_id is not None and action_id in links:
        action = GuideAction(getattr(procedure.action.label, lang), _link(links[action_id], lang))
    account = _account(procedure)
    channel = str(procedure.channel)
    return GuideProcedure(
        id=procedure.id,
        title=getattr(procedure.title, lang),
        channel=channel,
        channel_name=CHANNELS[lang][channel],
        surfaces=tuple(str(s) for s in procedure.surfaces),
        surface_names=tuple(SURFACES[lang][str(s)] for s in procedure.surfaces),
        account=account,
        audience=tuple(AUDIENCES[lang][str(a)] for a in procedure.audience),
        stops=getattr(procedure.stops, lang),
        caveats=tuple(text for c in procedure.caveats if (text := getattr(c, lang)) is not None),
        steps=steps,
        action=action,
        effort=f"{EFFORTS[lang][channel]} · {ACCOUNT_MARKS[lang][account]}",
        effort_level=EFFORT_LEVELS[channel],
        freshness=freshness(steps, action, report, lang),
    )


def _step(
    step: Step,
    links: Mapping[str, Link],
    renames: Mapping[str, list[Rename]],
    checks: LabelStatuses,
    lang: Lang,
) -> GuideStep:
    labels = tuple(UiLabel(text, check_of(checks, lang, text)) for text in step.ui)
    return GuideStep(
        segments=split_labels(step.text, step.ui),
        labels=labels,
        unquoted=tuple(label for label in labels if label.text not in step.text),
        links=tuple(_link(links[i], lang) for i in step.links if i in links),
        notes=tuple(
            _rename_note(text, rename, links, lang)
            for text in step.ui
            for rename in renames.get(text, [])
        ),
    )


def _rename_note(label: str, rename: Rename, links: Mapping[str, Link], lang: Lang) -> StepNote:
    """`“Vibe” was formerly “Le Chat”; noted on 3 September 2026 on` the page that showed it."""
    w = WORDS[lang]
    where = next((link for link in links.values() if link.url == rename.source), None)
    key = "formerly_step" if rename.date is not None else "formerly_step_undated"
    date = long_date(rename.date, lang) if rename.date is not None else ""
    text = w[key].format(label=quoted(label, lang), old=quoted(rename.old, lang), date=date)
    if where is None:
        return StepNote(text, GuideLink(rename.source, rename.source, "", None))
    return StepNote(text, _link(where, lang))


def _link(link: Link, lang: Lang) -> GuideLink:
    """The link under a name in the reader's language: its `name`, or its page's title when
    the page is in that language, else the kind of page (`Form`) and its language."""
    if not link.url.startswith(("https://", "http://")):  # the schema allows nothing else
        raise ValueError(f"not a web address: {link.url!r}")
    same = link.lang.split("-")[0] == lang
    if link.name is not None:
        name = getattr(link.name, lang)
    elif same and link.title:
        name = link.title
    else:
        name = LINK_KINDS[lang][str(link.kind)]
    return GuideLink(link.url, name, link.lang, None if same else in_language(link.lang, lang))


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


# --- label renames (`fix` records them in `watch.renamed`) ----------------------------------


@dataclass(frozen=True, slots=True)
class Rename:
    new: str
    old: str
    date: dt.date | None
    #: The page on which the new wording was found.
    source: str


def _renames(procedure: Procedure, links: Mapping[str, Link]) -> dict[str, list[Rename]]:
    """The label renames the catalogue records in the `watch` of the links the procedure
    uses, by current label, newest first, following chains (`c` formerly `b`, formerly `a`)."""
    direct: dict[str, list[Rename]] = {}
    for link in _procedure_links(procedure, links):
        for entry in link.watch.renamed if link.watch else []:
            if entry.old != entry.new:
                rename = Rename(entry.new, entry.old, entry.date, entry.evidence.url)
                direct.setdefault(entry.new, []).append(rename)
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


def _procedure_links(procedure: Procedure, links: Mapping[str, Link]) -> list[Link]:
    ids = [i for lang in LANGS for step in getattr(procedure.steps, lang) for i in step.links]
    ids += [i for lang in LANGS if (i := _action_link(procedure, lang)) is not None]
    return [links[i] for i in dict.fromkeys(ids) if i in links]


# --- freshness, from a report ---------------------------------------------------------------


def freshness(
    steps: Sequence[GuideStep],
    action: GuideAction | None,
    report: ReportView | None,
    lang: Lang,
) -> Freshness | None:
    """What the report's check found for the links and labels a procedure shows in `lang`, in
    one line; None without a report. Says "up to date" only of what was checked and found:
    a link that was not checked, was turned away or failed, or a label missed, is named."""
    if report is None:
        return None
    w = WORDS[lang]
    shown = ([action.link] if action else []) + [link for step in steps for link in step.links]
    shown = list({link.url: link for link in shown}.values())
    if not shown:
        return Freshness("info", w["fresh_no_link"])
    day = report_date(report)
    problems: list[str] = []
    warning = False
    for link in shown:
        name = quoted(link.name, lang)
        reported = report.link(link.url)
        outcome = reported.outcome if reported is not None else None
        if reported is None:
            problems.append(w["fresh_p_unchecked"].format(link=name))
        elif outcome == "blocked":
            problems.append(w["fresh_p_blocked"].format(link=name))
        elif outcome == "error":
            problems.append(w["fresh_p_error"].format(link=name))
            warning = True
        elif outcome == "broken":
            status = f" (HTTP {reported.status})" if reported.status else ""
            problems.append(w["fresh_p_broken"].format(link=name, status=status))
            warning = True
        elif outcome == "redirected":
            problems.append(w["fresh_p_moved"].format(link=name))
        if read := archive_reading(report, link.url, name, lang):
            problems.append(read)
    labels = [label for step in steps for label in step.labels]
    gone = [quoted(label.text, lang) for label in labels if label.check.missing_on is not None]
    unseen = [
        quoted(label.text, lang)
        for label in labels
        if label.check.watched and not label.check.seen and label.check.missing_on is None
    ]
    if gone:
        problems.append(w["fresh_p_label"].format(labels=", ".join(dict.fromkeys(gone))))
        warning = True
    if unseen:
        problems.append(w["fresh_p_unseen"].format(labels=", ".join(dict.fromkeys(unseen))))
    seen = [label.check.seen for label in labels]
    if problems:
        what = w["fresh_and"].join(dict.fromkeys(problems))
    elif seen and all(seen):
        what = w["fresh_all"]
    elif any(seen):
        what = w["fresh_some"]
    else:
        what = w["fresh_links_only"]
    when = long_date(day, lang) if day else report.started_at
    text = w["fresh_line"].format(date=when, what=what)
    return Freshness("warning" if warning else "info" if problems else "ok", text)


#: A page read from the web archive's copy (kept beside the one function using it).
_ARCHIVE_READING: dict[Lang, str] = {
    "fr": "les libellés de {link} ont été vérifiés sur la copie qu’en garde la Wayback Machine, "
    "datée du {date}",
    "en": "the labels of {link} were checked on the Wayback Machine's copy of {date}",
}


def archive_reading(report: ReportView, url: str, name: str, lang: Lang) -> str | None:
    """How the last check read the watched page `url` (named `name`), when the guide must say
    it: from the web archive's copy, and of which day. None for a page read live or in the
    browser (a page not read at all has its link's words), or a report that does not say."""
    page = report.page(url)
    archived = page.archive.archived if page is not None and page.archive is not None else None
    if page is None or page.read_from != "archive" or archived is None:
        return None
    day = long_date(dt.date.fromisoformat(archived.date), lang)
    return _ARCHIVE_READING[lang].format(link=name, date=day)


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
        CNIL_GUIDE_URL=CNIL_GUIDE_URL,
        CNIL_FURTHER_READING=CNIL_FURTHER_READING,
        reservation=_reservation,
        label_of=_label_of,
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
        common = {"lang": lang, "langs": list(langs), "w": WORDS[lang], "root": "../"}
        files[f"{lang}/index.html"] = env.get_template("index.html.j2").render(
            platforms=views,
            channels=list(dict.fromkeys(c for v in views for c in v.channels)),
            surfaces=list(dict.fromkeys(s for v in views for s in v.surfaces)),
            page="index.html",
            checked=long_date(day, lang) if day else None,
            **common,
        )
        # A platform page dates each procedure's check in its freshness line only.
        for view in views:
            files[f"{lang}/{view.id}.html"] = env.get_template("platform.html.j2").render(
                platform=view, page=f"{view.id}.html", checked=None, **common
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
    return f"**{_md(label.text)}** <sub>{_md(check_text(label.check, lang))}</sub>"


def _reservation(lang: Lang) -> str:
    """The CNIL's reservation: its own words in French, a translation in English."""
    return CNIL_RESERVATION if lang == "fr" else CNIL_RESERVATION_EN


def _md_platform(view: GuidePlatform, lang: Lang) -> list[str]:
    w = WORDS[lang]
    lines = [f'<a id="{view.id}"></a>', "", f"## {_md(_name(view))}", ""]
    if view.aliases:
        lines += [f"{_md(w['also_called'])}{_colon(lang)} {_md(', '.join(view.aliases))}", ""]
    for procedure in view.procedures:
        lines += [f"### {_md(procedure.title)}", ""]
        if procedure.action is not None:
            link = procedure.action.link
            note = f" ({_md(link.language_note)})" if link.language_note else ""
            lines += [f"**{_md(procedure.action.label)}**{note}{_colon(lang)} "
                      f"{autolink(link.url)}", ""]  # fmt: skip
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
            for step_note in step.notes:
                where = autolink(step_note.source.url) if step_note.source else ""
                lines.append(f"   {_md(step_note.text)}{where}")
        lines += ["", f"- {_md(w['stops'])}{_colon(lang)} {_md(procedure.stops)}",
                  f"- {_md(procedure.effort)}"]  # fmt: skip
        lines += [f"- {_md(caveat)}" for caveat in procedure.caveats]
        if procedure.freshness is not None:
            lines.append(f"- {_md(procedure.freshness.text)}")
        lines.append("")
    lines += [f"**{_md(w['sources'])}**", ""]
    for source in view.sources:
        published = w["published"].format(publisher=source.publisher, date=source.date)
        lines.append(
            f"- {_md(source.title)} ({_md(published)}){_colon(lang)} {autolink(source.url)}"
        )
    lines += ["", _md(w["last_reviewed"].format(date=view.last_reviewed)), ""]
    return lines


def _name(view: GuidePlatform) -> str:
    """`ChatGPT (OpenAI)`, but `DeepSeek` alone."""
    if view.provider.casefold() == view.service.casefold():
        return view.service
    return f"{view.service} ({view.provider})"


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
        lines += [f"> {_md(_reservation(lang))} ({autolink(CNIL_GUIDE_URL)})", ""]
        lines += [f"**{_md(w['markdown_index'])}**", ""]
        lines += [f"- [{_md(_name(v))}](#{v.id})" for v in views]
        lines.append("")
        for view in views:
            lines += _md_platform(view, lang)
        lines += [f"**{_md(w['further_reading'])}**", ""]
        lines += [f"- {_md(names[lang])}{_colon(lang)} {autolink(url)}"
                  for url, names in CNIL_FURTHER_READING]  # fmt: skip
        lines += ["", _md(w["footer"]), ""]
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
