"""The committed catalogue covers the CNIL guide (the seed): every platform, procedure and link.

These tests read the real files under `catalogue/`. The tests that compare with the seed's text
need `shared/seeds/` beside the clone (the project's own CI checks it out there); elsewhere
they are skipped with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import yaml

from optout_watch.catalogue.models import Audience, Channel, LinkKind, Platform, Surface

HERE = Path(__file__).resolve()
CATALOGUE = HERE.parents[1] / "catalogue"
#: The clone's parent directory holds `shared/` (the seed and research notes).
SEED = HERE.parents[2] / "shared" / "seeds" / "000_0beb047008d3c1f1.txt"

PLATFORM_IDS = {
    "google-gemini",
    "meta-ai",
    "whatsapp",
    "openai-chatgpt",
    "microsoft-copilot",
    "x-grok",
    "deepseek",
    "mistral-le-chat",
    "anthropic-claude",
    "linkedin",
}

#: Every procedure the seed describes: (platform id, channel, surface, note).
SEED_PROCEDURES: list[tuple[str, str, str, str]] = [
    ("google-gemini", "settings", "web", "Activité > Désactiver et supprimer l’activité"),
    ("google-gemini", "settings", "android", "profile icon > Activité dans les applications"),
    ("google-gemini", "settings", "ios", "profile icon > Activité dans les applications"),
    ("google-gemini", "form", "web", "objection request from the Privacy Hub"),
    ("meta-ai", "form", "web", "objection forms for account holders (own and third-party data)"),
    ("meta-ai", "form", "web", "DPO contact form for people without an account"),
    ("meta-ai", "form", "web", "Meta rights centre, all Meta services"),
    ("whatsapp", "form", "web", "contact form: objection concerning AI at Meta"),
    ("whatsapp", "form", "web", "dedicated form for Meta AI interactions in WhatsApp"),
    ("openai-chatgpt", "settings", "web", "Gestion des données > Améliorer le modèle pour tous"),
    ("openai-chatgpt", "settings", "android", "same setting in the mobile app"),
    ("openai-chatgpt", "settings", "ios", "same setting in the mobile app"),
    ("microsoft-copilot", "settings", "web", "Confidentialité: text and voice training"),
    ("microsoft-copilot", "settings", "android", "same settings in the mobile app"),
    ("microsoft-copilot", "settings", "ios", "same settings in the mobile app"),
    ("x-grok", "settings", "web", "Grok: Contrôle de données > Améliorer le modèle"),
    ("x-grok", "settings", "android", "Grok app, and the X app setting"),
    ("x-grok", "settings", "ios", "Grok app, and the X app setting"),
    ("deepseek", "settings", "web", "Paramètres > Profil"),
    ("deepseek", "settings", "android", "Paramètres > Contrôles des données"),
    ("deepseek", "settings", "ios", "Paramètres > Contrôles des données"),
    ("mistral-le-chat", "settings", "web", "Le Chat > Préférences"),
    ("mistral-le-chat", "settings", "android", "Contrôle des données et du compte"),
    ("mistral-le-chat", "settings", "ios", "Contrôle des données et du compte"),
    ("anthropic-claude", "settings", "web", "Confidentialité > Aider à améliorer Claude"),
    ("linkedin", "settings", "web", "Préférences > Confidentialité des données"),
    ("linkedin", "settings", "android", "same path from the profile photo icon"),
    ("linkedin", "settings", "ios", "same path from the profile photo icon"),
    ("linkedin", "form", "web", "objection form, option for members"),
    ("linkedin", "form", "web", "objection form, option for third parties without an account"),
]

#: Routes the seed gives to people without an account: (platform id, channel, note).
NO_ACCOUNT_ROUTES: list[tuple[str, str, str]] = [
    ("meta-ai", "form", "DPO contact form"),
    ("linkedin", "form", "« Autres demandes d’opposition ou de limitation »"),
]

#: Terms the seed quotes that are not interface labels.
SEED_TERMS_NOT_LABELS = {"case", "une demande d’assistance"}

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


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(
            f"seed guide not found at {SEED}: these tests need shared/ beside the clone, "
            "as the project's CI checks it out"
        )
    return SEED.read_text(encoding="utf-8")


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
def test_platform_has_a_watched_help_page(platform_id: str) -> None:
    watched = [
        link
        for link in PLATFORMS[platform_id].links
        if link.kind == LinkKind.HELP and link.watch is not None and link.watch.expect
    ]
    assert watched, f"{platform_id}: no help link with watch.expect labels"


@pytest.mark.parametrize(("platform_id", "url"), _all_urls())
def test_url_is_clean(platform_id: str, url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme == "https", f"{platform_id}: {url} is not https"
    names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    forbidden = {n for n in names if n in FORBIDDEN_PARAMETERS or n.startswith("utm_")}
    assert not forbidden, f"{platform_id}: {url} carries {sorted(forbidden)}"
    assert not parts.fragment.startswith(FORBIDDEN_FRAGMENTS), f"{platform_id}: {url}"


@pytest.mark.parametrize(("platform_id", "label"), _french_labels())
def test_french_label_is_quoted_from_the_seed(platform_id: str, label: str, seed_text: str) -> None:
    assert _normalise(label) in _normalise(seed_text), (
        f"{platform_id}: French label {label!r} is not in the CNIL guide"
    )


def test_every_label_the_seed_quotes_is_in_the_catalogue(seed_text: str) -> None:
    quoted = {_normalise(m) for m in re.findall(r"«(.*?)»", seed_text, flags=re.DOTALL)}
    catalogue = {_normalise(label) for _, label in _french_labels()}
    missing = sorted(quoted - catalogue - SEED_TERMS_NOT_LABELS)
    assert not missing, f"labels quoted by the CNIL guide but absent from the catalogue: {missing}"


def test_every_link_of_the_seed_is_in_the_catalogue(seed_text: str) -> None:
    seed_urls = {_clean(url) for url in re.findall(r"https?://\S+", seed_text)}
    catalogue = {link.url for platform in PLATFORMS.values() for link in platform.links}
    missing = sorted(seed_urls - catalogue)
    assert not missing, f"links of the CNIL guide absent from the catalogue: {missing}"
