"""A hostile user's scenario text, through the real command: one line naming file, line and key.

A 5,000-digit integer used to end in Python's own ValueError traceback (int() refuses over 4,300
digits); a key given twice was silently taken at its later value.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BASE = (REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml").read_text()


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


def _line_of(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_5000_digit_integer_is_named_with_its_line(tmp_path: Path, command: str) -> None:
    line = _line_of(BASE, "seed:")
    text = BASE.replace("\nseed: 7\n", "\nseed: " + "7" * 5000 + "\n")
    assert text != BASE
    path = tmp_path / "big.yaml"
    path.write_text(text)
    if command == "validate":
        proc = _command("scenario", "validate", str(path))
    else:
        proc = _command("run", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (message,) = proc.stderr.strip().splitlines()
    assert message.startswith(f"error: {path}: line {line}, column 7: ")
    assert "is too large (limit 2**63-1)" in message
    assert not (tmp_path / "out").exists()


def test_a_duplicate_key_is_named_with_both_lines(tmp_path: Path) -> None:
    first = _line_of(BASE, "horizon_days:")
    path = tmp_path / "dup.yaml"
    path.write_text(BASE + "horizon_days: 90\n")
    last = len(path.read_text().splitlines())
    proc = _command("scenario", "validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {path}: line {last}, column 1: "
        f"duplicate key 'horizon_days' (first given at line {first})"
    )


def test_a_key_given_again_through_set_is_an_override_not_an_error() -> None:
    """`--set` replaces a value on purpose: only keys repeated inside one file are refused."""
    scenario = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"
    proc = _command("scenario", "validate", str(scenario), "--set", "horizon_days=30")
    assert proc.returncode == 0, proc.stderr
