"""The committed catalogue covers the CNIL guide (the seed): every platform, procedure, label
and link.

These tests read the real files under `catalogue/` and the guide's facts kept in
`tests/data/cnil-2025-10-16.yaml` (each procedure, its platform, every term the guide quotes and
every link it gives, section by section), so they run wherever the project is cloned.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import yaml

from optout_watch.catalogue.coverage import label_decisions
from optout_watch.catalogue.models import Audience, Channel, Link, LinkKind, Platform, Surface
from optout_watch.cli import main
from optout_watch.guide.words import CNIL_FURTHER_READING, CNIL_RESERVATION
from optout_watch.pages.extract import extract_text
from tests.support.paths import FIXTURE_PAGES, ROOT, TESTS

CATALOGUE = ROOT / "catalogue"
GUIDE: dict[str, Any] = yaml.safe_load(
    (TESTS / "data" / "cnil-2025-10-16.yaml").read_text(encoding="utf-8")
)
PLATFORM_IDS = set(GUIDE["platforms"])
SEED_PROCEDURES = [
    (p["platform"], p["channel"], p["surface"], p["note"]) for p in GUIDE["procedures"]
]
NO_ACCOUNT_ROUTES = [(r["platform"], r["channel"], r["note"]) for r in GUIDE["no_account_routes"]]
#: Terms the guide quotes that are not interface labels.
SEED_TERMS_NOT_LABELS = set(GUIDE["terms_not_labels"])

FIXTURE_BY_HOST = {
    "support.google.com": "google_help.html",
    "privacy.anthropic.com": "intercom_article.html",
    "privacy.claude.com": "intercom_article.html",
    "help.openai.com": "intercom_article.html",
    "help.mistral.ai": "intercom_article.html",
    "support.microsoft.com": "microsoft_support.html",
}

FORBIDDEN_PARAMETERS = {"visit_id", "sjid", "p", "rd", "ref", "b"}
FORBIDDEN_FRAGMENTS = ("ts=", ":~:text=")

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _normalise(text: str) -> str:
    """Collapse every kind of space (the seed breaks labels across lines)."""
    return _SPACES.sub(" ", text).strip()


def _load_catalogue() -> dict[str, Platform]:
    platforms = {}
    for path in sorted(CATALOGUE.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        platforms[path.stem] = Platform.model_validate(data)
    return platforms


PLATFORMS = _load_catalogue()


def _all_urls() -> list[tuple[str, str]]:
    urls = []
    for platform in PLATFORMS.values():
        urls += [(platform.id, source.url) for source in platform.sources]
        urls += [(platform.id, link.url) for link in platform.links]
    return urls


def _french_labels() -> list[tuple[str, str]]:
    return [
        (platform.id, label)
        for platform in PLATFORMS.values()
        for procedure in platform.procedures
        for step in procedure.steps.fr
        for label in step.ui
    ]


def _clean(url: str) -> str:
    """The seed's URL as the catalogue must store it."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in FORBIDDEN_PARAMETERS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def test_every_platform_of_the_seed_has_its_file() -> None:
    assert set(PLATFORMS) == PLATFORM_IDS
    for file_stem, platform in PLATFORMS.items():
        assert platform.id == file_stem


def test_at_least_eighteen_procedures() -> None:
    count = sum(len(platform.procedures) for platform in PLATFORMS.values())
    assert count >= 18, f"only {count} procedures"


@pytest.mark.parametrize(
    ("platform_id", "channel", "surface", "note"),
    SEED_PROCEDURES,
    ids=[f"{p}-{c}-{s}-{i}" for i, (p, c, s, _) in enumerate(SEED_PROCEDURES)],
)
def test_seed_procedure_is_in_the_catalogue(
    platform_id: str, channel: str, surface: str, note: str
) -> None:
    platform = PLATFORMS[platform_id]
    matches = [
        procedure
        for procedure in platform.procedures
        if procedure.channel == Channel(channel) and Surface(surface) in procedure.surfaces
    ]
    assert matches, f"{platform_id}: no {channel} procedure on {surface} ({note})"


@pytest.mark.parametrize("platform_id", sorted(PLATFORM_IDS))
def test_one_form_procedure_per_form_route_of_the_seed(platform_id: str) -> None:
    """A sentence that introduces a route (WhatsApp's « formulaire dédié », Meta's rights
    centre) is not a route of its own: the catalogue has as many form procedures as the guide
    gives form routes."""
    seed = [
        p for p in GUIDE["procedures"] if p["platform"] == platform_id and p["channel"] == "form"
    ]
    catalogue = [p for p in PLATFORMS[platform_id].procedures if p.channel == Channel.FORM]
    assert len(catalogue) == len(seed), [p.id for p in catalogue]


