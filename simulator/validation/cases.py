"""Reading a cases file: the published measurements `infrasim validate` compares with.

Cases are third-party figures as their authors wrote them, so the reader checks only the
shape every case needs (an 'id' and a 'kind'); each evaluator decides what else it can use.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulator.errors import InputError, Problem, os_reason

CASES_FILE = Path("tests") / "data" / "public.json"
"""The public validation set, relative to the repository root."""

MAX_CASES_BYTES = 32 * 1024 * 1024


def default_cases_path() -> Path:
    """tests/data/public.json in a source checkout, or the copy a wheel ships in _data/."""
    package = Path(__file__).resolve().parents[1]
    source = package.parent / CASES_FILE
    installed = package / "_data" / "validation" / "public.json"
    return installed if not source.is_file() and installed.is_file() else source


def load_cases(path: str | Path | None = None) -> list[dict]:
    """Cases from a JSON file ({'cases': [...]} or a bare list); InputError if unusable."""
    path = Path(path) if path is not None else default_cases_path()
    where = str(path)
    try:
        if path.stat().st_size > MAX_CASES_BYTES:
            raise InputError([Problem(where, "", f"larger than {MAX_CASES_BYTES} bytes")])
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        hint = " (pass --cases FILE)" if not path.exists() else ""
        raise InputError(
            [Problem(where, "", f"cannot read cases ({os_reason(exc)}){hint}")]
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(where, "", f"not valid JSON ({exc})")]) from None
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise InputError([Problem(where, "cases", "expected a list of case objects")])
    problems = [
        Problem(where, f"cases[{i}]", "each case needs an 'id' and a 'kind'")
        for i, c in enumerate(cases)
        if "id" not in c or "kind" not in c
    ]
    if problems:
        raise InputError(problems)
    return cases
