"""The resumable store: one JSON line per finished run, appended and fsynced as it lands.

A sweep of hundreds of runs may be killed (Ctrl-C, a lost node, a laptop lid); the work done
must survive. Each finished run is one line in `runs.jsonl`, written and fsynced before the
next result is taken, so at most the runs in flight are lost. A run is identified by a key
hashed from what determines its result (base scenario bytes, settings, seed, profile
directories, simulator version), not by its position in the grid: a restart, a longer axis or
more replications reuse every run already done, and an edited base scenario reruns them all.

A kill in the middle of a write leaves a partial last line; opening the store cuts it off (that
run simply runs again).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from simulator._version import __version__
from simulator.errors import InputError, Problem

RUNS_FILE = "runs.jsonl"


def run_key(
    base_sha256: str, settings: tuple[str, ...], seed: int, profile_dirs: tuple[str, ...]
) -> str:
    """Identity of a run: equal keys give byte-identical results."""
    ident = {
        "base_sha256": base_sha256,
        "settings": list(settings),
        "seed": seed,
        "profiles": list(profile_dirs),
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:32]


class RunStore:
    """Finished runs under `directory/runs.jsonl`, by key."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / RUNS_FILE
        self.records: dict[str, dict[str, Any]] = {}
        self._check_directory()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load()

    def _check_directory(self) -> None:
        d = self.directory
        if d.exists() and not d.is_dir():
            raise InputError([Problem(str(d), "--out", "exists and is not a directory")])
        if d.is_dir() and any(d.iterdir()) and not self.path.is_file():
            raise InputError(
                [
                    Problem(
                        str(d),
                        "--out",
                        "directory is not empty and holds no sweep runs; "
                        "choose a new or empty directory",
                    )
                ]
            )

    def _load(self) -> None:
        if not self.path.is_file():
            return
        raw = self.path.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) != len(raw):
            with open(self.path, "r+b") as f:
                f.truncate(len(complete))
                f.flush()
                os.fsync(f.fileno())
        for number, line in enumerate(complete.decode("utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)
                self.records[record["key"]] = record
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    [Problem(str(self.path), f"line {number}", "not a sweep run record")]
                ) from None

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored record of run `key`, if finished."""
        return self.records.get(key)

    def append(self, record: dict[str, Any]) -> None:
        """Store one finished run durably before returning."""
        line = json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[record["key"]] = record
