"""Input problems reported as one readable line each: file, field, what was expected.

Planners feed the tool hand-written YAML; a traceback tells them nothing. Every loader turns
pydantic and YAML errors into `Problem`s and raises one `InputError` holding all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return one_line(f"{where}: {self.message}")


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (`\\n`, `\\x00`).

    A problem is one line by contract; a field name or value from the input (a `--set` key,
    a YAML key with a newline in it) must not split it or move the terminal's cursor.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """Bad input: carries every problem found, each naming file and field."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def field_path(loc: Iterable[object]) -> str:
    """Turn a pydantic error location into `a.b[2].c`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


_MESSAGES = {
    "extra_forbidden": "unknown key (not part of the schema; check the spelling)",
    "missing": "required field is missing",
}


def _describe(error: dict) -> str:
    kind = error.get("type", "")
    message = _MESSAGES.get(kind, error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if kind not in ("missing", "extra_forbidden") and "input" in error:
        shown = repr(error["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        message += f" (got {shown})"
    return message


def _strip_union_tag(loc: tuple) -> tuple:
    """Drop pydantic's union-member labels (e.g. 'str', 'ProfileRef') from a location."""
    return tuple(
        p for p in loc if not (isinstance(p, str) and (p[:1].isupper() or p in {"str", "int"}))
    )


def problems_from_validation(
    error: ValidationError, file: str | Path, prefix: str = ""
) -> list[Problem]:
    """One Problem per pydantic error, located in `file` under `prefix`."""
    problems = []
    seen = set()
    for item in error.errors():
        path = field_path(_strip_union_tag(tuple(item["loc"])))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        problem = Problem(str(file), path or "(document)", _describe(item))
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems
