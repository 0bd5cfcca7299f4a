"""Every word the guide writes around the catalogue's own text, in French and in English,
and the dates as each language writes them."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

Lang = Literal["fr", "en"]
LANGS: Final[tuple[Lang, ...]] = ("fr", "en")

LANGUAGE_NAMES: Final[dict[Lang, str]] = {"fr": "Français", "en": "English"}
#: A link's language, named in the reader's language: `(in English)` beside a French step.
_IN_LANGUAGE: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"fr": "en français", "en": "en anglais", "de": "en allemand", "es": "en espagnol"},
    "en": {"fr": "in French", "en": "in English", "de": "in German", "es": "in Spanish"},
}

_MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip

WORDS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {
        "site_title": "S’opposer à l’entraînement des IA sur vos données",
        "site_intro": "Plateforme par plateforme, où trouver le réglage ou le formulaire qui "
        "empêche une entreprise d’utiliser vos données pour entraîner ses modèles d’IA.",
        "choose_language": "Choisissez votre langue",
        "read_in": "Lire le guide en français",
        "skip": "Aller au contenu",
        "language_switch": "Langue",
        "all_platforms": "Toutes les plateformes",
        "search": "Rechercher une plateforme",
        "search_hint": "Nom du service ou de l’entreprise",
        "filters": "Filtrer les plateformes",
        "channel": "Démarche",
        "any_channel": "Toutes les démarches",
        "surface": "Appareil",
        "any_surface": "Tous les appareils",
        "no_account": "Sans compte",
        "no_account_filter": "Seulement les démarches possibles sans compte",
        "shown_one": "{n} plateforme affichée",
        "shown_many": "{n} plateformes affichées",
        "shown_none": "Aucune plateforme ne correspond à la recherche.",
        "procedures": "Démarches",
        "channels": "Démarches",
        "surfaces": "Appareils",
        "provider": "Entreprise",
        "colon": "\u00a0: ",
        "on_this_page": "Sur cette page",
        "last_reviewed": "Vérifié par une personne le {date}.",
        "checked_on": "Liens vérifiés automatiquement le {date}.",
        "account_needed": "Compte nécessaire",
        "yes": "oui",
        "no": "non",
        "for_whom": "Pour qui",
        "stops": "Ce que la démarche empêche",
        "steps": "Étapes",
        "on_screen": "À l’écran :",
        "caveats": "À savoir",
        "freshness": "Fraîcheur",
        "sources": "Sources",
        "published": "{publisher}, {date}",
        "link": "Lien",
        "formerly": "anciennement {label}",
        "back": "Retour à la liste des plateformes",
        "footer": "Ce guide est tenu à jour par optout-watch, qui vérifie chaque nuit ses "
        "liens et, sur les pages d’aide officielles, les libellés marqués «\u00a0vérifié chaque "
        "nuit\u00a0» ; les autres libellés viennent de ses sources et ne sont pas vérifiés "
        "automatiquement. Il ne remplace pas un conseil juridique.",
        "label_checked": "vérifié chaque nuit",
        "label_seen": "vérifié chaque nuit, vu le {date} sur la page officielle",
        "label_unseen": "vérifié chaque nuit, pas encore vu sur la page officielle",
        "label_unchecked": "non vérifié automatiquement",
        "markdown_index": "Plateformes",
        # Freshness, from a report.
        "fresh_ok": "Liens vérifiés le {date}.",
        "fresh_moved": "Le lien {link} mène désormais à une autre page (vérifié le {date}) ; "
        "il devrait toujours vous y conduire.",
        "fresh_broken": "Le lien {link} ne fonctionnait pas lors de la vérification du "
        "{date}{status}. La page a peut-être changé d’adresse : cherchez-la depuis le centre "
        "d’aide du service.",
        "fresh_blocked": "Notre robot a été refoulé par {link} le {date} ; le lien peut "
        "très bien fonctionner pour vous.",
        "fresh_error": "Le lien {link} n’a pas pu être joint le {date} ; c’est peut-être passager.",
        "fresh_unchecked": "Le lien {link} n’a pas été vérifié lors du dernier contrôle ({date}).",
        "fresh_label_new": "{label} n’apparaît plus sur la page d’aide depuis la vérification "
        "du {date}.",
        "fresh_label_streak": "{label} n’apparaît plus sur la page d’aide depuis {runs} "
        "vérifications (la dernière le {date}).",
        "fresh_label_suggestion": " Le libellé est peut-être devenu {suggestion}.",
        "fresh_renamed": "{label} s’appelait auparavant {old} (changement relevé le {date}).",
        "fresh_renamed_undated": "{label} s’appelait auparavant {old}.",
    },
    "en": {
        "site_title": "Opting out of AI training on your data",
        "site_intro": "Platform by platform, where to find the setting or the form that stops "
        "a company from using your data to train its AI models.",
        "choose_language": "Choose your language",
        "read_in": "Read the guide in English",
        "skip": "Skip to content",
        "language_switch": "Language",
        "all_platforms": "All platforms",
        "search": "Search for a platform",
        "search_hint": "Service or company name",
        "filters": "Filter the platforms",
        "channel": "Procedure",
        "any_channel": "Any procedure",
        "surface": "Device",
        "any_surface": "Any device",
        "no_account": "No account needed",
        "no_account_filter": "Only procedures that need no account",
        "shown_one": "{n} platform shown",
        "shown_many": "{n} platforms shown",
        "shown_none": "No platform matches the search.",
        "procedures": "Procedures",
        "channels": "Procedures",
        "surfaces": "Devices",
        "provider": "Company",
        "colon": ": ",
        "on_this_page": "On this page",
        "last_reviewed": "Reviewed by a person on {date}.",
        "checked_on": "Links checked automatically on {date}.",
        "account_needed": "Account needed",
        "yes": "yes",
        "no": "no",
        "for_whom": "For whom",
        "stops": "What it stops",
        "steps": "Steps",
        "on_screen": "On screen:",
        "caveats": "Good to know",
        "freshness": "Freshness",
        "sources": "Sources",
        "published": "{publisher}, {date}",
        "link": "Link",
        "formerly": "formerly {label}",
        "back": "Back to the list of platforms",
        "footer": "This guide is kept up to date by optout-watch, which checks its links every "
        "night and, on the platforms’ official help pages, the labels marked “checked every "
        "night”; the other labels come from its sources and are not checked automatically. "
        "It is not legal advice.",
        "label_checked": "checked every night",
        "label_seen": "checked every night, seen on {date} on the official page",
        "label_unseen": "checked every night, not seen on the official page yet",
        "label_unchecked": "not checked automatically",
        "markdown_index": "Platforms",
        "fresh_ok": "Links checked on {date}.",
        "fresh_moved": "The link {link} now leads to another page (checked on {date}); it "
        "should still take you there.",
        "fresh_broken": "The link {link} did not work when checked on {date}{status}. The page "
        "may have moved: look for it from the service’s help centre.",
        "fresh_blocked": "Our robot was turned away by {link} on {date}; the link may still "
        "work for you.",
        "fresh_error": "The link {link} could not be reached on {date}; it may be a passing "
        "problem.",
        "fresh_unchecked": "The link {link} was not checked in the last check ({date}).",
        "fresh_label_new": "{label} not found on the help page since the check of {date}.",
        "fresh_label_streak": "{label} not found on the help page for the last {runs} checks "
        "(the latest on {date}).",
        "fresh_label_suggestion": " The label may now read {suggestion}.",
        "fresh_renamed": "{label} was formerly {old} (rename noted on {date}).",
        "fresh_renamed_undated": "{label} was formerly {old}.",
    },
}

CHANNELS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"settings": "Réglage", "form": "Formulaire", "email": "E-mail", "other": "Autre"},
    "en": {"settings": "Setting", "form": "Form", "email": "E-mail", "other": "Other"},
}
SURFACES: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"web": "Site web", "android": "Android", "ios": "iOS", "desktop": "Ordinateur"},
    "en": {"web": "Web", "android": "Android", "ios": "iOS", "desktop": "Desktop app"},
}
AUDIENCES: Final[dict[Lang, dict[str, str]]] = {
    "fr": {
        "account-holders": "les titulaires d’un compte",
        "non-account-holders": "les personnes sans compte dont le service détient des données",
    },
    "en": {
        "account-holders": "account holders",
        "non-account-holders": "people without an account whose data the service holds",
    },
}
LINK_KINDS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {
        "help": "Page d’aide",
        "form": "Formulaire",
        "settings": "Paramètres",
        "policy": "Politique de confidentialité",
        "source": "Source",
    },
    "en": {
        "help": "Help page",
        "form": "Form",
        "settings": "Settings",
        "policy": "Privacy policy",
        "source": "Source",
    },
}


def quoted(text: str, lang: Lang) -> str:
    """`text` between the language's quotation marks."""
    return f"«\u00a0{text}\u00a0»" if lang == "fr" else f"“{text}”"


def long_date(day: dt.date, lang: Lang) -> str:
    """`27 novembre 2026`, `1er décembre 2026`; `27 November 2026`."""
    month = _MONTHS[lang][day.month - 1]
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def in_language(link_lang: str, lang: Lang) -> str:
    """`en anglais` for an English page in the French guide; the tag itself when unknown."""
    return _IN_LANGUAGE[lang].get(link_lang.split("-", maxsplit=1)[0], link_lang)
