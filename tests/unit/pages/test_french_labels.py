"""French text handled as French: the label matching and the rename suggestions on French
pages, whatever their typography (apostrophes, quotes and the spaces around them, ligatures,
capitals with or without their accents, elision)."""

from __future__ import annotations

import pytest

from optout_watch.pages.diff import compare
from optout_watch.pages.evidence import Evidence
from optout_watch.pages.extract import extract_text, inline_texts
from optout_watch.pages.labels import (
    LabelSighting,
    LabelState,
    assess_labels,
    contains_label,
    replaced_span,
)

NBSP, NNBSP = "\u00a0", "\u202f"
EARLIER, NOW = "2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z"
OLD, NEW = "Améliorer le modèle pour tous", "Améliorer le modèle pour tout le monde"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Elision, with a typographic or a straight apostrophe on either side.
        ("Activez « Conserver l’activité ».", "Conserver l'activité"),
        ("Activez Conserver l'activité.", "Conserver l’activité"),
        ("Désactivez l’historique", "l'historique"),
        # Quotes, and the spaces inside them: none, a space, a non-breaking or a narrow one.
        (f"Ouvrez «{NBSP}Gestion des données{NBSP}».", "Gestion des données"),
        (f"Ouvrez «{NNBSP}Gestion des données{NNBSP}».", "« Gestion des données »"),
        ("Ouvrez «Gestion des données».", f"«{NBSP}Gestion des données{NBSP}»"),
        ("Ouvrez “Gestion des données”.", "« Gestion des données »"),
        # The space before : ; ? ! — or none, as on pages written the English way.
        (f"Paramètres{NBSP}: Gestion des données", "Paramètres : Gestion des données"),
        ("Paramètres: Gestion des données", f"Paramètres{NNBSP}: Gestion des données"),
        (f"Paramètres{NNBSP}; Confidentialité", "Paramètres ; Confidentialité"),
        ("Supprimer ?", f"Supprimer{NNBSP}?"),
        (f"Tout effacer{NBSP}!", "Tout effacer!"),
        # Ligatures: œ and æ as the catalogue writes them or not, typesetting ligatures.
        ("Vœux et préférences", "Voeux et préférences"),
        ("Curriculum vitae", "Curriculum vitæ"),
        ("Paramètres des ﬁchiers", "Paramètres des fichiers"),
        # Capitals with their accents, in capitals, or without the accents many sites drop.
        ("ÉTAT DU COMPTE", "État du compte"),
        ("Etat du compte", "État du compte"),
        ("A propos de Gemini", "À propos de Gemini"),
        ("Éditer le profil", "Editer le profil"),
        ("E\u0301tat du compte", "État du compte"),  # decomposed accent
        ("Grok et collaborateurs tiers", "GROK ET COLLABORATEURS TIERS"),
    ],
)
def test_french_typography_does_not_hide_a_label(text: str, label: str) -> None:
    assert contains_label(text, label)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Conserver l’historique", "Conserver l'activité"),
        (f"« {NEW} »", OLD),
        ("Améliorer le modèle pour toutes", OLD),
        ("Paramètres : Gestion", "Paramètres : Gestion des données"),
        ("l’activitéx", "activité"),  # words stay whole
    ],
)
def test_another_french_wording_is_not_the_label(text: str, label: str) -> None:
    assert not contains_label(text, label)


# --- renames inside French sentences -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old_line", "new_line", "label", "expected"),
    [
        (  # the sentence: a typographic apostrophe, a non-breaking space before ":"
            f"Dans l’onglet Données{NBSP}: désactivez «{NNBSP}{OLD}{NNBSP}».",
            f"Dans l’onglet Données{NBSP}: désactivez «{NNBSP}{NEW}{NNBSP}».",
            OLD,
            NEW,
        ),
        (  # bare in the sentence
            f"Ouvrez le menu et allez à {OLD} pour choisir.",
            f"Ouvrez le menu et allez à {NEW} pour choisir.",
            OLD,
            NEW,
        ),
        (  # elision inside the label, kept as the page writes it
            "Activez Conserver l’activité pour garder l’historique.",
            "Activez Garder l’activité pour garder l’historique.",
            "Conserver l'activité",
            "Garder l’activité",
        ),
        (  # the sentence changed elsewhere too: only what replaced the label is the new name
            f"Ensuite, dans le menu de votre compte{NBSP}: ouvrez {OLD}.",
            f"Puis, dans le menu de votre compte{NBSP}: touchez {NEW}.",
            OLD,
            NEW,
        ),
    ],
)
def test_a_french_rename_inside_a_sentence_is_the_replaced_span(
    old_line: str, new_line: str, label: str, expected: str
) -> None:
    assert replaced_span(label, old_line, new_line) == expected


FR_PAGE = """<html lang="fr"><body><article>
<p>Dans l’onglet Données{nbsp}: ouvrez le menu de votre compte et allez à {label} si vous le
souhaitez.</p><p>Nous voulons améliorer les modèles pour tous.</p></article></body></html>"""


@pytest.mark.parametrize(
    "markup",
    ["<strong>{}</strong>", '<a href="/reglages">{}</a>', "{}", "«{nnbsp}<b>{}</b>{nnbsp}»"],
)
def test_a_french_rename_on_a_french_page_is_suggested_first(markup: str) -> None:
    def html(label: str) -> str:
        wrapped = markup.replace("{nnbsp}", NNBSP).format(label)
        return FR_PAGE.format(nbsp=NBSP, label=wrapped)

    before = extract_text(html(OLD), select="article")
    after_html = html(NEW)
    after = extract_text(after_html, select="article")
    change = compare(before, after, old_label="before", new_label="after")
    (result,) = assess_labels(
        [OLD],
        after,
        {OLD: LabelSighting(OLD, EARLIER, EARLIER)},
        now=NOW,
        change=change,
        url="https://aide.example.fr/confidentialite",
        inline_texts=lambda: inline_texts(after_html, select="article"),
    )
    assert result.state is LabelState.MISSING
    assert result.suggestions[0].text == NEW
    assert result.suggestions[0].why is Evidence.REPLACED
    evidence = result.sighting.evidence
    assert evidence is not None
    assert (evidence.url, evidence.seen_at) == ("https://aide.example.fr/confidentialite", NOW)
    assert OLD in str(evidence.old_line)
    assert NEW in str(evidence.new_line)


def test_a_label_bold_in_a_french_sentence_ends_where_the_bold_does() -> None:
    """Without the page's markup, the change reaches too far past the label to tell where the
    new name ends (the suggestions fall back to the likeliest words of the new line)."""
    old_line = f"Allez à {OLD}."
    new_line = f"Allez à {NEW} dans les réglages de votre compte."
    assert replaced_span(OLD, old_line, new_line) is None
    assert replaced_span(OLD, old_line, new_line, {NEW, "réglages"}) == NEW
    # An element that also holds words the change left alone is no boundary of the label.
    assert replaced_span(OLD, old_line, new_line, {f"Allez à {NEW}"}) is None
