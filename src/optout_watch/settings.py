"""Every setting and its default, in one place, merged once.

Precedence, lowest first: the defaults below, `[tool.optout-watch]` of the settings file, the
`OPTOUT_WATCH_*` environment variables, then the command line. Every value, whatever its
source, goes through the same parser and range check, so a mistake anywhere is exit 2 with a
message naming where the value came from. Relative paths in the file are relative to the
file's folder. The file is `--config FILE`, else `OPTOUT_WATCH_CONFIG`, else the nearest
`pyproject.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from optout_watch import PROJECT_URL, __version__
from optout_watch.errors import OptoutWatchError

TABLE = "tool.optout-watch"
ENV_PREFIX = "OPTOUT_WATCH_"


#: Which watched pages are fetched with a browser: `auto` those whose link says
#: `render: browser`, `never` none, `always` all of them.
RenderSetting = Literal["auto", "never", "always"]
RENDER_SETTINGS: tuple[RenderSetting, ...] = ("auto", "never", "always")
#: Whether a watched page that cannot be read live is read from the web archive's copy
#: (`fallback`), and a broken link given its last archived copy; `never` asks no archive.
ArchiveSetting = Literal["never", "fallback"]
ARCHIVE_SETTINGS: tuple[ArchiveSetting, ...] = ("never", "fallback")


class ConfigError(OptoutWatchError):
    """A setting that cannot be used; the message names the file, variable or option."""


@dataclass(frozen=True, slots=True)
class Settings:
    catalogue: Path = Path("catalogue")
    state: Path = Path("state")
    #: Rule-code prefixes to run (empty: all) and to skip.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: OW601 warns when `last_reviewed` is older than this.
    max_review_age_days: int = 180
    #: Consecutive runs before a finding is confirmed (one bad night opens nothing).
    confirm_after: int = 2
    #: Consecutive runs before a blocked link becomes a warning (bot walls come and go).
    blocked_after: int = 7
    #: Seconds per request.
    timeout: float = 10.0
    #: Seconds for everything one URL may take (every attempt and redirect, headers and body
    #: alike; a page in the browser too): a server that answers a byte at a time ends here.
    deadline: float = 60.0
    #: Seconds per request to the public web archive, which takes seconds to answer.
    archive_timeout: float = 60.0
    #: An archived copy older than this many days says nothing about the page today.
    archive_max_age_days: int = 30
    #: When the web archive is asked (see `ArchiveSetting`).
    archive: ArchiveSetting = "fallback"
    #: Extra attempts after the first, for failures worth retrying.
    retries: int = 3
    max_concurrency: int = 16
    per_host: int = 2
    user_agent: str = f"optout-watch/{__version__} (+{PROJECT_URL})"
    #: Which watched pages are shown by headless Chromium (see `RenderSetting`).
    render: RenderSetting = "auto"
    #: The Chromium executable for those pages (Debian's `chromium` package by default).
    chromium: Path = Path("/usr/bin/chromium")
    #: `fix`: the least score of a suggested label taken without the diff's evidence ("replaced
    #: the label's line"). Genuine rewordings ("for everyone" → "for all users") score
    #: 0.85-0.95; below, the suggestion is as likely a neighbouring line of the page.
    min_score: float = 0.85
    #: `issues sync`: new issues opened at most per run; the rest wait on the dashboard.
    max_new: int = 10
    #: `propose`: the branch the fixes are pushed to and proposed from.
    fixes_branch: str = "optout-watch/fixes"
    #: `issues sync` and `propose`: seconds between two writes to GitHub, which asks the
    #: integrations that create content to space them (0: no pause, for a server of your own).
    github_write_interval: float = 1.0
    #: Where the file settings came from, for messages.
    source: Path | None = None


DEFAULTS = Settings()


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, tuple):
        value = list(value)
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


def _number(accepts: Callable[[float], bool], expected: str) -> Callable[[Any, str], float]:
    def parse(value: Any, where: str) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")  # accepted by no range
        if isinstance(value, bool) or not accepts(number):
            raise ConfigError(f"{where}: expected {expected}, got {value!r}")
        return number

    return parse


_INFINITY = float("inf")
_positive_seconds = _number(lambda n: 0 < n < _INFINITY, "a positive number of seconds")
_seconds = _number(lambda n: 0 <= n < _INFINITY, "a number of seconds, 0 or more")
_share = _number(lambda n: 0 <= n <= 1, "a number between 0 and 1")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any, str], Any]:
    def parse(value: Any, where: str) -> str:
        for choice in choices:
            if isinstance(value, str) and value.strip() == choice:
                return choice
        raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")

    return parse


def _path(value: Any, where: str) -> Path:
    return value if isinstance(value, Path) else Path(_text(value, where))


def _per_file_ignores(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: expected a table such as {{"catalogue/x.yaml" = ["OW601"]}}')
    return {str(pattern): _codes(codes, f"{where}.{pattern}") for pattern, codes in value.items()}


_Parser = Callable[[Any, str], Any]
#: Each setting's key as users write it, and its parser (which is also its range check).
_PARSERS: dict[str, _Parser] = {
    "catalogue": _path,
    "state": _path,
    "select": _codes,
    "ignore": _codes,
    "per-file-ignores": _per_file_ignores,
    "max-review-age-days": _whole_number(1),
    "confirm-after": _whole_number(1),
    "blocked-after": _whole_number(1),
    "timeout": _positive_seconds,
    "deadline": _positive_seconds,
    "archive-timeout": _positive_seconds,
    "archive-max-age-days": _whole_number(1),
    "retries": _whole_number(0),
    "max-concurrency": _whole_number(1),
    "per-host": _whole_number(1),
    "user-agent": _text,
    "render": _one_of(RENDER_SETTINGS),
    "archive": _one_of(ARCHIVE_SETTINGS),
    "chromium": _path,
    "min-score": _share,
    "max-new": _whole_number(0),
    "fixes-branch": _text,
    "github-write-interval": _seconds,
}
_PATH_KEYS = {"catalogue", "state", "chromium"}
#: Command-line values for these keys add to the configured ones instead of replacing them.
_EXTENDED_BY_OPTIONS = {"ignore"}
assert {key.replace("-", "_") for key in _PARSERS} == {f.name for f in fields(Settings)} - {
    "source"
}, "every setting has a parser, and every parser a setting"


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


def _apply(
    settings: Settings, key: str, value: Any, where: str, base: Path | None, *, extend: bool = False
) -> Settings:
    if key not in _PARSERS:
        known = ", ".join(sorted(_PARSERS))
        raise ConfigError(f"{where}: unknown setting {key!r}; known settings: {known}")
    parsed = _PARSERS[key](value, where)
    if key in _PATH_KEYS and base is not None and not parsed.is_absolute():
        parsed = base / parsed
    name = key.replace("-", "_")
    if extend:
        parsed = getattr(settings, name) + parsed
    return replace(settings, **{name: parsed})


def load_settings(
    explicit: Path | None,
    *,
    cwd: Path,
    environ: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings in force. `options` holds the command line's values by setting key
    (`"confirm-after"`), None for an option not given. Raises ConfigError, located."""
    settings = DEFAULTS
    from_environment = environ.get(ENV_PREFIX + "CONFIG")
    if explicit is None and from_environment:
        explicit = Path(from_environment)
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{explicit}: no such configuration file")
    path = explicit if explicit is not None else find_pyproject(cwd)
    if path is not None:
        table, text = _read_table(path)
        settings = replace(settings, source=path)
        for key, value in table.items():
            where = f"{path}:{_line_of(text, key)}: [{TABLE}] {key}"
            settings = _apply(settings, key, value, where, path.parent)
    for variable, value in sorted(environ.items()):
        if variable.startswith(ENV_PREFIX) and variable != ENV_PREFIX + "CONFIG":
            key = variable.removeprefix(ENV_PREFIX).lower().replace("_", "-")
            settings = _apply(settings, key, value, f"environment variable {variable}", None)
    for key, value in (options or {}).items():
        if value is not None:
            extend = key in _EXTENDED_BY_OPTIONS
            settings = _apply(settings, key, value, f"--{key}", None, extend=extend)
    return settings
