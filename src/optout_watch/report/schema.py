"""The JSON Schema of the check's report, generated from its model, so that other tools can
rely on the report."""

from __future__ import annotations

from typing import Any

from optout_watch.catalogue.schema import schema_of
from optout_watch.report.model import Report


def report_schema() -> dict[str, Any]:
    return schema_of(Report, name="report.schema.json", title="optout-watch check report")
