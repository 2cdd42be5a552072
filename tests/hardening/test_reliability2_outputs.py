"""One writer per output, no silent overwrite, no debris, damaged results refused clearly.

Issue 22, items 1-3 and 6: two writers of one `--out` used to both report success while one
lost its results; `compare --out` and `calibrate import-nccl-tests --out` replaced any file;
killed writers left hidden temporaries nobody removed; a damaged results folder crashed
`report` and `compare` with a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import app
from simulator.output_lock import acquire, lock_path
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario

NCCL_LOG = Path(__file__).parents[1] / "data" / "nccl_logs" / "aws-p5-2node-srun" / "log.txt"


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_scenario()))
    return path


def _run(runner, tmp_path: Path, out: Path, *extra: str):
    args = ["run", str(_scenario(tmp_path)), "--out", str(out), "--profiles", str(PROFILES)]
    return runner.invoke(app, [*args, *extra])


def _write_lock(out: Path, pid: int, host: str) -> None:
    lock_path(out).write_text(json.dumps({"pid": pid, "host": host, "command": "run"}))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------ item 1: concurrent writers
def test_a_second_writer_is_refused_naming_the_holder(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(out, holder.pid, socket.gethostname())
        result = _run(runner, tmp_path, out)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2, result.output
    assert f"pid {holder.pid} on host {socket.gethostname()}" in result.output
    assert not out.exists()  # refused before simulating, nothing written


def test_a_lock_held_on_another_host_is_reported_not_taken(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_lock(out, 1, "some-other-host")
    result = _run(runner, tmp_path, out)
    assert result.exit_code == 2
    assert "some-other-host" in result.output and str(lock_path(out)) in result.output


def test_a_stale_lock_is_taken_over_with_a_note(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pid = _dead_pid()
    _write_lock(out, pid, socket.gethostname())
    result = _run(runner, tmp_path, out)
    assert result.exit_code == 0, result.output
    assert f"took over the stale lock of {out} left by pid {pid}" in result.output
    assert (out / "summary.json").is_file()
    assert not lock_path(out).exists()  # released when the run ended


def test_two_takers_in_one_process_cannot_both_hold(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = acquire(out, "run")
    with pytest.raises(Exception, match=f"pid {os.getpid()}"):
        acquire(out, "run")
    first.release()
    acquire(out, "run").release()


def test_a_sweep_into_a_folder_another_sweep_writes_is_refused(runner, tmp_path: Path) -> None:
    from tests.sweep.conftest import BASE, SPEC

    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "sweep-out"
    holder = acquire(out, "sweep")  # this process's pid: alive
    try:
        result = runner.invoke(
            app, ["sweep", str(spec), "--out", str(out), "--profiles", str(PROFILES)]
        )
    finally:
        holder.release()
    assert result.exit_code == 2, result.output
    assert "is being written by another infrasim" in result.output
    assert not (out / "runs.jsonl").exists()  # no duplicated work


# ------------------------------------------------------------------ item 2: --out overwrites
def _two_runs(runner, tmp_path: Path) -> list[str]:
    dirs = []
    for name in ("a", "b"):
        result = _run(runner, tmp_path, tmp_path / name)
        assert result.exit_code == 0, result.output
        dirs.append(str(tmp_path / name))
    return dirs


def test_compare_refuses_to_overwrite_a_scenario_file(runner, tmp_path: Path) -> None:
    dirs = _two_runs(runner, tmp_path)
    victim = tmp_path / "x.yaml"
    victim.write_text("schema_version: 1\nname: precious\n")
    result = runner.invoke(app, ["compare", *dirs, "--out", str(victim)])
    assert result.exit_code == 2, result.output
    assert "not an earlier output of `infrasim compare`" in result.output
    assert victim.read_text() == "schema_version: 1\nname: precious\n"
    forced = runner.invoke(app, ["compare", *dirs, "--out", str(victim), "--force"])
    assert forced.exit_code == 0, forced.output
    assert victim.read_text().startswith("<!DOCTYPE html>")


def test_compare_replaces_its_own_earlier_page(runner, tmp_path: Path) -> None:
    dirs = _two_runs(runner, tmp_path)
    page = tmp_path / "cmp.html"
    for _ in range(2):
        result = runner.invoke(app, ["compare", *dirs, "--out", str(page)])
        assert result.exit_code == 0, result.output


def test_import_nccl_tests_refuses_to_overwrite_a_scenario(runner, tmp_path: Path) -> None:
    victim = tmp_path / "x.yaml"
    victim.write_text("precious: true\n")
    args = ["calibrate", "import-nccl-tests", str(NCCL_LOG), "--op", "all_reduce"]
    args += ["--gpu-id", "h100-sxm-80gb", "--out"]
    result = runner.invoke(app, [*args, str(victim)])
    assert result.exit_code == 2, result.output
    assert "not an earlier output of `infrasim calibrate import-nccl-tests`" in result.output
    assert victim.read_text() == "precious: true\n"
    own = tmp_path / "cal.json"
    for _ in range(2):  # its own earlier output is replaced without --force
        again = runner.invoke(app, [*args, str(own)])
        assert again.exit_code == 0, again.output


# ------------------------------------------------------------------ item 3: debris
def test_the_next_write_cleans_temporaries_of_killed_writers(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(runner, tmp_path, out).exit_code == 0
    tmp_dir = tmp_path / ".out.tmp-0123456789ab"
    tmp_dir.mkdir()
    (tmp_dir / "jobs.parquet").write_bytes(b"half")
    old = tmp_path / ".out.old-feedfacefeedfacefeedfacefeedface"
    old.mkdir()
    (old / "summary.json").write_text("{}")
    (out / ".report.html.tmp-abcdef012345").write_bytes(b"")  # a killed `report`
    result = _run(runner, tmp_path, out)
    assert result.exit_code == 0, result.output
    assert result.output.count("left by an interrupted write") == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_results_stranded_between_the_renames_are_put_back(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(runner, tmp_path, out).exit_code == 0
    before = (out / "summary.json").read_bytes()
    stranded = tmp_path / ".out.old-0000"
    out.rename(stranded)  # a SIGKILL between `out -> old` and `tmp -> out`
    result = runner.invoke(app, ["report", str(stranded.parent / "out")])
    assert "put back the earlier results" in result.output, result.output
    assert result.exit_code == 0
    assert (out / "summary.json").read_bytes() == before


# ------------------------------------------------------------------ item 6: damaged folders
@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda d: (d / "summary.json").write_text('{"scenario": "x", '), "summary.json"),
        (lambda d: (d / "summary.json").write_text("[1, 2, 3]"), "summary.json"),
        (lambda d: (d / "summary.json").write_bytes(b"\xff\xfe\x00"), "summary.json"),
        (
            lambda d: (d / "jobs.parquet").write_bytes((d / "jobs.parquet").read_bytes()[:100]),
            "jobs.parquet",
        ),
    ],
    ids=["truncated-json", "list-for-mapping", "not-utf8", "truncated-parquet"],
)
def test_damaged_results_are_refused_naming_the_file(runner, tmp_path: Path, damage, named):
    dirs = _two_runs(runner, tmp_path)
    damage(Path(dirs[0]))
    for args in (["report", dirs[0]], ["compare", *dirs, "--out", str(tmp_path / "c.html")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert named in result.output


# ------------------------------------------------------------------ item 5 and 7: before simulating
def test_dry_run_validates_and_simulates_nothing(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(runner, tmp_path, out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing simulated" in result.output and "16 GPUs" in result.output
    assert not out.exists()


def test_an_unusable_out_is_refused_before_simulating(runner, tmp_path: Path, monkeypatch):
    def no_simulation(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(sys.modules["simulator.cli.run"], "simulate", no_simulation)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = _run(runner, tmp_path, other)
    assert result.exit_code == 2 and "holds no infrasim results" in result.output
    if os.geteuid() != 0:  # root writes anywhere
        locked_dir = tmp_path / "ro"
        locked_dir.mkdir()
        locked_dir.chmod(0o500)
        try:
            result = _run(runner, tmp_path, locked_dir / "out")
        finally:
            locked_dir.chmod(0o700)
        assert result.exit_code == 2 and "not writable" in result.output, result.output
