"""One writer per output: a lock file naming its holder, and the debris of killed writers.

Two `infrasim run --out DIR` at once used to both say "results written" while only the last
survived; two sweeps into one folder both redid every run. Every command that writes an output
(`run --out`, `sweep`/`search --out`, `report`, `compare --out`, `calibrate ... --out`) first
takes `.<name>.lock` beside the output: a small JSON file with the holder's pid, host, command
and start time, created whole (written under a temporary name, then hard-linked into place, so
no reader ever sees it empty). A second writer is refused with a message naming the holder.

The lock sits beside the output, not inside it: `Results.save` replaces the whole directory by
a rename, which would carry a lock inside it away.

A lock whose holder is a dead process on this host is stale (the holder was killed): it is taken
over, and the caller is told. A lock held on another host cannot be checked from here; it is
reported with its host so a person can decide.

A killed writer also leaves temporaries: `.<name>.tmp-<hex>` (atomic_files) and, killed between
the two renames of `Results.save`, `.<name>.old-<hex>` holding the earlier results. With the lock
held no other writer can own them, so `take` removes them (an `.old-` copy is put back first when
the output itself is missing) and reports each as a note.

Imports nothing from the simulator but errors, so every layer may use it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from simulator.atomic_files import TEMPORARY_MARK, temporary_file
from simulator.errors import InputError, Problem

LOCK_SUFFIX = ".lock"
OLD_MARK = ".old-"
"""`Results.save` moves the earlier results to `.<name>.old-<hex>` for the moment of a swap."""


def lock_path(output: Path) -> Path:
    """Where the lock of `output` lives: `.<name>.lock` in the same directory."""
    return output.parent / f".{output.name}{LOCK_SUFFIX}"


def _alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def _read(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class OutputLock:
    """A held lock: `notes` says what was found and cleaned on taking it."""

    output: Path
    path: Path
    notes: list[str] = field(default_factory=list)

    def release(self) -> None:
        """Remove the lock file if it is still ours (a taken-over lock is not)."""
        held = _read(self.path)
        if held is not None and held.get("pid") == os.getpid() and held.get("host") == _host():
            self.path.unlink(missing_ok=True)


def _host() -> str:
    return socket.gethostname()


def _holder_text(held: dict[str, object]) -> str:
    started = held.get("started")
    since = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
        if isinstance(started, int | float)
        else "an unknown time"
    )
    return (
        f"pid {held.get('pid')} on host {held.get('host')} "
        f"(`infrasim {held.get('command', '?')}`, since {since})"
    )


def acquire(output: str | Path, command: str, field_name: str = "--out") -> OutputLock:
    """Take the lock of `output` for `command`, then clean its debris.

    Raises:
        InputError: another live process holds the lock (the message names its pid and host),
            or the lock cannot be created (the output's directory is not writable).
    """
    output = Path(output)
    path = lock_path(output)
    notes: list[str] = []
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            [Problem(str(output), field_name, f"cannot create its folder: {exc.strerror}")]
        ) from None
    mine = {"pid": os.getpid(), "host": _host(), "command": command, "started": time.time()}
    for _ in range(5):
        try:
            tmp = temporary_file(path)
        except OSError as exc:
            raise InputError(
                [Problem(str(output), field_name, f"not writable: {exc.strerror}")]
            ) from None
        try:
            tmp.write_text(json.dumps(mine) + "\n", encoding="utf-8")
            os.link(tmp, path)  # exclusive: fails if a lock is there
            break
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        held = _read(path)
        if held is None:
            # Locks are linked in whole, so an unreadable one was made or damaged by hand:
            # take it over only once it is old enough not to be someone's in the making.
            try:
                age_s = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age_s < 60:
                raise InputError(
                    [Problem(str(output), field_name, f"is locked by {path} (unreadable)")]
                )
            held = {"pid": None, "host": "?"}
        pid = held.get("pid")
        same_host = held.get("host") == _host()
        if same_host and isinstance(pid, int) and _alive(pid):
            raise InputError(
                [
                    Problem(
                        str(output),
                        field_name,
                        f"is being written by another infrasim, {_holder_text(held)}; wait "
                        f"for it to finish or choose another {field_name} (lock: {path})",
                    )
                ]
            )
        if not same_host and held.get("host") != "?":
            raise InputError(
                [
                    Problem(
                        str(output),
                        field_name,
                        f"is locked by {_holder_text(held)}, which cannot be checked from "
                        f"here; if that process is gone, delete {path}",
                    )
                ]
            )
        # Stale: move it aside (only one taker's rename succeeds), then try again.
        aside = path.parent / f"{path.name}{TEMPORARY_MARK}stale-{os.getpid()}"
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            continue
        aside.unlink(missing_ok=True)
        notes.append(f"took over the stale lock of {output} left by {_holder_text(held)}")
    else:
        raise InputError([Problem(str(output), field_name, f"could not take the lock {path}")])
    lock = OutputLock(output, path, notes)
    lock.notes += clean_debris(output)
    return lock


def clean_debris(output: Path) -> list[str]:
    """Remove the temporaries killed writers left beside `output` (and, for a directory,
    inside it); put back earlier results stranded under `.old-` if `output` is missing.

    Call only while holding the lock of `output`. Returns one note per thing done.
    """
    notes: list[str] = []
    parent = output.parent
    prefix = f".{output.name}"
    olds = sorted(parent.glob(f"{prefix}{OLD_MARK}*"), key=lambda p: p.stat().st_mtime)
    if olds and not output.exists():
        olds[-1].rename(output)
        notes.append(f"put back the earlier results of {output} from {olds[-1].name}")
        olds = olds[:-1]
    debris = [*olds, *parent.glob(f"{prefix}{TEMPORARY_MARK}*")]
    if output.is_dir():
        debris += [p for p in output.glob(f".*{TEMPORARY_MARK}*")]
    for path in sorted(set(debris)):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        notes.append(f"removed {path}, left by an interrupted write")
    return notes


@contextmanager
def locked(output: str | Path, command: str, field_name: str = "--out") -> Iterator[OutputLock]:
    """`acquire`, yield the lock, release it however the block ends."""
    lock = acquire(output, command, field_name)
    try:
        yield lock
    finally:
        lock.release()


def check_writable(directory: Path, field_name: str = "--out") -> None:
    """Refuse now, not after a long simulation, an output whose folder cannot be written.

    Raises:
        InputError: `directory` (or its nearest existing ancestor) is not writable.
    """
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.is_dir() and not os.access(probe, os.W_OK | os.X_OK):
        raise InputError([Problem(str(directory), field_name, "is not writable")])


def refuse_overwrite(path: Path, earlier_output: bool, force: bool, command: str) -> None:
    """Refuse to replace an existing file that `command` did not write, unless `force`.

    Raises:
        InputError: `path` exists, is not an earlier output of `command`, and not `force`.
    """
    if force or not path.exists() or earlier_output:
        return
    raise InputError(
        [
            Problem(
                str(path),
                "--out",
                f"exists and is not an earlier output of `infrasim {command}`; "
                "choose another file or pass --force to replace it",
            )
        ]
    )
