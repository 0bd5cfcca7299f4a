"""GitHub Actions workflow commands (`::error file=…::message`), escaped as the runner expects."""

from __future__ import annotations


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str, message: str, *, file: str, line: int, column: int | None = None, title: str
) -> str:
    """One annotation line; `level` is `error`, `warning` or `notice`."""
    properties = [f"file={_escape_property(file)}", f"line={line}"]
    if column is not None:
        properties.append(f"col={column}")
    properties.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(properties)}::{_escape_data(message)}"
