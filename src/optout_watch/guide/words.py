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
        "no_account_filter": "Seulement les démarches possibles sans compte",
        "shown_one": "{n} plateforme affichée",
        "shown_many": "{n} plateformes affichées",
        "shown_none": "Aucune plateforme ne correspond à la recherche.",
        "procedures": "Démarches",
        "surfaces": "Appareils",
        "provider": "Entreprise",
        "colon": "\u00a0: ",
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
        "sources": "Sources",
        "published": "{publisher}, {date}",
        "link": "Lien",
        "back": "Retour à la liste des plateformes",
        "footer": "Ce guide est tenu à jour par optout-watch, qui vérifie chaque nuit ses "
        "liens et, sur les pages d’aide officielles, les libellés marqués «\u00a0vérifié chaque "
        "nuit\u00a0» ; les autres libellés viennent de ses sources et ne sont pas vérifiés "
        "automatiquement. Il ne remplace pas un conseil juridique.",
        "label_checked": "vérifié chaque nuit",
        "label_unseen": "vérifié chaque nuit, pas encore vu sur la page officielle",
        "label_unchecked": "non vérifié automatiquement",
        "markdown_index": "Plateformes",
        "also_called": "Aussi appelé",
        "in_french": "en français",
        "more_about": "Détails de la démarche",
        "account_unknown": "non précisé par la source",
        "empties": "Empêche",
        "n_procedures": "{n} démarches sur cette page",
        "reservation_intro": "Le guide de la CNIL, source de ces démarches, précise\u00a0:",
        "further_reading": "Pour approfondir",
        "formerly_step": "{label} s’appelait auparavant {old}\u00a0; relevé le {date} sur ",
        "label_gone": "introuvable sur la page d’aide lors de la vérification du {date}",
        "label_gone_suggestion": "introuvable sur la page d’aide lors de la vérification du "
        "{date}\u00a0; peut-être devenu {suggestion}",
        "label_seen_plain": "vérifié chaque nuit, vu sur la page officielle",
        "fresh_line": "Vérifié automatiquement le {date}\u00a0: {what}.",
        "fresh_all": "liens et libellés à jour",
        "fresh_links_only": "liens à jour (les libellés ne sont pas vérifiés automatiquement)",
        "fresh_some": "liens à jour, ainsi que les libellés marqués «\u00a0vu sur la page "
        "officielle\u00a0»",
        "fresh_no_link": "Pas de vérification automatique\u00a0: cette démarche ne donne aucun "
        "lien.",
        "fresh_p_unchecked": "le lien {link} n’a pas été vérifié",
        "fresh_p_blocked": "le site de {link} a refusé notre robot, le lien n’a donc pas été "
        "vérifié (il peut fonctionner pour vous)",
        "fresh_p_error": "le lien {link} n’a pas pu être joint (c’est peut-être passager)",
        "fresh_p_broken": "le lien {link} ne fonctionnait pas{status}",
        "fresh_p_moved": "le lien {link} mène désormais à une autre page",
        "fresh_p_label": "introuvable sur la page d’aide\u00a0: {labels} (signalé à son étape)",
        "fresh_p_unseen": "pas encore vu sur la page d’aide\u00a0: {labels}",
        "fresh_and": "\u00a0; ",
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
        "no_account_filter": "Only procedures that need no account",
        "shown_one": "{n} platform shown",
        "shown_many": "{n} platforms shown",
        "shown_none": "No platform matches the search.",
        "procedures": "Procedures",
        "surfaces": "Devices",
        "provider": "Company",
        "colon": ": ",
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
        "sources": "Sources",
        "published": "{publisher}, {date}",
        "link": "Link",
        "back": "Back to the list of platforms",
        "footer": "This guide is kept up to date by optout-watch, which checks its links every "
        "night and, on the platforms’ official help pages, the labels marked “checked every "
        "night”; the other labels come from its sources and are not checked automatically. "
        "It is not legal advice.",
        "label_checked": "checked every night",
        "label_unseen": "checked every night, not seen on the official page yet",
        "label_unchecked": "not checked automatically",
        "markdown_index": "Platforms",
        "also_called": "Also known as",
        "in_french": "in French",
        "more_about": "About this procedure",
        "account_unknown": "not stated by the source",
        "empties": "Stops",
        "n_procedures": "{n} procedures on this page",
        "reservation_intro": "The CNIL’s guide, the source of these procedures, states (our "
        "translation):",
        "further_reading": "Further reading",
        "formerly_step": "{label} was formerly {old}; noted on {date} on ",
        "label_gone": "not found on the help page when checked on {date}",
        "label_gone_suggestion": "not found on the help page when checked on {date}; it may now "
        "read {suggestion}",
        "label_seen_plain": "checked every night, seen on the official page",
        "fresh_line": "Checked automatically on {date}: {what}.",
        "fresh_all": "links and labels up to date",
        "fresh_links_only": "links up to date (the labels are not checked automatically)",
        "fresh_some": "links up to date, and so are the labels marked “seen on the official page”",
        "fresh_no_link": "No automatic check: this procedure gives no link.",
        "fresh_p_unchecked": "the link {link} was not checked",
        "fresh_p_blocked": "the site of {link} turned our robot away, so the link was not checked "
        "(it may work for you)",
        "fresh_p_error": "the link {link} could not be reached (it may be a passing problem)",
        "fresh_p_broken": "the link {link} did not work{status}",
        "fresh_p_moved": "the link {link} now leads to another page",
        "fresh_p_label": "not found on the help page: {labels} (marked on its step)",
        "fresh_p_unseen": "not seen on the help page yet: {labels}",
        "fresh_and": "; ",
    },
}

