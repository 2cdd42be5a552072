"""The benchmark reporting protocol: `--json-out FILE` writes the script's figures as JSON.

Every `benchmarks/bench_*.py` that supports it takes `--json-out FILE` and writes a list of

    {"name": str, "value": float, "unit": str, "target": str | None, "met": bool | None}

(`target` in words, e.g. "< 5 s"; `met` None where there is no target). `run_all.py` runs the
scripts, gathers these lists and writes the README's benchmark table. A script that does not
take the flag is listed there as "not reported" rather than guessed from its printout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def figure(
    name: str, value: float, unit: str, target: str | None = None, met: bool | None = None
) -> dict[str, Any]:
    """One reported figure."""
    return {"name": name, "value": float(value), "unit": unit, "target": target, "met": met}


def write_figures(path: str | Path | None, figures: list[dict[str, Any]]) -> None:
    """Write `figures` to `path` (nothing when None: the script was run by hand)."""
    if path is not None:
        Path(path).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
