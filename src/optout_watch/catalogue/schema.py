"""JSON Schemas generated from the catalogue's models: editors and the CLI give the same verdict
on a catalogue file, and other tools can rely on the export. (The report's is in
`report/schema.py`.)"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from optout_watch.catalogue.export import ExportDocument
from optout_watch.catalogue.models import Platform

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URL = "https://optout-watch.github.io/schema/"


def schema_of(model: type[BaseModel], *, name: str, title: str) -> dict[str, Any]:
    """The validation schema of `model`, with the dialect, an `$id` and a title."""
    body = model.model_json_schema(mode="validation")
    body.pop("title", None)
    return {"$schema": DIALECT, "$id": SCHEMA_BASE_URL + name, "title": title, **body}


def platform_schema() -> dict[str, Any]:
    return schema_of(
        Platform, name="platform.schema.json", title="optout-watch catalogue: one platform"
    )


def export_schema() -> dict[str, Any]:
    return schema_of(
        ExportDocument, name="export.schema.json", title="optout-watch catalogue export"
    )


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text for a committed schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
