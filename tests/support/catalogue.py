"""Catalogue builders: a valid platform to change, the file it makes, and the hostile YAML
inputs the loader must refuse (each with its code, position and message)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from optout_watch.catalogue.loader import Position

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/platform.schema.json"


NBSP = "\u00a0"


VALID_PLATFORM: dict[str, Any] = {
    "id": "example-chat",
    "provider": "Example",
    "service": "Chat",
    "last_reviewed": "2026-11-01",
    "sources": [
        {
            "title": "Guide",
            "publisher": "CNIL",
            "url": "https://www.cnil.fr/fr/guide",
            "date": "2025-10-16",
        }
    ],
    "procedures": [
        {
            "id": "settings",
            "title": {"fr": "Désactiver l’entraînement", "en": "Turn training off"},
            "channel": "settings",
            "surfaces": ["web"],
            "requires_account": True,
            "audience": ["account-holders"],
            "stops": {"fr": "L’entraînement sur vos données.", "en": "Training on your data."},
            "steps": {
                "fr": [
                    {
                        "text": f"Ouvrez l’onglet «{NBSP}Confidentialité{NBSP}».",
                        "ui": ["Confidentialité"],
                        "links": ["help"],
                    }
                ],
                "en": [
                    {
                        "text": "Open the “Privacy” tab.",
                        "ui": ["Privacy"],
                        "links": ["help"],
                    }
                ],
            },
        }
    ],
    "links": [
        {
            "id": "help",
            "url": "https://help.example.com/articles/1-privacy",
            "kind": "help",
            "lang": "en",
            "watch": {"select": "article", "expect": ["Privacy"]},
        }
    ],
    "unwatched_labels": [
        {"label": "Confidentialité", "lang": "fr", "reason": "no French page of the help centre"}
    ],
}


def valid_platform() -> dict[str, Any]:
    return copy.deepcopy(VALID_PLATFORM)


def platform_yaml(data: dict[str, Any]) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"{SCHEMA_COMMENT}\n{body}"


WriteFile = Callable[..., Path]


HAZARDS = [
    ("syntax", b"a: [1, 2\nb: 3\n", "OW103", Position(2, 2), "YAML syntax error"),
    ("duplicate key", b"a: 1\nb: 2\na: 3\n", "OW104", Position(3, 1), "duplicate key 'a'"),
    (
        "python tag",
        b"a: !!python/object/apply:os.system ['ls']\n",
        "OW105",
        Position(1, 4),
        "is not allowed",
    ),
    ("local tag", b"a: !secret x\n", "OW105", Position(1, 4), "'!secret' is not allowed"),
    ("alias", b"a: &x [1, 2]\nb: *x\n", "OW106", Position(2, 1), "aliases are not allowed"),
    (
        "alias bomb",
        b"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c]\n",
        "OW106",
        Position(2, 4),
        "aliases are not allowed",
    ),
    ("not utf-8", "a: café\n".encode("latin-1"), "OW101", Position(1, 7), "not UTF-8"),
    ("control character", b"a: \x00\n", "OW103", Position(1, 4), "U+0000 is not allowed"),
    ("tab indent", b"a:\n\tb: 1\n", "OW107", Position(2, 1), "tab used for indentation"),
    ("two documents", b"a: 1\n---\nb: 2\n", "OW103", Position(2, 1), "single document"),
    ("deep nesting", b"[" * 100 + b"]" * 100, "OW103", Position(1, 66), "nesting deeper"),
    ("int tag on a word", b"a: !!int true\n", "OW103", Position(1, 4), "!!int needs a whole"),
    ("int tag on nothing", b"a: !!int ''\n", "OW103", Position(1, 4), "not ''"),
    ("int tag in YAML 1.1 hex", b"a: !!int 0x1F\n", "OW103", Position(1, 4), "not '0x1F'"),
    ("float tag on a word", b"a: !!float x\n", "OW103", Position(1, 4), "!!float needs a number"),
    ("float tag on nan", b"a: [1, !!float .nan]\n", "OW103", Position(1, 8), "not '.nan'"),
    ("bool tag on maybe", b"a: !!bool maybe\n", "OW103", Position(1, 4), "true or false"),
    ("bool tag on yes", b"a:\n  b: {c: !!bool yes}\n", "OW103", Position(2, 10), "not 'yes'"),
    ("bool tag on a line", b'a: !!bool "true\\n"\n', "OW103", Position(1, 4), "!!bool needs"),
    ("null tag on a word", b"a:\n  - !!null x\n", "OW103", Position(2, 5), "!!null needs"),
    ("bad timestamp", b"a: !!timestamp 2026-13-45\n", "OW105", Position(1, 4), "'!!timestamp'"),
    ("odd timestamp", b"- !!timestamp 2026-02-30\n", "OW105", Position(1, 3), "is not allowed"),
    ("binary", b"a: !!binary '###'\n", "OW105", Position(1, 4), "'!!binary' is not allowed"),
]