CHANNELS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"settings": "Réglage", "form": "Formulaire", "email": "E-mail", "other": "Autre"},
    "en": {"settings": "Setting", "form": "Form", "email": "E-mail", "other": "Other"},
}
#: How much a procedure asks, in the spirit of JustDeleteMe's difficulty colours: a setting
#: is quickest, a form takes longer, an e-mail or anything else longer still.
EFFORTS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"settings": "Un réglage", "form": "Un formulaire", "email": "Un e-mail",
           "other": "Une démarche"},
    "en": {"settings": "A setting", "form": "A form", "email": "An e-mail", "other": "A procedure"},
}  # fmt: skip
EFFORT_LEVELS: Final[dict[str, str]] = {
    "settings": "easy", "form": "medium", "email": "hard", "other": "hard",
}  # fmt: skip
#: Whether an account is needed: `yes`, `no`, or `unknown` when the source does not say.
ACCOUNT_MARKS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"yes": "compte nécessaire", "no": "sans compte",
           "unknown": "compte\u00a0: non précisé"},
    "en": {"yes": "account needed", "no": "no account needed", "unknown": "account: not stated"},
}  # fmt: skip

#: The CNIL guide's opening reservation, word for word (it applies to every procedure), and
#: the further reading it gives. The English guide shows the reservation in translation.
CNIL_RESERVATION: Final = (
    "Sans se prononcer sur la conformité au RGPD des procédés proposés, la CNIL vous explique "
    "comment vous y opposer pour les principales plateformes."
)
CNIL_RESERVATION_EN: Final = (
    "Without taking a position on whether the procedures offered comply with the GDPR, the "
    "CNIL explains how to object to them on the main platforms."
)
CNIL_GUIDE_URL: Final = (
    "https://www.cnil.fr/fr/ia-comment-sopposer-la-reutilisation-de-ses-donnees-personnelles-"
    "entrainement-agent-conversationnel"
)
CNIL_FURTHER_READING: Final[tuple[tuple[str, dict[Lang, str]], ...]] = (
    (
        "https://www.cnil.fr/fr/particulier-intelligence-artificielle-ia",
        {
            "fr": "La CNIL\u00a0: intelligence artificielle, vos droits",
            "en": "The CNIL on artificial intelligence and your rights",
        },
    ),
)

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


def reservation(lang: Lang) -> str:
    """The CNIL's reservation: its own words in French, a translation in English."""
    return CNIL_RESERVATION if lang == "fr" else CNIL_RESERVATION_EN
