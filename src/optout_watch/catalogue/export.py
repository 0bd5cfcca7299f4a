"""The whole catalogue as one JSON document, for other tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optout_watch import __version__
from optout_watch.catalogue.models import Platform

EXPORT_FORMAT_VERSION = 1


class ExportDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal[1] = Field(description="Bumped on any incompatible change.")
    generator: str = Field(description="The optout-watch version that wrote the document.")
    platforms: list[Platform]


def export_document(platforms: Sequence[Platform]) -> ExportDocument:
    """The export of `platforms`, sorted by id so that the output is stable."""
    return ExportDocument(
        format_version=EXPORT_FORMAT_VERSION,
        generator=f"optout-watch {__version__}",
        platforms=sorted(platforms, key=lambda platform: platform.id),
    )


def render_export(document: ExportDocument) -> str:
    """JSON text; optional keys left unset in the catalogue are left out."""
    data = document.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
