"""A fetch result → one outcome (ok, redirected, broken, blocked, error) and why. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from selectolax.lexbor import LexborHTMLParser

from optout_watch.fetching.failures import FAILURES, FetchErrorKind, Outcome
from optout_watch.fetching.link_shape import (
    is_sign_in_url,
    locale_free_segments,
    path_segments,
)
from optout_watch.fetching.model import FetchResult


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    reason: str
    """One sentence saying what was seen, so a maintainer can act."""
    new_url: str | None = None
    """For `redirected`: where the catalogue should point."""
    failure: FetchErrorKind | None = None
    """The kind of failure when no answer could be judged (see `failures.FAILURES`)."""

    @property
    def counts_towards_outage(self) -> bool:
        return self.failure is not None and FAILURES[self.failure].counts_towards_outage


_PERMANENT = frozenset({301, 308})
#: LinkedIn's answer to requests it takes for robots.
_LINKEDIN_WALL = 999
#: Statuses with which bot walls serve their challenge pages.
_CHALLENGE_STATUSES = frozenset({403, 429, 503})
_LOCALE_PARAMETERS = frozenset({"hl", "lang", "locale"})

# Titles and headings of "not found" pages, accent- and case-folded, straight apostrophes.
_NOT_FOUND = re.compile(
    r"\b(?:"
    r"404|not found|page (?:does not|doesn't|no longer) exists?"
    r"|(?:can't|cannot|can not|couldn't|could not) find (?:that|the|this) page"
    r"|this (?:page|content) (?:isn't|is not) available"
    r"|page (?:est )?introuvable|page non trouvee|page inexistante"
    r"|cette page n'existe (?:pas|plus)|la page (?:demandee |que vous \w+ )?n'existe (?:pas|plus)"
    r"|impossible de trouver (?:cette|la) page"
    r"|nous ne (?:trouvons|parvenons pas a trouver) (?:pas )?(?:cette|la) page"
    r"|seite (?:wurde )?nicht gefunden|pagina no encontrada|pagina non trovata"
    r"|pagina nao encontrada|pagina niet gevonden"
    r")\b"
)
_CHALLENGE_TITLE = re.compile(
    r"just a moment|attention required|access denied|verifying you are human"
    r"|verify you are (?:a )?human|pardon our interruption|robot check|are you a robot",
    re.IGNORECASE,
)
_CHALLENGE_MARKERS = (
    "challenge-platform",
    "cf-turnstile",
    "g-recaptcha",
    "h-captcha",
    "captcha-delivery.com",
    "px-captcha",
    "errors.edgesuite.net",
)
#: How much of a heading a reason quotes.
_QUOTE_CHARS = 120


def judge(result: FetchResult, *, sign_in_expected: bool = False) -> Verdict:
    """The outcome of one fetch.

    `sign_in_expected` is for links to settings that need an account: reaching a sign-in page
    is then what a working link does.
    """
    if result.error is not None:
        kind = result.error.kind
        outcome = FAILURES[kind].outcome
        reason = result.error.message
        if outcome is Outcome.ERROR:
            reason = _after_attempts(reason, result.attempts)
        return Verdict(outcome, reason, failure=kind)
    status = result.status
    if status is None:
        return Verdict(Outcome.ERROR, "no response")
    if 200 <= status < 300 or status == 304:
        verdict = _judge_working(result, status, sign_in_expected)
        if result.truncated:
            # Judged on what was read, as for any body over the cap; the reason says it was cut,
            # so that a body inflating without end (a decompression bomb) is named for what it is.
            return replace(verdict, reason=f"{verdict.reason}; {_too_large(result)}")
        return verdict
    if status in _CHALLENGE_STATUSES and (evidence := _challenge(result)):
        return Verdict(
            Outcome.BLOCKED, f"{_status_line(status)} with a bot challenge ({'; '.join(evidence)})"
        )
    if status == 401:
        return Verdict(Outcome.BLOCKED, f"{_status_line(status)}: the page asks for credentials")
    if status == 403:
        return Verdict(
            Outcome.BLOCKED,
            f"{_status_line(status)} without a challenge page: the server refuses the probe",
        )
    if status == 429:
        return Verdict(Outcome.BLOCKED, _after_attempts(_status_line(status), result.attempts))
    if status == _LINKEDIN_WALL:
        return Verdict(Outcome.BLOCKED, "HTTP 999: LinkedIn's answer to automated requests")
    if 300 <= status < 400:
        return Verdict(
            Outcome.BROKEN, f"{_status_line(status)}: a redirect without a usable Location header"
        )
    if 400 <= status < 500:
        return Verdict(Outcome.BROKEN, _status_line(status))
    if 500 <= status < 600:
        return Verdict(Outcome.ERROR, _after_attempts(_status_line(status), result.attempts))
    return Verdict(Outcome.ERROR, f"unexpected {_status_line(status)}")


def _too_large(result: FetchResult) -> str:
    mebibytes, rest = divmod(len(result.body), 1024 * 1024)
    cap = f"{mebibytes} MiB" if mebibytes and not rest else f"{len(result.body):,}-byte"
    return f"too large: the body goes on past the {cap} cap, judged on what was read"


def _judge_working(result: FetchResult, status: int, sign_in_expected: bool) -> Verdict:
    status_line = _status_line(status)
    if status != 304 and (heading := _not_found_heading(result)):
        return Verdict(Outcome.BROKEN, f"soft 404: {heading}")
    if not result.redirects:
        return Verdict(Outcome.OK, status_line)
    original, final = result.url, result.final_url
    if is_sign_in_url(final) and not is_sign_in_url(original):
        if sign_in_expected:
            return Verdict(
                Outcome.OK,
                f"{status_line} on a sign-in page ({final}), "
                "as expected for a page that needs an account",
            )
        return Verdict(Outcome.BROKEN, f"soft 404: redirected to a sign-in page ({final})")
    if locale_free_segments(original) and not locale_free_segments(final):
        return Verdict(
            Outcome.BROKEN, f"soft 404: the deep link was redirected to the site's home ({final})"
        )
    changes = _trivial_changes(original, final)
    if changes is not None:
        return Verdict(
            Outcome.OK,
            f"{status_line} after a trivial redirect ({', '.join(changes) or 'same page'})",
        )
    moves = [
        hop
        for hop in result.redirects
        if hop.status in _PERMANENT and _trivial_changes(hop.url, hop.location) is None
    ]
    if moves:
        return Verdict(
            Outcome.REDIRECTED,
            f"moved permanently (HTTP {moves[0].status}) to {final}",
            new_url=final,
        )
    statuses = ", ".join(str(hop.status) for hop in result.redirects)
    redirects = "a temporary redirect" if len(result.redirects) == 1 else "redirects"
    return Verdict(Outcome.OK, f"{status_line} after {redirects} (HTTP {statuses}) to {final}")


def _status_line(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _after_attempts(reason: str, attempts: int) -> str:
    return f"{reason}, still after {attempts} attempts" if attempts > 1 else reason


def _html(result: FetchResult) -> str | None:
    """The page's text when it is an HTML page (or says nothing of its type)."""
    content_type = result.headers.get("content-type", "html").lower()
    if not result.body or "html" not in content_type:
        return None
    return result.text()


