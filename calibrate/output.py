"""Write a calibration file atomically: a probe interrupted midway leaves no partial file.

The file is written to a temporary name in the destination directory, flushed to disk, then
renamed over the destination (atomic on POSIX), so readers see the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from simulator.schema.calibration import CalibrationFile


def write_calibration(calibration: CalibrationFile, path: Path) -> Path:
    """Validate-by-construction JSON to `path` via temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(calibration.model_dump(mode="json", exclude_none=True), indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
