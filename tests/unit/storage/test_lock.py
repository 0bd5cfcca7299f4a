"""One run at a time on a state directory; a lock left by a killed run is taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optout_watch.cli import main
from optout_watch.storage.lock import LOCK_FILE, StateLock, StateLocked
from tests.support.nightly import write_catalogue


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
    write_catalogue(run_folder)
    with StateLock(run_folder / "state"):  # a live run: this very process
        code = main(["check", "--remap", "^https://(.*) http://127.0.0.1:9/", "-q"])
        assert (run_folder / "state" / LOCK_FILE).exists()  # the holder's lock is left alone
    err = capsys.readouterr().err
    assert code == 2
    assert f"another optout-watch run holds this state (process {os.getpid()} on" in err
    assert not (run_folder / "state" / "state.json").exists()


def test_a_lock_left_by_a_killed_run_is_taken(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD_UNTIL_KILLED, str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as holder:  # fmt: skip
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(StateLocked, match=f"process {holder.pid} on"), StateLock(tmp_path):
            pass
        holder.kill()  # SIGKILL: the run has no chance to release anything
    left = json.loads((tmp_path / LOCK_FILE).read_text())
    assert left["pid"] == holder.pid
    with StateLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()


_HOLD_UNTIL_KILLED = """
import sys
from pathlib import Path
from optout_watch.storage.lock import StateLock
with StateLock(Path(sys.argv[1])):
    print("holding", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"pid": 1, "host": "elsewhere", "since": 1_800_000_000.0}),  # another machine
        "{half",  # unreadable
        "",  # a run killed before it wrote its name
    ],
)
def test_a_lock_file_without_a_live_holder_is_taken_whatever_it_says(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / LOCK_FILE).write_text(text, encoding="utf-8")
    with StateLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_holder_that_has_not_written_its_name_yet_keeps_its_lock(tmp_path: Path) -> None:
    with StateLock(tmp_path) as lock:
        lock.path.write_text("", encoding="utf-8")  # as between taking the lock and writing
        with pytest.raises(StateLocked, match="a run that is just starting"), StateLock(tmp_path):
            pass
        assert lock.path.exists()