def test_no_account_is_claimed_only_where_the_seed_says_so() -> None:
    routes = {(r["platform"], r["channel"]) for r in GUIDE["no_account_routes"]}
    unstated = {(r["platform"], r["channel"]) for r in GUIDE["account_not_stated"]}
    for platform in PLATFORMS.values():
        for procedure in platform.procedures:
            key = (platform.id, str(procedure.channel))
            if procedure.requires_account is False:
                assert key in routes, f"{platform.id}/{procedure.id}: no account needed?"
            if key in unstated:
                assert procedure.requires_account is None, f"{platform.id}/{procedure.id}"


@pytest.mark.parametrize("platform_id", sorted(GUIDE["kept_phrases"]))
def test_the_french_steps_keep_the_seeds_phrases(platform_id: str) -> None:
    steps = " ".join(
        step.text for procedure in PLATFORMS[platform_id].procedures for step in procedure.steps.fr
    )
    for phrase in GUIDE["kept_phrases"][platform_id]:
        assert phrase.casefold() in _normalise(steps).casefold(), phrase


def test_the_guide_quotes_the_seeds_reservation_and_gives_its_further_reading() -> None:
    assert GUIDE["reservation"] == CNIL_RESERVATION
    assert [url for url, _ in CNIL_FURTHER_READING] == GUIDE["further_reading"]


@pytest.mark.parametrize(
    ("platform_id", "channel", "note"), NO_ACCOUNT_ROUTES, ids=[r[0] for r in NO_ACCOUNT_ROUTES]
)
def test_route_for_people_without_an_account(platform_id: str, channel: str, note: str) -> None:
    matches = [
        procedure
        for procedure in PLATFORMS[platform_id].procedures
        if procedure.channel == Channel(channel)
        and Audience.NON_ACCOUNT_HOLDERS in procedure.audience
        and not procedure.requires_account
    ]
    assert matches, f"{platform_id}: no {channel} route without an account ({note})"


@pytest.mark.parametrize("platform_id", sorted(PLATFORM_IDS))
def test_platform_has_a_watched_page(platform_id: str) -> None:
    """A help page, or a policy page where it is the official page that quotes the label."""
    watched = [
        link
        for link in PLATFORMS[platform_id].links
        if link.kind in {LinkKind.HELP, LinkKind.POLICY}
        and link.watch is not None
        and link.watch.expect
    ]
    assert watched, f"{platform_id}: no help or policy page with watch.expect labels"


def _scoped_pages_with_a_fixture() -> list[tuple[str, str, str, tuple[str, ...], str]]:
    pages = []
    for platform in PLATFORMS.values():
        for link in platform.links:
            fixture = FIXTURE_BY_HOST.get(urlsplit(link.url).hostname or "")
            if link.watch is not None and link.watch.select is not None and fixture:
                remove = tuple(link.watch.remove)
                pages.append((platform.id, link.id, link.watch.select, remove, fixture))
    return pages


@pytest.mark.parametrize(
    ("platform_id", "link_id", "select", "remove", "fixture"),
    _scoped_pages_with_a_fixture(),
    ids=[f"{p}-{link}" for p, link, *_ in _scoped_pages_with_a_fixture()],
)
def test_select_matches_a_page_of_its_help_centre_software(
    platform_id: str, link_id: str, select: str, remove: tuple[str, ...], fixture: str
) -> None:
    html = (FIXTURE_PAGES / fixture).read_text(encoding="utf-8")
    text = extract_text(html, select=select, remove=remove)  # raises if it matches nothing
    assert text, f"{platform_id}/{link_id}: {select!r} selects no text on {fixture}"


