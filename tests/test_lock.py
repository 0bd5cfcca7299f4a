"""One run at a time on a state directory; a lock left by a killed run is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from optout_watch._cli import main
from optout_watch.storage.lock import FOREIGN_LOCK_MAX_AGE, LOCK_FILE, StateLock, StateLocked
from tests.test_check import _catalogue


def _hold(root: Path, pid: int, host: str | None = None, since: float = 1_700_000_000.0) -> None:
    root.mkdir(parents=True, exist_ok=True)
    lock = {"pid": pid, "host": host or socket.gethostname(), "since": since}
    (root / LOCK_FILE).write_text(json.dumps(lock), encoding="utf-8")


def _dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                             capture_output=True, text=True, check=True)  # fmt: skip
    return int(process.stdout)


def test_the_lock_is_held_for_the_run_and_released(tmp_path: Path) -> None:
    with StateLock(tmp_path / "state") as lock:
        holder = json.loads(lock.path.read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid()
        with (
            pytest.raises(StateLocked, match=f"process {os.getpid()} on "),
            StateLock(tmp_path / "state"),
        ):
            pass
    assert not (tmp_path / "state" / LOCK_FILE).exists()


def test_a_second_run_on_the_same_state_exits_2_naming_the_holder(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    _hold(run_folder / "state", os.getpid())  # a live run: this very process
    code = main(["check", "--remap", "^https://(.*) http://127.0.0.1:9/", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"another optout-watch run holds this state (process {os.getpid()} on" in err
    assert not (run_folder / "state" / "state.json").exists()
    assert (run_folder / "state" / LOCK_FILE).exists()  # the holder's lock is left alone


def test_a_lock_left_by_a_killed_run_is_stale(tmp_path: Path) -> None:
    _hold(tmp_path, _dead_pid())
    with StateLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()


def test_a_lock_from_another_machine_is_stale_only_when_old(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    _hold(tmp_path, 1, host="elsewhere", since=now - 60)
    with (
        pytest.raises(StateLocked, match="process 1 on elsewhere"),
        StateLock(tmp_path, clock=lambda: now),
    ):
        pass
    _hold(tmp_path, 1, host="elsewhere", since=now - FOREIGN_LOCK_MAX_AGE - 1)
    with StateLock(tmp_path, clock=lambda: now):
        pass


def test_an_unreadable_lock_is_stale(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text("{half", encoding="utf-8")
    with StateLock(tmp_path):
        pass
    assert not (tmp_path / LOCK_FILE).exists()
