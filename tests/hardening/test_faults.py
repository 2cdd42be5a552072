"""Faults: `run`, `sweep` and `report` killed (SIGKILL, SIGINT) at random moments, and a full disk.

After each fault: the earlier results are intact (byte for byte, or replaced whole by the new
ones), the next run leaves no debris, no process of the killed command is left, and a rerun
succeeds. A full disk is ENOSPC injected at the write layer (`os.fsync` in atomic_files, the
sweep store's append), since mounting a small tmpfs needs privileges a test may not have.

Moments are drawn from a seeded generator (`random.Random(22)`), so a failure replays.
Processes are found by an environment marker every child inherits (forkserver workers too).
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from simulator.cli import app
from simulator.cli.common import EXIT_INTERRUPTED, EXIT_IO_ERROR
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario
from tests.sweep.conftest import BASE, SPEC

RNG = random.Random(22)
MARK = "INFRASIM_FAULT_TEST"


def _processes_marked(token: str) -> list[int]:
    """Pids of live processes whose environment carries `MARK=token`."""
    needle = f"{MARK}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _infrasim(args: list[str], token: str, **kwargs) -> subprocess.Popen:  # noqa: ANN003
    env = dict(os.environ, **{MARK: token})
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def _no_orphans(token: str, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while _processes_marked(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_marked(token) == [], "processes of the killed command are still alive"


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if ".tmp-" in p.name or ".old-" in p.name)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _scenario(tmp_path: Path, horizon_days: float = 1) -> Path:
    data = small_scenario()
    data["horizon_days"] = horizon_days
    path = tmp_path / f"s{horizon_days}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _sweep_spec(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(dict(SPEC, replications=12)))
    return spec


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_run_keeps_the_earlier_results(tmp_path: Path, runner, sig) -> None:
    out = tmp_path / "out"
    run = ["run", str(_scenario(tmp_path)), "--out", str(out), "--profiles", str(PROFILES)]
    assert runner.invoke(app, run).exit_code == 0
    before = _snapshot(out)
    longer = ["run", str(_scenario(tmp_path, 20)), *run[2:]]
    for attempt in range(3):
        token = f"run-{sig}-{attempt}"
        proc = _infrasim(longer, token)
        time.sleep(RNG.uniform(0.5, 3.0))  # import, load, simulate or save: wherever it is
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        _no_orphans(token)
        now = _snapshot(out)
        assert now == before or set(now) == set(before)  # old results, or whole new ones
        if sig == signal.SIGINT and proc.returncode == EXIT_INTERRUPTED:
            assert b"Traceback" not in err and err.count(b"interrupted") == 1
        before = now
    result = runner.invoke(app, run)
    assert result.exit_code == 0, result.output
    assert _debris(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_sweep_leaves_no_process_and_resumes(tmp_path: Path, sig) -> None:
    spec = _sweep_spec(tmp_path)
    out = tmp_path / "sweep"
    args = ["sweep", str(spec), "--out", str(out), "--profiles", str(PROFILES), "--workers", "2"]
    token = f"sweep-{sig}"
    proc = _infrasim(args, token, start_new_session=True)  # its own group, as in a terminal
    deadline = time.monotonic() + 60
    runs = out / "runs.jsonl"
    while (not runs.is_file() or runs.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(RNG.uniform(0.0, 0.5))
    if sig == signal.SIGINT:  # Ctrl-C reaches the whole foreground group: driver and workers
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)  # the driver alone dies; its workers must notice
    proc.wait(timeout=60)
    _no_orphans(token)  # (they hold its stdout and stderr open until they end)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == EXIT_INTERRUPTED, err
        assert b"Traceback" not in err
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("interrupted; runs finished so far are kept"), err
    _no_orphans(token)
    done_before = len(runs.read_text().splitlines())
    rerun = subprocess.run([sys.executable, "-m", "simulator", *args, "--json"],
                           capture_output=True, timeout=120)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert b'"reused": ' + str(done_before).encode() in rerun.stdout
    assert _debris(tmp_path) == []


def test_a_killed_report_keeps_the_earlier_page(tmp_path: Path, runner) -> None:
    out = tmp_path / "out"
    run = ["run", str(_scenario(tmp_path)), "--out", str(out), "--profiles", str(PROFILES)]
    assert runner.invoke(app, run).exit_code == 0
    page = (out / "report.html").read_bytes()
    for attempt in range(3):
        token = f"report-{attempt}"
        proc = _infrasim(["report", str(out)], token)
        time.sleep(RNG.uniform(0.3, 2.0))
        proc.kill()
        proc.communicate(timeout=60)
        _no_orphans(token)
        assert (out / "report.html").read_bytes()[:15] == page[:15]  # whole page, never a stub
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert _debris(tmp_path) == []


def _full_disk(*args, **kwargs):  # noqa: ANN002, ANN003
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_save_keeps_the_earlier_results(tmp_path: Path, runner, monkeypatch):
    out = tmp_path / "out"
    run = ["run", str(_scenario(tmp_path)), "--out", str(out), "--profiles", str(PROFILES)]
    assert runner.invoke(app, run).exit_code == 0
    before = _snapshot(out)
    import pandas as pd

    monkeypatch.setattr(pd.DataFrame, "to_parquet", _full_disk)
    result = runner.invoke(app, run)
    assert result.exit_code == EXIT_IO_ERROR, result.output
    assert "no space left on the device" in result.output
    assert _snapshot(out) == before and _debris(tmp_path) == []
    monkeypatch.setattr("simulator.atomic_files.os.fsync", _full_disk)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == EXIT_IO_ERROR, result.output
    assert _snapshot(out) == before and _debris(tmp_path) == []
    monkeypatch.undo()
    assert runner.invoke(app, run).exit_code == 0


def test_a_full_disk_in_a_sweep_keeps_the_runs_stored(tmp_path: Path, runner, monkeypatch):
    spec = _sweep_spec(tmp_path)
    out = tmp_path / "sweep"
    args = ["sweep", str(spec), "--out", str(out), "--profiles", str(PROFILES), "--workers", "1"]
    from simulator.sweep import store

    real = store.RunStore.append
    calls = {"n": 0}

    def append_then_fill(self, record):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] > 5:
            _full_disk()
        return real(self, record)

    monkeypatch.setattr(store.RunStore, "append", append_then_fill)
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_IO_ERROR, result.output
    assert len((out / "runs.jsonl").read_text().splitlines()) == 5
    monkeypatch.undo()
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert '"reused": 5' in result.output
    assert _debris(tmp_path) == []
