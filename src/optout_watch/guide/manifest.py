"""The guide's manifest: which files a render wrote into its output folder."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import PurePosixPath

#: The list of the files a render wrote, kept in its output folder: the next render removes
#: those it no longer writes (a platform taken out of the catalogue) and no other file, and
#: writes only into a folder that is empty or holds one.
MANIFEST = ".optout-watch-guide.json"


def render_manifest(files: Iterable[str]) -> str:
    document = {"written_by": "optout-watch render", "files": sorted(set(files))}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_manifest(text: str) -> frozenset[str]:
    """The files a manifest lists. Raises ValueError for a manifest `render_manifest` did not
    write, or one that names a file outside its folder (never to be removed)."""
    document = json.loads(text)
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        raise ValueError('not a list of files under "files"')
    for name in files:
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or "\\" in name or ".." in parts or name == MANIFEST:
            raise ValueError(f"{name!r} is not a file of the guide")
    return frozenset(files)
