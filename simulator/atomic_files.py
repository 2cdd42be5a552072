"""Outputs written whole or not at all, with the modes an ordinary `open` would give them.

A reader (or a kill) must never see half an output, so each one is written under a temporary
sibling name and renamed over its real name. `tempfile.mkstemp` and `mkdtemp` would make that
sibling 0600 / 0700 (they are built for private scratch) and the rename keeps the mode, so a
team sharing a results folder could not read each other's runs. Here the sibling is created
the ordinary way, `os.open(..., 0o666)` / `os.mkdir(..., 0o777)` with an exclusive random name,
and the kernel applies the umask (and any default ACL) itself: 0644 / 0755 under umask 022,
0600 / 0700 under 077. No umask is read, so none is changed: `os.umask` can only be read by
setting it, which races with every other thread creating a file at that moment.

Every output of the tool goes through here (`Results.save`, `report/files.py`,
`sweep/outputs.py`, `calibrate/output.py`); it imports nothing from the simulator, so every
layer may use it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

TEMPORARY_MARK = ".tmp-"
"""Temporary siblings are named `.<name>.tmp-<random hex>`: hidden, and easy to tell apart."""

_ATTEMPTS = 100
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside `path` (the caller creates it exclusively)."""
    return path.parent / f".{path.name}{TEMPORARY_MARK}{secrets.token_hex(6)}"


def _create(path: Path, make: Callable[[Path], object]) -> Path:
    for _ in range(_ATTEMPTS):
        candidate = temporary_name(path)
        try:
            make(candidate)
        except FileExistsError:
            continue
        except OSError as exc:  # name the output asked for, not the hidden sibling
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        return candidate
    raise FileExistsError(f"no free temporary name beside {path}")


def temporary_file(path: Path) -> Path:
    """Create an empty file beside `path`, mode 0o666 less the umask; returns its path."""
    return _create(path, lambda p: os.close(os.open(p, _FILE_FLAGS, 0o666)))


def temporary_directory(path: Path) -> Path:
    """Create a directory beside `path`, mode 0o777 less the umask; returns its path."""
    return _create(path, lambda p: os.mkdir(p, 0o777))


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary sibling)`, flush it to disk, then rename it over `path`.

    `write` may reopen and truncate the sibling (pandas, pyarrow and `Path.write_text` do):
    an existing file keeps its mode. On any failure, Ctrl-C included, the sibling is removed
    and `path` is left as it was.
    """
    tmp = temporary_file(path)
    try:
        write(tmp)
        with open(tmp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` (UTF-8, `\\n` line ends on every OS) to `path` atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))
