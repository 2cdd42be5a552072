"""Ctrl-C and failed writes leave earlier outputs intact, and the message says what was kept.

The real test interrupts a real `infrasim run` process mid-simulation (it sends itself SIGINT as
its progress bar is drawn on a pseudo-terminal) and compares the earlier `--out` directory
byte for byte.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from simulator.cli import app
from simulator.cli.common import EXIT_INTERRUPTED
from simulator.results import Results
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _earlier_results(runner, tmp_path: Path) -> Path:
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump(small_scenario()))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(small), "--out", str(out), "--profiles", str(PROFILES)])
    assert result.exit_code == 0, result.output
    return out


def _long_scenario(tmp_path: Path) -> Path:
    """Tens of thousands of short jobs: several seconds of simulation."""
    data = small_scenario()
    data["horizon_days"] = 60
    data["workloads"]["synthetic_jobs"][0].update(
        {"arrivals_per_hour": 60, "count": None, "mean_duration_hours": 0.2}
    )
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _read_until(fd: int, needle: bytes, hang_guard_s: float) -> bytes:
    """What the terminal shows until `needle` (or end of output); the guard only stops a hang."""
    seen = b""
    deadline = time.monotonic() + hang_guard_s
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed: the process has gone
                break
            if not chunk:
                break
            seen += chunk
    return seen


CTRL_C_WHEN_THE_BAR_SHOWS = """
import os, signal, sys
from simulator.cli import app

run = sys.modules["simulator.cli.run"]  # the module (`simulator.cli.run` names a function)
run.PROGRESS_AFTER_S = 0.0  # the bar shows at the first progress call, well before the end
draw = run.ProgressBar.__call__

def draw_then_interrupt(self, now_s, horizon_s):
    draw(self, now_s, horizon_s)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, mid-simulation

run.ProgressBar.__call__ = draw_then_interrupt
app(prog_name="infrasim")
"""
"""`infrasim run` in a real process that sends itself SIGINT the moment its progress bar is
drawn: interrupted mid-run at a known point, not at a moment raced against the run's speed."""


def test_sigint_mid_run_keeps_the_earlier_results(runner, tmp_path: Path) -> None:
    out = _earlier_results(runner, tmp_path)
    before = _snapshot(out)
    master, slave = pty.openpty()  # a terminal, so the progress bar shows
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_WHEN_THE_BAR_SHOWS, "run", str(_long_scenario(tmp_path)),
         "--out", str(out), "--profiles", str(PROFILES)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    try:
        seen = _read_until(master, b"earlier results", hang_guard_s=300)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    message = seen.decode(errors="replace")
    assert "day " in message, f"the run was interrupted before its bar showed: {message!r}"
    assert proc.returncode == EXIT_INTERRUPTED, message
    assert "Traceback" not in message
    assert f"interrupted; {out} was left as it was (it still holds the earlier results)" in message
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_interrupt_between_the_renames_puts_the_earlier_results_back(
    runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one moment the old directory is away: Ctrl-C there must not lose it."""
    out = _earlier_results(runner, tmp_path)
    before = _snapshot(out)
    results = Results.load(out)
    real_rename = Path.rename

    def rename(self: Path, target):  # noqa: ANN001
        if self.name.startswith(".out.tmp-"):
            raise KeyboardInterrupt  # after `out` was moved aside, before the new one lands
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        results.save(out)
    monkeypatch.undo()
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_interrupt_message_without_earlier_results(tmp_path: Path) -> None:
    from simulator.cli.common import interrupted_message

    assert "was not created" in interrupted_message(tmp_path / "new")
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "runs.jsonl").write_text("")
    assert "runs finished so far are kept" in interrupted_message(sweep)
    assert interrupted_message(None) == "interrupted; earlier outputs were left as they were"
