"""The judge on constructed fetch results: the cases a loopback server cannot show (other
schemes and host names) and the vocabulary's edges."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optout_watch.fetching.failures import FetchErrorKind, Outcome
from optout_watch.fetching.judge import Verdict, judge
from optout_watch.fetching.model import FetchError, FetchResult, Hop, Validators

HTML = {"content-type": "text/html; charset=utf-8"}


def result(
    url: str = "https://help.example.com/privacy",
    *,
    status: int | None = 200,
    hops: tuple[tuple[int, str], ...] = (),
    headers: dict[str, str] | None = None,
    body: bytes = b"<html><head><title>Privacy</title></head><body><h1>Privacy</h1></body></html>",
    error: FetchError | None = None,
    attempts: int = 1,
) -> FetchResult:
    """A fetch of `url` that went through `hops` (status, location) to its final answer."""
    redirects = []
    current = url
    for hop_status, location in hops:
        redirects.append(Hop(current, hop_status, location))
        current = location
    return FetchResult(
        url=url,
        final_url=current,
        status=status,
        headers=HTML if headers is None else headers,
        body=body,
        truncated=False,
        redirects=tuple(redirects),
        attempts=attempts,
        elapsed_ms=12,
        error=error,
        validators=Validators(),
    )


def title_page(title: str, heading: str = "Help") -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><h1>{heading}</h1></body></html>".encode()
    )


@pytest.mark.parametrize(
    ("url", "location", "changes"),
    [
        ("http://help.example.com/privacy", "https://help.example.com/privacy", "http → https"),
        ("https://example.com/privacy", "https://www.example.com/privacy", "www. added"),
        ("https://www.example.com/privacy", "https://example.com/privacy", "www. removed"),
        ("https://example.com/privacy/", "https://example.com/privacy", "trailing slash"),
        ("https://example.com/privacy", "https://example.com/en-us/privacy", "locale"),
        ("https://example.com/fr/privacy", "https://example.com/de-de/privacy", "locale"),
        ("https://example.com/p?id=3", "https://example.com/p?id=3&hl=fr", "locale"),
        ("https://example.com/p?lang=en", "https://example.com/p?lang=fr", "locale"),
        (
            "http://example.com/privacy",
            "https://www.example.com/privacy/",
            "http → https, www. added, trailing slash",
        ),
    ],
)
def test_trivial_permanent_redirects_are_ok(url: str, location: str, changes: str) -> None:
    assert judge(result(url, hops=((301, location),))) == Verdict(
        Outcome.OK, f"HTTP 200 OK after a trivial redirect ({changes})"
    )


@pytest.mark.parametrize(
    "location",
    [
        "http://help.example.com/privacy",  # https → http is no upgrade
        "https://help.example.org/privacy",
        "https://help.example.com/privacy-center",
        "https://help.example.com/privacy?id=4",
        "https://help.example.com:8443/privacy",
    ],
)
def test_other_permanent_redirects_are_redirected(location: str) -> None:
    verdict = judge(result(hops=((308, location),)))
    assert verdict == Verdict(
        Outcome.REDIRECTED, f"moved permanently (HTTP 308) to {location}", new_url=location
    )


def test_a_trivial_hop_then_a_move_is_redirected_to_the_final_url() -> None:
    chain = (
        (301, "https://example.com/old"),
        (302, "https://example.com/old/"),
        (301, "https://example.com/new/"),
    )
    verdict = judge(result("http://example.com/old", hops=chain))
    assert verdict == Verdict(
        Outcome.REDIRECTED,
        "moved permanently (HTTP 301) to https://example.com/new/",
        new_url="https://example.com/new/",
    )


def test_trivial_move_then_temporary_redirect_is_ok() -> None:
    chain = ((301, "https://example.com/help"), (307, "https://example.com/help/2025"))
    assert judge(result("http://example.com/help", hops=chain)) == Verdict(
        Outcome.OK,
        "HTTP 200 OK after redirects (HTTP 301, 307) to https://example.com/help/2025",
    )


@pytest.mark.parametrize(
    "home",
    [
        "https://example.com/",
        "https://example.com",
        "https://example.com/fr/",
        "https://www.example.com/?hl=fr",
    ],
)
def test_deep_link_sent_home_is_a_soft_404(home: str) -> None:
    verdict = judge(result("https://example.com/help/ai", hops=((302, home),)))
    assert verdict == Verdict(
        Outcome.BROKEN, f"soft 404: the deep link was redirected to the site's home ({home})"
    )


def test_home_page_sent_to_a_locale_home_is_ok() -> None:
    verdict = judge(result("https://example.com/", hops=((302, "https://example.com/fr/"),)))
    assert verdict == Verdict(Outcome.OK, "HTTP 200 OK after a trivial redirect (locale)")


@pytest.mark.parametrize(
    "sign_in",
    [
        "https://accounts.google.com/ServiceLogin?continue=https://myaccount.google.com/data",
        "https://login.live.com/oauth20_authorize.srf",
        "https://www.linkedin.com/authwall?trk=settings",
        "https://www.facebook.com/login.php?next=settings",
        "https://example.com/users/sign_in",
    ],
)
def test_sign_in_redirects(sign_in: str) -> None:
    fetched = result("https://myaccount.example.com/data-and-privacy", hops=((302, sign_in),))
    assert judge(fetched) == Verdict(
        Outcome.BROKEN, f"soft 404: redirected to a sign-in page ({sign_in})"
    )
    assert judge(fetched, sign_in_expected=True) == Verdict(
        Outcome.OK,
        f"HTTP 200 OK on a sign-in page ({sign_in}), as expected for a page that needs an account",
    )


def test_a_login_page_linked_directly_is_ok() -> None:
    login = "https://login.example.com/"
    verdict = judge(result(login, hops=((301, "https://login.example.com/en/"),)))
    assert verdict == Verdict(Outcome.OK, "HTTP 200 OK after a trivial redirect (locale)")


@pytest.mark.parametrize(
    "title",
    [
        "Page not found",
        "404",
        "Error 404 (Not Found)!!1",
        "We can't find that page",
        "Sorry, we couldn’t find the page",
        "This page isn't available",
        "Page introuvable",
        "Page non trouvée | Aide",
        "Cette page n’existe pas",
        "Oups ! La page demandée n'existe plus",
        "Impossible de trouver cette page",
        "Seite nicht gefunden",
        "Página no encontrada",
    ],
)
def test_soft_404_titles(title: str) -> None:
    assert judge(result(body=title_page(title))) == Verdict(
        Outcome.BROKEN, f"soft 404: the page title says “{title}”"
    )


@pytest.mark.parametrize(
    "title",
    ["Privacy settings", "Manage your data", "Paramètres de confidentialité", "Error codes: 4040"],
)
def test_ordinary_titles_are_not_soft_404s(title: str) -> None:
    assert judge(result(body=title_page(title, heading=title))).outcome == Outcome.OK


def test_long_soft_404_heading_is_quoted_short() -> None:
    heading = "Page not found " + "because " * 40
    verdict = judge(result(body=title_page("Help", heading)))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason.startswith("soft 404: the first heading says “Page not found because")
    assert verdict.reason.endswith("…”")
    assert len(verdict.reason) < 170


def test_a_json_body_is_not_read_as_a_page() -> None:
    fetched = result(headers={"content-type": "application/json"}, body=b'{"title": "not found"}')
    assert judge(fetched) == Verdict(Outcome.OK, "HTTP 200 OK")


def test_304_is_ok() -> None:
    assert judge(result(status=304, body=b"")) == Verdict(Outcome.OK, "HTTP 304 Not Modified")


@pytest.mark.parametrize(
    ("headers", "body", "evidence"),
    [
        (
            {"content-type": "text/html", "server": "AkamaiGHost"},
            b"<html><head><title>Access Denied</title></head><body>Reference #18.1"
            b" https://errors.edgesuite.net/18.1</body></html>",
            "title “Access Denied”; marker errors.edgesuite.net",
        ),
        (
            {"content-type": "text/html"},
            b"<html><body><div class='g-recaptcha'></div></body></html>",
            "marker g-recaptcha",
        ),
        ({"cf-mitigated": "challenge"}, b"", "header cf-mitigated: challenge"),
    ],
)
def test_challenge_pages_are_blocked(headers: dict[str, str], body: bytes, evidence: str) -> None:
    verdict = judge(result(status=403, headers=headers, body=body))
    assert verdict == Verdict(
        Outcome.BLOCKED, f"HTTP 403 Forbidden with a bot challenge ({evidence})"
    )


def test_challenge_served_with_503_is_blocked_not_an_error() -> None:
    body = title_page("Just a moment...")
    verdict = judge(result(status=503, body=body, attempts=4))
    assert verdict == Verdict(
        Outcome.BLOCKED,
        "HTTP 503 Service Unavailable with a bot challenge (title “Just a moment...”)",
    )


def test_plain_403_is_blocked_with_its_own_reason() -> None:
    verdict = judge(result(status=403, body=title_page("Forbidden")))
    assert verdict == Verdict(
        Outcome.BLOCKED,
        "HTTP 403 Forbidden without a challenge page: the server refuses the probe",
    )


def test_a_help_page_about_captchas_is_not_a_challenge() -> None:
    page = b"<title>Why do I see a captcha?</title><div class='g-recaptcha'></div>"
    assert judge(result(body=page)) == Verdict(Outcome.OK, "HTTP 200 OK")


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (400, Outcome.BROKEN, "HTTP 400 Bad Request"),
        (451, Outcome.BROKEN, "HTTP 451 Unavailable For Legal Reasons"),
        (500, Outcome.ERROR, "HTTP 500 Internal Server Error"),
        (502, Outcome.ERROR, "HTTP 502 Bad Gateway, still after 4 attempts"),
        (
            300,
            Outcome.BROKEN,
            "HTTP 300 Multiple Choices: a redirect without a usable Location header",
        ),
        (302, Outcome.BROKEN, "HTTP 302 Found: a redirect without a usable Location header"),
        (102, Outcome.ERROR, "unexpected HTTP 102 Processing"),
    ],
)
def test_other_statuses(status: int, outcome: Outcome, reason: str) -> None:
    attempts = 4 if status == 502 else 1
    assert judge(result(status=status, body=b"", attempts=attempts)) == Verdict(outcome, reason)


ERROR_OUTCOMES = {
    FetchErrorKind.DNS: Outcome.BROKEN,
    FetchErrorKind.REDIRECT_LOOP: Outcome.BROKEN,
    FetchErrorKind.TOO_MANY_REDIRECTS: Outcome.BROKEN,
    FetchErrorKind.INVALID_URL: Outcome.BROKEN,
    FetchErrorKind.TIMEOUT: Outcome.ERROR,
    FetchErrorKind.CONNECT: Outcome.ERROR,
    FetchErrorKind.TLS: Outcome.ERROR,
    FetchErrorKind.NETWORK: Outcome.ERROR,
    FetchErrorKind.PROTOCOL: Outcome.ERROR,
    FetchErrorKind.DEADLINE: Outcome.ERROR,
    FetchErrorKind.NON_PUBLIC_ADDRESS: Outcome.BROKEN,
}


def test_every_fetch_error_kind_is_covered_below() -> None:
    assert set(ERROR_OUTCOMES) == set(FetchErrorKind)


@pytest.mark.parametrize(("kind", "outcome"), ERROR_OUTCOMES.items())
def test_fetch_errors(kind: FetchErrorKind, outcome: Outcome) -> None:
    fetched = result(status=None, body=b"", error=FetchError(kind, "what happened"), attempts=2)
    # Retries only matter for what may clear up; a broken link is broken at the first try.
    expected = (
        "what happened" if outcome == Outcome.BROKEN else "what happened, still after 2 attempts"
    )
    assert judge(fetched) == Verdict(outcome, expected, failure=kind)


def test_what_counts_towards_an_outage() -> None:
    """Our network's failures do; a page's own (a loop, a bad answer, a refused address)
    do not. An unknown host does: a machine without DNS is an outage, not broken links."""

    def counts(kind: FetchErrorKind) -> bool:
        return judge(
            result(status=None, body=b"", error=FetchError(kind, "x"))
        ).counts_towards_outage

    assert {kind for kind in FetchErrorKind if counts(kind)} == {
        FetchErrorKind.DNS, FetchErrorKind.TIMEOUT, FetchErrorKind.CONNECT, FetchErrorKind.TLS,
        FetchErrorKind.NETWORK, FetchErrorKind.DEADLINE,
    }  # fmt: skip
    assert judge(result(status=404)).counts_towards_outage is False


def test_a_body_cut_at_the_cap_is_judged_on_what_was_read_and_said_to_be_too_large() -> None:
    cut = replace(result(body=b"<p>" + b"0" * (5 * 1024 * 1024 - 3)), truncated=True)
    verdict = judge(cut)
    assert verdict.outcome is Outcome.OK
    assert verdict.reason == (
        "HTTP 200 OK; too large: the body goes on past the 5 MiB cap, judged on what was read"
    )
    assert judge(result()).reason == "HTTP 200 OK"
