"""The floor of `optout-watch validate`: PyYAML's C loader and jsonschema, nothing else.

    python bench/workers/validate_floor.py FOLDER SCHEMA

Loads every *.yaml file of FOLDER with `CSafeLoader` (dates kept as strings, as the schema
expects and as the project's own loader does) and validates it against SCHEMA with the
validator its `$schema` names. No positions, no content rules. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import jsonschema
import yaml

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """CSafeLoader without the timestamp resolver: `2026-11-28` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def main() -> int:
    folder, schema_path = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    files = errors = 0
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        errors += sum(1 for _ in validator.iter_errors(data))
        files += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"elapsed": elapsed, "files": files, "errors": errors}))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
