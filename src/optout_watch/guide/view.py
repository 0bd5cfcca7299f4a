"""The guide's view of the catalogue: each platform as a reader sees it in one language,
with, when a report is given, what the last check found (`freshness`)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from optout_watch.catalogue.models import Link, Platform, Procedure, Step
from optout_watch.guide.freshness import freshness
from optout_watch.guide.label_checks import LabelStatuses, check_of, label_checks
from optout_watch.guide.model import (
    GuideAction,
    GuideLink,
    GuidePlatform,
    GuideProcedure,
    GuideSource,
    GuideStep,
    Segment,
    StepNote,
    UiLabel,
)
from optout_watch.guide.words import (
    ACCOUNT_MARKS,
    AUDIENCES,
    EFFORT_LEVELS,
    EFFORTS,
    LANGS,
    LINK_KINDS,
    SURFACES,
    WORDS,
    Lang,
    in_language,
    long_date,
    quoted,
)
from optout_watch.report.people import ReportView


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
    date = long_date(rename.date, lang)
    text = w["formerly_step"].format(
        label=quoted(label, lang), old=quoted(rename.old, lang), date=date
    )
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
    date: dt.date
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
        chain.sort(key=lambda r: r.date, reverse=True)
        found[label] = chain
    return found


def _procedure_links(procedure: Procedure, links: Mapping[str, Link]) -> list[Link]:
    ids = [i for lang in LANGS for step in getattr(procedure.steps, lang) for i in step.links]
    ids += [i for lang in LANGS if (i := _action_link(procedure, lang)) is not None]
    return [links[i] for i in dict.fromkeys(ids) if i in links]