def _first_text(tree: LexborHTMLParser, selector: str) -> str:
    node = tree.css_first(selector)
    return " ".join(node.text().split()) if node is not None else ""


def _fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes: what `_NOT_FOUND` is written in."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("ʼ", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _quote(text: str) -> str:
    short = text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"
    return f"“{short}”"


def _not_found_heading(result: FetchResult) -> str | None:
    """'the page title says “…”' when the title or first heading says the page is missing."""
    page = _html(result)
    if page is None:
        return None
    tree = LexborHTMLParser(page)
    for selector, name in (("title", "the page title"), ("h1", "the first heading")):
        text = _first_text(tree, selector)
        if _NOT_FOUND.search(_fold(text)):
            return f"{name} says {_quote(text)}"
    return None


def _challenge(result: FetchResult) -> list[str]:
    """What shows a bot wall: a header, the page title, known challenge scripts."""
    evidence = []
    if "challenge" in result.headers.get("cf-mitigated", "").lower():
        evidence.append(f"header cf-mitigated: {result.headers['cf-mitigated']}")
    page = _html(result)
    if page is not None:
        title = _first_text(LexborHTMLParser(page), "title")
        if _CHALLENGE_TITLE.search(title):
            evidence.append(f"title {_quote(title)}")
        lowered = page.lower()
        evidence.extend(f"marker {marker}" for marker in _CHALLENGE_MARKERS if marker in lowered)
    return evidence


def _trivial_changes(before: str, after: str) -> list[str] | None:
    """What changed between two URLs of the same page (http → https, `www.`, a trailing slash,
    a locale), or None when `after` is another page."""
    old, new = urlsplit(before), urlsplit(after)
    changes: list[str] = []
    if old.scheme != new.scheme:
        if (old.scheme, new.scheme) != ("http", "https") or old.port or new.port:
            return None
        changes.append("http → https")
    elif old.port != new.port:
        return None
    old_host, new_host = (old.hostname or "").lower(), (new.hostname or "").lower()
    if old_host != new_host:
        if old_host.removeprefix("www.") != new_host.removeprefix("www."):
            return None
        changes.append("www. added" if new_host.startswith("www.") else "www. removed")
    if locale_free_segments(before) != locale_free_segments(after):
        return None
    if path_segments(before) != path_segments(after):
        changes.append("locale")
    elif old.path.endswith("/") != new.path.endswith("/"):
        changes.append("trailing slash")
    old_query, new_query = parse_qsl(old.query, True), parse_qsl(new.query, True)
    if _without_locale(old_query) != _without_locale(new_query):
        return None
    if sorted(old_query) != sorted(new_query) and "locale" not in changes:
        changes.append("locale")
    return changes


def _without_locale(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in query if name not in _LOCALE_PARAMETERS)
