"""Input problems reported as one readable line each: file, field, what was expected.

Planners feed the tool hand-written YAML; a traceback tells them nothing. Every loader turns
pydantic and YAML errors into `Problem`s and raises one `InputError` holding all of them.
"""

from __future__ import annotations

import errno
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


_OS_REASONS = {
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENAMETOOLONG: "the path is too long",
    errno.ELOOP: "too many symbolic links",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
}
"""Our words for the OS errors users meet; others keep the C library's text."""


def os_reason(exc: BaseException) -> str:
    """Why a file could not be read or written, in a few plain words."""
    number = getattr(exc, "errno", None)
    if number in _OS_REASONS:
        return _OS_REASONS[number]
    return getattr(exc, "strerror", None) or str(exc)


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
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number, not a fraction",
    "int_parsing_size": "expected a whole number of at most 19 digits",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "set_type": "expected a list",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "datetime_type": "expected a date and time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_parsing": "expected a date and time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_from_date_parsing": "expected a date and time (YYYY-MM-DDTHH:MM:SS)",
}
"""Our words for pydantic's error types (its `type` codes are its API; its wording is not)."""

_BOUNDS = {
    "greater_than": ("gt", "must be greater than {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "multiple_of": ("multiple_of", "must be a multiple of {}"),
    "too_short": ("min_length", "needs at least {} items"),
    "too_long": ("max_length", "takes at most {} items"),
    "string_too_short": ("min_length", "needs at least {} characters"),
    "string_too_long": ("max_length", "takes at most {} characters"),
    "string_pattern_mismatch": ("pattern", "must match the pattern {}"),
    "literal_error": ("expected", "expected {}"),
    "enum": ("expected", "expected {}"),
}
"""Error types whose limit pydantic hands over in `ctx`: the message is ours, the figure its."""


def _bound(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def error_message(error: dict) -> str:
    """Our one-line wording of one pydantic error (without the offending value)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        key, template = _BOUNDS[kind]
        return template.format(_bound(ctx[key]))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])  # our own validators' words
    return str(error.get("msg", "invalid value"))  # a rare type: pydantic's words, unchanged


def _describe(error: dict) -> str:
    kind = error.get("type", "")
    message = error_message(error)
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
