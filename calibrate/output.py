"""Write a calibration file atomically: a probe interrupted midway leaves no partial file.

The file is written under a temporary name in the destination directory, flushed to disk, then
renamed over the destination (atomic on POSIX), so readers see the old file or the new one; its
mode is what the umask allows, as for every output (simulator/atomic_files.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from simulator.atomic_files import write_text_atomic
from simulator.schema.calibration import CalibrationFile


def write_calibration(calibration: CalibrationFile, path: Path) -> Path:
    """Validate-by-construction JSON to `path` via temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(calibration.model_dump(mode="json", exclude_none=True), indent=1)
    return write_text_atomic(path, text + "\n")
