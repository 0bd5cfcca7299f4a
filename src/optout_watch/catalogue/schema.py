"""JSON Schemas generated from the models: editors and the CLI give the same verdict on a
catalogue file, and other tools can rely on the export and the report."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def report_schema() -> dict[str, Any]:
    # Imported here: the report's model brings the HTTP stack (its redirects are the
    # fetcher's hops), which validating the catalogue never needs.
    from optout_watch.report.model import Report  # noqa: PLC0415

    return schema_of(Report, name="report.schema.json", title="optout-watch check report")


#: Every committed schema file under `schema/`, by file name.
COMMITTED_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "platform.schema.json": platform_schema,
    "export.schema.json": export_schema,
    "report.schema.json": report_schema,
}


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text for a committed schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
