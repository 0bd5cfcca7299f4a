"""Settings from `[tool.optout-watch]` in the nearest `pyproject.toml` and `OPTOUT_WATCH_*`.

Precedence, lowest first: defaults, the file, the environment, then command-line options
(applied by the CLI). Relative paths in the file are relative to the file's folder. The file
is `--config FILE`, else `OPTOUT_WATCH_CONFIG`, else the nearest `pyproject.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

TABLE = "tool.optout-watch"
ENV_PREFIX = "OPTOUT_WATCH_"


class ConfigError(Exception):
    """A configuration mistake; the message names the file or variable and the fix."""


@dataclass(frozen=True, slots=True)
class Config:
    catalogue: Path = Path("catalogue")
    state: Path = Path("state")
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_review_age_days: int = 180
    confirm_after: int = 2
    timeout: float = 10.0
    retries: int = 3
    max_concurrency: int = 16
    per_host: int = 2
    user_agent: str | None = None
    #: Where the settings came from, for messages.
    source: Path | None = None


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where}: expected a list of rule codes such as ["OW601"]')
    return tuple(value)


def _whole_number(minimum: int) -> Callable[[Any, str], int]:
    def parse(value: Any, where: str) -> int:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < minimum:
            raise ConfigError(
                f"{where}: expected a whole number of at least {minimum}, got {value!r}"
            )
        return int(text)

    return parse


def _positive_float(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if isinstance(value, bool) or number <= 0:
        raise ConfigError(f"{where}: expected a positive number of seconds, got {value!r}")
    return number


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _per_file_ignores(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: expected a table such as {{"catalogue/x.yaml" = ["OW601"]}}')
    return {str(pattern): _codes(codes, f"{where}.{pattern}") for pattern, codes in value.items()}


_Parser = Callable[[Any, str], Any]
_PARSERS: dict[str, _Parser] = {
    "catalogue": lambda v, w: Path(_text(v, w)),
    "state": lambda v, w: Path(_text(v, w)),
    "select": _codes,
    "ignore": _codes,
    "per-file-ignores": _per_file_ignores,
    "max-review-age-days": _whole_number(1),
    "confirm-after": _whole_number(1),
    "timeout": _positive_float,
    "retries": _whole_number(0),
    "max-concurrency": _whole_number(1),
    "per-host": _whole_number(1),
    "user-agent": _text,
}
_PATH_KEYS = {"catalogue", "state"}
_FIELD_NAMES = {f.name for f in fields(Config)}


def find_pyproject(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith((f"{key} ", f"{key}=", f'"{key}"')):
            return number
    return 1


def _read_table(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    table: Any = document
    for part in TABLE.split("."):
        table = table.get(part, {}) if isinstance(table, dict) else {}
    if path.name != "pyproject.toml" and not table:
        table = document  # a dedicated file may hold the keys at its top level
    return dict(table), text


def _apply(config: Config, key: str, value: Any, where: str, base: Path | None) -> Config:
    if key not in _PARSERS:
        known = ", ".join(sorted(_PARSERS))
        raise ConfigError(f"{where}: unknown setting {key!r}; known settings: {known}")
    parsed = _PARSERS[key](value, where)
    if key in _PATH_KEYS and base is not None and not parsed.is_absolute():
        parsed = base / parsed
    name = key.replace("-", "_")
    assert name in _FIELD_NAMES
    return replace(config, **{name: parsed})


def load_config(explicit: Path | None, *, cwd: Path, environ: Mapping[str, str]) -> Config:
    """The settings in force; raises ConfigError with a located message."""
    config = Config()
    from_environment = environ.get(ENV_PREFIX + "CONFIG")
    if explicit is None and from_environment:
        explicit = Path(from_environment)
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{explicit}: no such configuration file")
    path = explicit if explicit is not None else find_pyproject(cwd)
    if path is not None:
        table, text = _read_table(path)
        config = replace(config, source=path)
        for key, value in table.items():
            where = f"{path}:{_line_of(text, key)}: [{TABLE}] {key}"
            config = _apply(config, key, value, where, path.parent)
    for variable, value in sorted(environ.items()):
        if variable.startswith(ENV_PREFIX) and variable != ENV_PREFIX + "CONFIG":
            key = variable.removeprefix(ENV_PREFIX).lower().replace("_", "-")
            config = _apply(config, key, value, f"environment variable {variable}", None)
    return config