@pytest.mark.parametrize(("platform_id", "url"), _all_urls())
def test_url_is_clean(platform_id: str, url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme == "https", f"{platform_id}: {url} is not https"
    names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    forbidden = {n for n in names if n in FORBIDDEN_PARAMETERS or n.startswith("utm_")}
    assert not forbidden, f"{platform_id}: {url} carries {sorted(forbidden)}"
    assert not parts.fragment.startswith(FORBIDDEN_FRAGMENTS), f"{platform_id}: {url}"


def _quoted(platform_id: str) -> set[str]:
    return set(GUIDE["platforms"][platform_id]["quoted"])


def test_the_guide_is_the_catalogues_source() -> None:
    guide = GUIDE["guide"]
    for platform in PLATFORMS.values():
        assert guide["url"] in {source.url for source in platform.sources}, platform.id


@pytest.mark.parametrize(("platform_id", "label"), _french_labels())
def test_french_label_is_quoted_from_the_seed(platform_id: str, label: str) -> None:
    assert _normalise(label) in _quoted(platform_id), (
        f"{platform_id}: French label {label!r} is not quoted by the CNIL guide's section"
    )


@pytest.mark.parametrize("platform_id", sorted(PLATFORM_IDS))
def test_every_label_the_seed_quotes_is_in_the_catalogue(platform_id: str) -> None:
    catalogue = {_normalise(label) for pid, label in _french_labels() if pid == platform_id}
    missing = sorted(_quoted(platform_id) - catalogue - SEED_TERMS_NOT_LABELS)
    assert not missing, f"{platform_id}: labels quoted by the CNIL guide but absent: {missing}"


def test_every_link_of_the_seed_is_in_the_catalogue() -> None:
    """Or, for the guide's further reading, on every page of the rendered guide."""
    seed_urls = {_clean(url) for url in GUIDE["links"]}
    catalogue = {link.url for platform in PLATFORMS.values() for link in platform.links}
    catalogue |= {url for url, _ in CNIL_FURTHER_READING}
    missing = sorted(seed_urls - catalogue)
    assert not missing, f"links of the CNIL guide absent from the catalogue: {missing}"


# --- French pages and the decision on every label ----------------------------------------------

#: The one platform without a French watched page, and why: DeepSeek's help centre and policies
#: are known here in English only (its French labels carry that reason in `unwatched_labels`).
WITHOUT_FRENCH_PAGE = {"deepseek"}


def _watched(platform: Platform, lang: str) -> list[Link]:
    return [
        link
        for link in platform.links
        if link.lang == lang and link.watch is not None and link.watch.expect
    ]


def test_nine_of_ten_platforms_watch_a_french_page() -> None:
    without = {pid for pid, platform in PLATFORMS.items() if not _watched(platform, "fr")}
    assert without == WITHOUT_FRENCH_PAGE
    assert len(PLATFORMS) - len(without) >= 9


@pytest.mark.parametrize("platform_id", sorted(WITHOUT_FRENCH_PAGE))
def test_a_platform_without_french_page_gives_the_reason_for_each_french_label(
    platform_id: str,
) -> None:
    decisions = [d for d in label_decisions(PLATFORMS[platform_id]) if d.lang == "fr"]
    assert decisions
    assert all(d.reason and "no French page" in d.reason for d in decisions)
    assert any(d.watched for d in label_decisions(PLATFORMS[platform_id]) if d.lang == "en")


def _french_pages() -> list[tuple[str, Link]]:
    return [(pid, link) for pid, p in PLATFORMS.items() for link in _watched(p, "fr")]


@pytest.mark.parametrize(
    ("platform_id", "link"), _french_pages(), ids=[f"{p}-{link.id}" for p, link in _french_pages()]
)
def test_a_french_page_is_extracted_like_the_english_page_of_its_help_centre(
    platform_id: str, link: Link
) -> None:
    host = urlsplit(link.url).hostname
    english = [
        other
        for other in _watched(PLATFORMS[platform_id], "en")
        if urlsplit(other.url).hostname == host
    ]
    for other in english:
        assert other.watch is not None
        assert link.watch is not None
        settings = (link.watch.select, link.watch.remove, link.watch.ignore, link.watch.render)
        assert settings == (
            other.watch.select,
            other.watch.remove,
            other.watch.ignore,
            other.watch.render,
        ), f"{platform_id}/{link.id} is extracted unlike {other.id}"


@pytest.mark.parametrize(
    ("platform_id", "link"), _french_pages(), ids=[f"{p}-{link.id}" for p, link in _french_pages()]
)
def test_a_french_page_has_its_source(platform_id: str, link: Link) -> None:
    """Its address is a source of the file (with what shows it), or a link of the guide."""
    sources = {source.url: source for source in PLATFORMS[platform_id].sources}
    guide_links = {_clean(url) for url in GUIDE["links"]}
    assert link.url in sources or link.url in guide_links, f"{platform_id}/{link.id}"
    if link.url in sources:
        note = sources[link.url].note or ""
        assert "docs/contributing.md" in note, f"{link.url}: the note names no convention"


@pytest.mark.parametrize("platform_id", sorted(PLATFORM_IDS))
def test_every_label_is_watched_or_says_why_not(platform_id: str) -> None:
    undecided = [d.label for d in label_decisions(PLATFORMS[platform_id]) if not d.decided]
    assert not undecided, f"{platform_id}: labels neither watched nor explained: {undecided}"


def test_validate_ends_with_the_share_of_labels_watched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["validate", str(CATALOGUE)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert not [line for line in lines if " OW508 " in line]
    assert re.fullmatch(
        r"labels watched: fr \d+/\d+, en \d+/\d+; \d+ not watchable, each with its reason",
        lines[-1],
    ), lines[-1]


def test_validate_json_gives_the_share_per_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(CATALOGUE)]) == 0
    shares = {s["lang"]: s for s in json.loads(capsys.readouterr().out)["labels"]}
    assert set(shares) == {"fr", "en"}
    for share in shares.values():
        assert share["undecided"] == 0
        assert share["watched"] + share["not_watchable"] == share["total"]
