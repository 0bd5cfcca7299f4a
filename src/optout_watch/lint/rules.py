"""The rule registry: every problem `validate` can report, with a stable code and its reason.

Codes never change meaning once published; a retired rule keeps its code unused. Rules whose
`check` is None are reported by the loader (OW1xx) or the schema stage (OW201, OW202) and by the
runner for cross-file problems; they are listed here so that `optout-watch rules` documents them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from optout_watch.catalogue.coverage import label_decisions, primary_language
from optout_watch.fetching.addresses import browser_host
from optout_watch.pages.extract import (
    InvalidPattern,
    InvalidSelector,
    check_selector,
    compile_ignore,
    match_key,
)
from optout_watch.severity import Severity

if TYPE_CHECKING:  # annotations only: `optout-watch rules` lists the rules without the models
    from optout_watch.catalogue.loader import Document, JsonPath
    from optout_watch.catalogue.models import Localized, Platform, Step

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/platform.schema.json"

#: Parameters that identify a visit, a session or a campaign rather than a page.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "visit_id", "sjid", "sessionid", "session_id",
        "sid", "jsessionid", "phpsessid", "ref", "ref_src", "ref_url", "trk", "trkinfo",
        "li_fat_id", "si", "s_cid", "cmpid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
#: Parameters that are tracking only on some hosts (elsewhere they may select content).
TRACKING_PARAMETERS_BY_HOST = {
    "support.google.com": frozenset({"p", "rd"}),
    "www.whatsapp.com": frozenset({"b"}),
}
#: Suffixes reserved for private, local or documentation use; never public hosts.
NON_PUBLIC_SUFFIXES = (
    "localhost", "local", "internal", "intranet", "lan", "home", "corp", "home.arpa",
    "test", "example", "invalid", "onion",
)  # fmt: skip
NON_BREAKING_SPACES = "\u00a0\u202f"


@dataclass(frozen=True, slots=True)
class RuleSettings:
    today: dt.date
    max_review_age_days: int = 180


@dataclass(frozen=True, slots=True)
class PlatformFile:
    """What a content rule looks at: the parsed platform and where its values stand."""

    document: Document
    platform: Platform
    settings: RuleSettings


@dataclass(frozen=True, slots=True)
class Hit:
    path: JsonPath
    message: str
    #: Point at the mapping key rather than its value.
    at_key: bool = False


Check = Callable[[PlatformFile], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    rationale: str
    check: Check | None = None
    #: Problems that stop a file from being read at all cannot be silenced.
    can_ignore: bool = True


# --- URLs -----------------------------------------------------------------------------------


def _urls(file: PlatformFile) -> Iterator[tuple[JsonPath, str]]:
    for index, source in enumerate(file.platform.sources):
        yield ("sources", index, "url"), source.url
    for index, link in enumerate(file.platform.links):
        yield ("links", index, "url"), link.url


def check_https(file: PlatformFile) -> Iterator[Hit]:
    for path, url in _urls(file):
        if urlsplit(url).scheme != "https":
            yield Hit(path, f"{url} is not https; use the https:// address of the page")


def check_credentials(file: PlatformFile) -> Iterator[Hit]:
    for path, url in _urls(file):
        if "@" in urlsplit(url).netloc:
            yield Hit(path, "URL carries a user name or password; remove the part before '@'")


def _tracking_names(url: str) -> list[str]:
    parts = urlsplit(url)
    by_host = TRACKING_PARAMETERS_BY_HOST.get((parts.hostname or "").lower(), frozenset())
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    return [
        name
        for name in names
        if name.lower() in TRACKING_PARAMETERS
        or name.lower().startswith(TRACKING_PREFIXES)
        or name in by_host
    ]


def check_tracking_parameters(file: PlatformFile) -> Iterator[Hit]:
    for path, url in _urls(file):
        names = _tracking_names(url)
        if names:
            listed = ", ".join(sorted(set(names)))
            yield Hit(path, f"URL carries session or tracking parameters ({listed}); remove them")


def _host_problem(host: str) -> str | None:
    # Read as a browser reads it: `127.1` or `0x7f.0.0.1` is 127.0.0.1, not a name.
    try:
        read = browser_host(host)
    except ValueError as error:
        return f"host {host} is not one that browsers accept ({error}); use the site's DNS name"
    if not isinstance(read, str):
        shown = "" if str(read) == host.strip("[]") else f" (browsers read it as {read})"
        return f"host {host} is an IP address{shown}; use the site's public DNS name"
    name = read.rstrip(".")
    if len(name.split(".")) < 2:
        return f"host {host!r} is not a public DNS name (no domain); use the full host name"
    for suffix in NON_PUBLIC_SUFFIXES:
        if name.endswith("." + suffix) or name == suffix:
            return f"host {host} is in the reserved .{suffix} domain; use a public host name"
    return None


def check_public_host(file: PlatformFile) -> Iterator[Hit]:
    for path, url in _urls(file):
        problem = _host_problem(urlsplit(url).hostname or "")
        if problem:
            yield Hit(path, problem)


def check_text_fragment(file: PlatformFile) -> Iterator[Hit]:
    for path, url in _urls(file):
        if ":~:" in urlsplit(url).fragment:
            yield Hit(path, "URL carries a browser text fragment (#:~:text=…); remove it")


# --- identifiers and references ---------------------------------------------------------------


def check_duplicate_ids(file: PlatformFile) -> Iterator[Hit]:
    for collection in ("procedures", "links"):
        items = getattr(file.platform, collection)
        counts = Counter(item.id for item in items)
        seen: set[str] = set()
        for index, item in enumerate(items):
            if counts[item.id] > 1 and item.id in seen:
                yield Hit(
                    (collection, index, "id"),
                    f"{collection[:-1]} id {item.id!r} is used twice; give each a unique id",
                )
            seen.add(item.id)


def _steps(file: PlatformFile) -> Iterator[tuple[JsonPath, str, Step]]:
    """Every step of every procedure, with its path and language."""
    for p_index, procedure in enumerate(file.platform.procedures):
        for lang, steps in (("fr", procedure.steps.fr), ("en", procedure.steps.en)):
            for s_index, step in enumerate(steps):
                yield ("procedures", p_index, "steps", lang, s_index), lang, step


def _action_links(file: PlatformFile) -> Iterator[tuple[JsonPath, str]]:
    for index, procedure in enumerate(file.platform.procedures):
        if procedure.action is None:
            continue
        path: JsonPath = ("procedures", index, "action", "link")
        link = procedure.action.link
        if isinstance(link, str):
            yield path, link
        else:
            yield (*path, "fr"), link.fr
            yield (*path, "en"), link.en


def check_unknown_links(file: PlatformFile) -> Iterator[Hit]:
    known = {link.id for link in file.platform.links}
    named: list[tuple[JsonPath, str, str]] = [
        ((*path, "links", index), "step", link_id)
        for path, _, step in _steps(file)
        for index, link_id in enumerate(step.links)
    ]
    named += [(path, "action", link_id) for path, link_id in _action_links(file)]
    for path, where, link_id in named:
        if link_id not in known:
            yield Hit(
                path,
                f"{where} names link {link_id!r}, which is not in this file's links; "
                f"add it to links or fix the id (known: {', '.join(sorted(known))})",
            )


def check_alias_sources(file: PlatformFile) -> Iterator[Hit]:
    sources = {source.url for source in file.platform.sources}
    for index, alias in enumerate(file.platform.aliases):
        if alias.source not in sources:
            yield Hit(
                ("aliases", index, "source"),
                f"alias {alias.name!r} cites {alias.source}, which is not one of this file's "
                "sources; add the page that uses this name to sources, or cite one that does",
            )


def check_unused_links(file: PlatformFile) -> Iterator[Hit]:
    used = {link_id for _, _, step in _steps(file) for link_id in step.links}
    used |= {link_id for _, link_id in _action_links(file)}
    for index, link in enumerate(file.platform.links):
        if link.id not in used:
            yield Hit(
                ("links", index, "id"),
                f"link {link.id!r} is used by no step; name it in the steps that use it "
                "or remove it",
            )


# --- languages and labels ---------------------------------------------------------------------


def check_step_counts(file: PlatformFile) -> Iterator[Hit]:
    for index, procedure in enumerate(file.platform.procedures):
        french, english = len(procedure.steps.fr), len(procedure.steps.en)
        if french != english:
            yield Hit(
                ("procedures", index, "steps"),
                f"procedure {procedure.id!r} has {french} French steps and {english} English "
                "steps; translate step by step so that both say the same",
                at_key=True,
            )


def check_labels_in_text(file: PlatformFile) -> Iterator[Hit]:
    for path, _, step in _steps(file):
        for index, label in enumerate(step.ui):
            if label not in step.text:
                yield Hit(
                    (*path, "ui", index),
                    f"label {label!r} does not appear in the step's text; quote it there "
                    "exactly as the interface shows it",
                )


_BARE_GUILLEMET = re.compile(rf"«(?![{NON_BREAKING_SPACES}])|(?<![{NON_BREAKING_SPACES}])»")


def _french_texts(file: PlatformFile) -> Iterator[tuple[JsonPath, str]]:
    for p_index, procedure in enumerate(file.platform.procedures):
        base: JsonPath = ("procedures", p_index)
        localized: list[tuple[JsonPath, Localized]] = [
            ((*base, "title"), procedure.title),
            ((*base, "stops"), procedure.stops),
        ]
        for path, text in localized:
            yield (*path, "fr"), text.fr
        for i, caveat in enumerate(procedure.caveats):
            if caveat.fr is not None:
                yield (*base, "caveats", i, "fr"), caveat.fr
        for s_index, step in enumerate(procedure.steps.fr):
            yield (*base, "steps", "fr", s_index, "text"), step.text


def check_french_guillemets(file: PlatformFile) -> Iterator[Hit]:
    for path, text in _french_texts(file):
        if _BARE_GUILLEMET.search(text):
            yield Hit(
                path,
                "French guillemets need a non-breaking space inside: write «\u00a0…\u00a0» "
                "with U+00A0 (or U+202F), not a plain space",
            )
    for path, lang, step in _steps(file):
        if lang != "fr":
            continue
        for index, label in enumerate(step.ui):
            quoted = re.compile(
                rf"«[{NON_BREAKING_SPACES}]{re.escape(label)}[{NON_BREAKING_SPACES}]»"
            )
            if label in step.text and not quoted.search(step.text):
                yield Hit(
                    (*path, "ui", index),
                    f"French label {label!r} must stand in guillemets in the text: "
                    f"«\u00a0{label}\u00a0» (with non-breaking spaces)",
                )


# --- watch settings -----------------------------------------------------------------------------


def check_ignore_patterns(file: PlatformFile) -> Iterator[Hit]:
    for l_index, link in enumerate(file.platform.links):
        for index, pattern in enumerate(link.watch.ignore if link.watch else []):
            try:
                compile_ignore(pattern)
            except InvalidPattern as error:
                yield Hit(("links", l_index, "watch", "ignore", index), f"{error}; fix it")


def check_selectors(file: PlatformFile) -> Iterator[Hit]:
    for l_index, link in enumerate(file.platform.links):
        if link.watch is None:
            continue
        selectors: list[tuple[JsonPath, str]] = []
        if link.watch.select:
            selectors.append((("links", l_index, "watch", "select"), link.watch.select))
        selectors += [
            (("links", l_index, "watch", "remove", i), s) for i, s in enumerate(link.watch.remove)
        ]
        for path, selector in selectors:
            try:
                check_selector(selector)
            except InvalidSelector as error:
                yield Hit(path, f"{error}; fix its syntax")


def check_watch_select(file: PlatformFile) -> Iterator[Hit]:
    for l_index, link in enumerate(file.platform.links):
        if link.watch is not None and link.watch.select is None:
            yield Hit(
                ("links", l_index, "watch"),
                f"link {link.id!r} watches the whole page, menus, sidebars and footers "
                "included; add `select:` with the CSS selector of the article body, taken "
                "from the page's structure",
                at_key=True,
            )


def check_label_decisions(file: PlatformFile) -> Iterator[Hit]:
    """OW508: every step label is watched or its `unwatched_labels` entry says why not; an
    entry for a label no step names, or that a watched page expects, is stale."""
    decisions = {(d.lang, match_key(d.label)): d for d in label_decisions(file.platform)}
    reported: set[tuple[str, str]] = set()
    for path, lang, step in _steps(file):
        for index, label in enumerate(step.ui):
            key = (lang, match_key(label))
            if decisions[key].decided or key in reported:
                continue
            reported.add(key)
            yield Hit(
                (*path, "ui", index),
                f"label {label!r} is expected by no watched page in {lang!r} of this platform; "
                f"add it to the `expect` of the {lang!r} page that documents it, or list it "
                f"under `unwatched_labels` with `lang: {lang}` and the reason no page can "
                "check it",
            )
    for index, entry in enumerate(file.platform.unwatched_labels):
        decision = decisions.get((primary_language(entry.lang), match_key(entry.label)))
        if decision is None:
            problem = f"no {entry.lang!r} step names {entry.label!r}"
        elif decision.watched:
            problem = f"{entry.label!r} is watched by {', '.join(decision.watched_by)}"
        else:
            continue
        yield Hit(
            ("unwatched_labels", index, "label"),
            f"{problem}; remove this `unwatched_labels` entry (or fix its label or lang)",
        )


# --- dates and file conventions -----------------------------------------------------------------


def check_review_age(file: PlatformFile) -> Iterator[Hit]:
    age = (file.settings.today - file.platform.last_reviewed).days
    if age > file.settings.max_review_age_days:
        yield Hit(
            ("last_reviewed",),
            f"last reviewed {age} days ago (limit {file.settings.max_review_age_days}); "
            "check every fact against its sources and update last_reviewed",
        )


def check_future_dates(file: PlatformFile) -> Iterator[Hit]:
    dated: list[tuple[JsonPath, dt.date]] = [(("last_reviewed",), file.platform.last_reviewed)]
    dated += [(("sources", i, "date"), s.date) for i, s in enumerate(file.platform.sources)]
    for path, date in dated:
        if date > file.settings.today:
            yield Hit(path, f"date {date.isoformat()} is in the future; use the real date")


def check_schema_comment(file: PlatformFile) -> Iterator[Hit]:
    first = file.document.lines[0] if file.document.lines else ""
    if first.strip() != SCHEMA_COMMENT:
        yield Hit(
            (),
            f"first line must be '{SCHEMA_COMMENT}' so that editors check the file as you type",
        )


def check_id_matches_file_name(file: PlatformFile) -> Iterator[Hit]:
    stem = file.document.path.stem
    if file.platform.id != stem:
        yield Hit(
            ("id",),
            f"id {file.platform.id!r} differs from the file name {stem!r}; rename the file "
            f"to {file.platform.id}.yaml or change the id",
        )


ERROR, WARNING = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    Rule("OW101", "not-utf8", ERROR, "Files are read as UTF-8; other encodings garble labels.",
         can_ignore=False),
    Rule("OW102", "file-too-large", ERROR,
         "A size cap keeps a hostile file from exhausting memory.", can_ignore=False),
    Rule("OW103", "yaml-syntax", ERROR, "A file that does not parse cannot be checked at all.",
         can_ignore=False),
    Rule("OW104", "duplicate-key", ERROR,
         "YAML parsers keep one of two duplicate keys silently; the other value is lost.",
         can_ignore=False),
    Rule("OW105", "unsafe-tag", ERROR,
         "Explicit tags can construct arbitrary objects; the catalogue is plain data.",
         can_ignore=False),
    Rule("OW106", "yaml-alias", ERROR,
         "Aliases hide content and allow exponential expansion (alias bombs).",
         can_ignore=False),
    Rule("OW107", "tab-indentation", ERROR,
         "YAML forbids tabs in indentation; editors show them inconsistently.",
         can_ignore=False),
    Rule("OW108", "schema-comment", ERROR,
         "The first-line schema comment makes editors validate the file as it is typed.",
         check_schema_comment),
    Rule("OW201", "schema", ERROR,
         "The structure must match schema/platform.schema.json, which editors also use.",
         can_ignore=False),
    Rule("OW202", "id-matches-file-name", ERROR,
         "One platform per file, named by its id, so that ids are unique and easy to find.",
         check_id_matches_file_name),
    Rule("OW301", "https-only", ERROR,
         "Readers follow these links; plain http exposes them to tampering.", check_https),
    Rule("OW302", "url-credentials", ERROR,
         "Credentials in a URL would be published with the guide.", check_credentials),
    Rule("OW303", "tracking-parameter", ERROR,
         "Session and tracking parameters identify whoever copied the link and expire.",
         check_tracking_parameters),
    Rule("OW304", "public-host", ERROR,
         "The guide is public: a private, local or IP-literal host works for nobody else "
         "and makes the checker probe internal networks.", check_public_host),
    Rule("OW305", "text-fragment", ERROR,
         "Browser text fragments (#:~:text=) are scroll hints, not part of the address.",
         check_text_fragment),
    Rule("OW401", "duplicate-id", ERROR,
         "Ids name procedures, links and platforms in reports and issues: they must be unique.",
         check_duplicate_ids),
    Rule("OW402", "unknown-link", ERROR,
         "A step that names a missing link points the reader nowhere.", check_unknown_links),
    Rule("OW403", "unused-link", ERROR,
         "A link no step uses is probed and watched for nothing; readers never see it.",
         check_unused_links),
    Rule("OW404", "unknown-alias-source", ERROR,
         "An alias is a fact: the page that uses the name must be one of the file's sources.",
         check_alias_sources),
    Rule("OW501", "step-count-mismatch", ERROR,
         "French and English steps are translations of each other, step by step.",
         check_step_counts),
    Rule("OW502", "label-not-in-text", ERROR,
         "A reader looks for the label the text names; the two must agree verbatim.",
         check_labels_in_text),
    Rule("OW503", "french-guillemets", ERROR,
         "French typography quotes interface labels in « » with non-breaking spaces, "
         "which keep the guillemets on the label's line.", check_french_guillemets),
    Rule("OW504", "invalid-ignore-pattern", ERROR,
         "An ignore pattern that does not compile would make the watch fail every night.",
         check_ignore_patterns),
    Rule("OW505", "invalid-selector", ERROR,
         "A select or remove selector that does not parse would make the watch fail.",
         check_selectors),
    Rule("OW506", "conflicting-watch", ERROR,
         "Links watching one URL share one fetch and one extraction of its text: they must "
         "agree on select, remove, ignore and render, or one link's settings would be dropped."),
    Rule("OW507", "watch-without-select", WARNING,
         "Without a scope, menus, sidebars and footers are watched as content and their "
         "rewording is reported as a page change.", check_watch_select),
    Rule("OW508", "undecided-label", WARNING,
         "The guide prints every step label as something to look for on screen: each one is "
         "either checked on a watched page of its language, or the catalogue says why no page "
         "can check it, so that nothing is claimed as checked that is not.",
         check_label_decisions),
    Rule("OW601", "stale-review", WARNING,
         "Platforms rename menus every few months; an old review is probably out of date.",
         check_review_age),
    Rule("OW602", "future-date", ERROR,
         "A date in the future is a typo and would hide a stale review.", check_future_dates),
)  # fmt: skip

RULES_BY_CODE = {rule.code: rule for rule in RULES}
