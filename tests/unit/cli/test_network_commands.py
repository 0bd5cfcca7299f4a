"""The network commands' wiring: what they refuse to do, where they refuse to go, and what
they say about the files they skip. Over loopback, through `main` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optout_watch.cli import main
from tests.support.catalogue import WriteFile, valid_platform
from tests.support.loopback import Loopback, Reply
from tests.support.nightly import OK, help_page


def test_confirm_after_0_is_refused_not_silently_2(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--confirm-after", "0", "--remap", "^https://(.*) http://127.0.0.1:9/"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--confirm-after: expected a whole number of at least 1, got 0" in err
    assert not (nightly_root / "state").exists()


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--blocked-after", "0", "--blocked-after: expected a whole number of at least 1"),
        ("--per-host", "0", "--per-host: expected a whole number of at least 1"),
        ("--max-concurrency", "0", "--max-concurrency: expected a whole number of at least 1"),
        ("--retries", "-1", "--retries: expected a whole number of at least 0"),
        ("--timeout", "0", "--timeout: expected a positive number of seconds"),
    ],
)
def test_every_command_line_value_is_range_checked(
    nightly_root: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, fragment: str
) -> None:
    command = "check" if option == "--blocked-after" else "probe"
    assert main([command, option, value]) == 2
    assert fragment in capsys.readouterr().err


def test_probe_with_only_invalid_files_has_nothing_to_check_and_says_so(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = run_folder / "catalogue"
    folder.mkdir()
    (folder / "huge.yaml").write_bytes(b"# " + b"x" * (1024 * 1024 + 10) + b"\n")

    code = main(["probe", "--format", "json"])

    captured = capsys.readouterr()
    assert code == 2
    assert "catalogue/huge.yaml: not checked, the file is invalid" in captured.err
    assert "nothing to check: every catalogue file is invalid (catalogue/huge.yaml)" in (
        captured.err
    )
    assert captured.out == ""  # no report claiming that all is well


def test_a_catalogue_without_urls_to_watch_has_nothing_to_check(
    run_folder: Path, write_catalogue_file: WriteFile, capsys: pytest.CaptureFixture[str]
) -> None:
    data = valid_platform()
    del data["links"][0]["watch"]
    write_catalogue_file(data)
    assert main(["watch", "--remap", "^https://(.*) http://127.0.0.1:9/"]) == 2
    assert "nothing to check: the catalogue names no URL to fetch" in capsys.readouterr().err


def test_skipped_files_are_named_on_stderr_and_in_the_report(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (nightly_root / "catalogue" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", help_page())
        code = main(
            [
                "probe", "--retries", "0", "--format", "json", "-o", "probe.json",
                "--remap", rf"^https://help\.example\.org/ {server.base_url}/",
            ]
        )  # fmt: skip
    assert code == 0
    assert "catalogue/broken.yaml: not checked, the file is invalid" in capsys.readouterr().err
    report = json.loads((nightly_root / "probe.json").read_text())
    assert report["skipped_files"] == ["catalogue/broken.yaml"]
    assert report["summary"]["links"] == 4
    assert [p["service"] for p in report["platforms"]] == ["Chat"]


def test_a_redirect_to_a_loopback_address_no_rule_names_is_refused_unfetched(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        mirror = net.server("127.0.0.1", default=OK)
        hidden = net.server("127.0.0.3", default=OK)  # stands for 169.254.169.254
        mirror.route("/privacy", help_page())
        mirror.route("/form", Reply(302, {"location": hidden.url("/latest/meta-data/")}))
        code = main(
            [
                "probe", "--retries", "0", "--format", "json", "-o", "probe.json",
                "--remap", rf"^https://help\.example\.org/ {mirror.base_url}/",
            ]
        )  # fmt: skip
    assert hidden.requests == []  # never fetched
    report = json.loads((nightly_root / "probe.json").read_text())
    (form,) = [link for link in report["links"] if link["url"].endswith("/form")]
    assert form["outcome"] == "broken"
    assert (
        "refused to connect: 127.0.0.3 leads to 127.0.0.3, a loopback address" in (form["reason"])
    )
    assert code == 1
    assert capsys.readouterr().out == ""


def test_a_host_a_rule_names_may_be_non_public(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        mirror = net.server("127.0.0.1", default=OK)
        other = net.server("127.0.0.3", default=OK)
        mirror.route("/privacy", help_page())
        mirror.route("/form", Reply(302, {"location": other.url("/form")}))
        code = main(
            [
                "probe", "--retries", "0", "-q",
                "--remap", rf"^https://help\.example\.org/wall {other.base_url}/wall",
                "--remap", rf"^https://help\.example\.org/ {mirror.base_url}/",
            ]
        )  # fmt: skip
    assert code == 0
    assert sorted(r.target for r in other.requests) == ["/form", "/wall"]
