"""Sequential write then read of one file on a given path (the checkpoint pattern).

The write is timed through fsync, so it counts the device, not the page cache. Before the read
the probe asks the kernel to drop the file's cached pages (posix_fadvise DONTNEED); where the
kernel ignores that, the read can be served from memory, and the point says so.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from simulator.errors import InputError, Problem
from simulator.schema.calibration import StoragePoint

CHUNK_BYTES = 4 * 2**20


def storage_throughput(path: Path, size_bytes: int) -> list[StoragePoint]:
    """Write and read back `size_bytes` in a temp file under `path`; the file is removed."""
    if not path.is_dir():
        raise InputError([Problem(str(path), "--storage", "expected an existing directory")])
    chunk = os.urandom(CHUNK_BYTES)
    chunks = max(1, size_bytes // CHUNK_BYTES)
    total = chunks * CHUNK_BYTES
    fd, name = tempfile.mkstemp(prefix=".infrasim-storage-", dir=path)
    try:
        start = time.perf_counter_ns()
        for _ in range(chunks):
            os.write(fd, chunk)
        os.fsync(fd)
        write_s = (time.perf_counter_ns() - start) * 1e-9
        note = "page cache dropped with posix_fadvise"
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except (AttributeError, OSError):
            note = "page cache not dropped: the read may be served from memory"
        os.lseek(fd, 0, os.SEEK_SET)
        start = time.perf_counter_ns()
        while os.read(fd, CHUNK_BYTES):
            pass
        read_s = (time.perf_counter_ns() - start) * 1e-9
    finally:
        os.close(fd)
        os.unlink(name)
    return [
        StoragePoint(
            op="write",
            path=str(path),
            size_bytes=total,
            time_s=write_s,
            gb_per_s=total / write_s / 1e9,
            note="timed through fsync",
        ),
        StoragePoint(
            op="read",
            path=str(path),
            size_bytes=total,
            time_s=read_s,
            gb_per_s=total / read_s / 1e9,
            note=note,
        ),
    ]
