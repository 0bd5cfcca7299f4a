from __future__ import annotations

from pathlib import Path

import pytest

from optout_watch.settings import ConfigError, Settings, load_settings


def _load(tmp_path: Path, table: str, environ: dict[str, str] | None = None) -> Settings:
    (tmp_path / "pyproject.toml").write_text(
        f"[project]\nname = 'x'\n\n[tool.optout-watch]\n{table}"
    )
    return load_settings(None, cwd=tmp_path / "sub" if (tmp_path / "sub").is_dir() else tmp_path,
                       environ=environ or {})  # fmt: skip


def test_defaults_without_any_file(tmp_path: Path) -> None:
    assert load_settings(None, cwd=tmp_path, environ={}) == Settings()


def test_values_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    config = _load(
        tmp_path,
        'catalogue = "cat"\nstate = "st"\nretries = 0\ntimeout = 2.5\n'
        'per-file-ignores = { "a.yaml" = ["OW601"] }\n',
    )
    assert config.catalogue == tmp_path / "cat"
    assert config.state == tmp_path / "st"
    assert (config.retries, config.timeout) == (0, 2.5)
    assert config.per_file_ignores == {"a.yaml": ("OW601",)}
    assert config.source == tmp_path / "pyproject.toml"


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    config = _load(tmp_path, "per-host = 4\n", {"OPTOUT_WATCH_PER_HOST": "1"})
    assert config.per_host == 1


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ('max-review-age-days = "soon"\n', "max-review-age-days: expected a whole number"),
        ("retries = -1\n", "retries: expected a whole number of at least 0"),
        ("timeout = 0\n", "timeout: expected a positive number of seconds"),
        ("deadline = -1\n", "deadline: expected a positive number of seconds"),
        ("github-write-interval = -0.5\n", "github-write-interval: expected a number of seconds"),
        ('github-write-interval = "inf"\n', "github-write-interval: expected a number of seconds"),
        ("select = 3\n", "select: expected a list of rule codes"),
        ("per-host = true\n", "per-host: expected a whole number"),
        ("per-file-ignores = 1\n", "per-file-ignores: expected a table"),
        ("colour = 1\n", "unknown setting 'colour'"),
        ("timeout = [\n", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_the_line_and_the_setting(
    tmp_path: Path, table: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, table)
    assert str(caught.value).startswith(str(tmp_path / "pyproject.toml"))
    assert fragment in str(caught.value)
    if "TOML" not in fragment:
        assert ":5: [tool.optout-watch]" in str(caught.value)


def test_the_pause_between_github_writes_may_be_zero(tmp_path: Path) -> None:
    assert Settings().github_write_interval == 1.0
    assert _load(tmp_path, "github-write-interval = 0\n").github_write_interval == 0.0
    environ = {"OPTOUT_WATCH_GITHUB_WRITE_INTERVAL": "2.5"}
    assert _load(tmp_path, "", environ).github_write_interval == 2.5


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment variable OPTOUT_WATCH_RETRIES"):
        load_settings(None, cwd=tmp_path, environ={"OPTOUT_WATCH_RETRIES": "many"})
