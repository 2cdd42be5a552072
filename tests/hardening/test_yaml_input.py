"""The safe YAML reader under attack: bombs, tags, depth, size, odd files, odd characters.

Every refusal is an InputError naming the file (and the line where one applies); nothing
builds an object, expands an alias, reads without bound, or crashes the interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import InputError, Problem
from simulator.yaml_io import (
    MAX_FILE_BYTES,
    MAX_NESTING_DEPTH,
    MAX_YAML_CHARS,
    parse_yaml_text,
    read_yaml,
)
from tests.hardening.fuzz import FUZZ, texts

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


@FUZZ
@given(text=texts)
def test_any_text_parses_or_is_refused(text: str) -> None:
    try:
        parse_yaml_text(text, "fuzz")
    except InputError as exc:
        assert exc.problems and all(p.file == "fuzz" for p in exc.problems)


@FUZZ
@given(text=st.text(st.sampled_from("[]{}:-&*!|>'\"#%@` \n\t,?ab1."), max_size=60))
def test_yaml_punctuation_soup(text: str) -> None:
    """Structure characters in any order: the parser's error paths, not its happy path."""
    try:
        parse_yaml_text(text, "soup")
    except InputError as exc:
        assert str(exc).startswith("soup")


def test_billion_laughs_is_refused_at_its_first_alias() -> None:
    """Refused where the bomb starts (line 2's first `*a`), before anything could expand."""
    with pytest.raises(InputError) as info:
        parse_yaml_text(BILLION_LAUGHS, "bomb.yaml")
    (problem,) = info.value.problems
    assert problem.field == "line 2, column 8" and "aliases" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']",
        "a: !!python/name:os.system",
        "a: !!binary aGVsbG8=",  # would turn into bytes, which str fields then accept
        "a: !!set {x, y}",  # a set of strings iterates in a per-process order
        "a: !!omap [{x: 1}]",
        "a: !custom 1",
    ],
)
def test_tags_that_build_objects_are_refused(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "tags.yaml")
    (problem,) = info.value.problems
    assert problem.field == "line 1, column 4"
    assert "is not accepted (plain data only" in problem.message


@pytest.mark.parametrize("depth", [101, 400, 5_000, 200_000])
@pytest.mark.parametrize("prefix", ["x: ", ""], ids=["yaml", "json"])
def test_deep_nesting_is_refused_with_its_line(depth: int, prefix: str) -> None:
    """libyaml's own composer overflows the C stack near 100,000 levels (a segfault), and its
    scanner has a limit of its own: ours speaks first, with our words and the line."""
    text = "a: 1\n" * (prefix != "") + prefix + "[" * depth + "]" * depth
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "deep.yaml")
    (problem,) = info.value.problems
    line = 2 if prefix else 1
    assert problem.file == "deep.yaml"
    assert problem.message == f"nested more than {MAX_NESTING_DEPTH} levels deep at line {line}"


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_up_to_the_limit_still_loads(style: str) -> None:
    depth = MAX_NESTING_DEPTH - 1  # the top-level mapping is one level
    if style == "flow":
        text = "x: " + "[" * depth + "]" * depth
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    assert parse_yaml_text(text, "ok.yaml")


def test_brackets_inside_strings_and_comments_are_not_nesting() -> None:
    brackets = "[" * 300
    text = f"a: '{brackets}'\nb: \"{brackets}\"  # {brackets}\n"
    assert parse_yaml_text(text, "ok.yaml") == {"a": brackets, "b": brackets}
    assert parse_yaml_text(f'{{"a": "{brackets}"}}', "ok.json") == {"a": brackets}


@pytest.mark.parametrize(
    ("text", "line", "key", "first"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 4, "c", 3),
        ("a: 1\na: 2\n", 2, "a", 1),
        ('{"a": 1,\n "b": {"x": 1, "x": 2}}', 2, "x", 2),
    ],
    ids=["yaml-nested", "yaml-top", "json"],
)
def test_duplicate_keys_are_refused_with_line_and_key(
    text: str, line: int, key: str, first: int
) -> None:
    """PyYAML and json keep the later value silently; a planner's typo must not win quietly."""
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "dup.yaml")
    (problem,) = info.value.problems
    assert problem.file == "dup.yaml" and problem.field.startswith(f"line {line}, ")
    assert problem.message == f"duplicate key '{key}' (first given at line {first})"


def test_a_merge_key_is_not_a_duplicate() -> None:
    assert parse_yaml_text("a: 1\n<<: {b: 2}\n", "merge.yaml") == {"a": 1, "b": 2}


@pytest.mark.parametrize("digits", [20, 400, 5_000, 50_000])
@pytest.mark.parametrize("style", ["yaml", "json"])
def test_huge_integers_are_refused_with_their_line(digits: int, style: str) -> None:
    """Python refuses int() of over 4,300 digits with its own ValueError: that was a crash."""
    number = "9" * digits
    text = f"a: 1\nb: {number}\n" if style == "yaml" else f'{{"a": 1,\n "b": {number}}}'
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "big.yaml")
    (problem,) = info.value.problems
    assert problem.field.startswith("line 2, ") and "too large (limit 2**63-1)" in problem.message


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" * 400])
def test_integers_beyond_64_bits_are_refused_with_their_line(value: str) -> None:
    with pytest.raises(InputError, match="line 2, column 11.*too large"):
        parse_yaml_text(f"a: 1\npriority: {value}\n", "big.yaml")


def test_64_bit_integers_and_dates_still_load() -> None:
    data = parse_yaml_text("a: 9223372036854775807\nb: -9223372036854775808\nc: 2024-05-01\n", "x")
    assert data["a"] == 2**63 - 1 and data["b"] == -(2**63) and str(data["c"]) == "2024-05-01"


def test_lone_surrogates_are_refused() -> None:
    """Non-UTF-8 bytes in argv arrive as lone surrogates (e.g. in a --set value)."""
    with pytest.raises(InputError, match="not valid YAML"):
        parse_yaml_text("name: \udcff", "--set name")


def _no_yaml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the (slow, pure-Python-composed) YAML parser is reached at all."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the YAML parser was reached")

    monkeypatch.setattr(yaml, "load", refuse)


def test_oversized_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    opened: list[Path] = []
    real_open = Path.open

    def watched_open(self: Path, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", watched_open)
    with pytest.raises(InputError, match="at most"):
        read_yaml(big)
    assert opened == []  # refused on its size alone: not one byte read


def test_gigantic_documents_are_refused_or_parsed_in_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pure-Python YAML parses about 0.2 MB/s: big YAML is refused unparsed, big JSON never
    reaches the YAML parser (json, in C, reads it)."""
    _no_yaml_parser(monkeypatch)
    with pytest.raises(InputError, match=f"over {MAX_YAML_CHARS} characters"):
        parse_yaml_text("a:\n" + "  - 1\n" * (MAX_YAML_CHARS // 6 + 1), "big.yaml")
    path = tmp_path / "big.json"
    path.write_text("[" + ",".join(['{"x": 1, "y": [1.5, "ab"]}'] * 300_000) + "]")
    assert len(read_yaml(path)) == 300_000  # about 8 MB


def test_devices_and_fifos_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo, tmp_path):
        with pytest.raises(InputError, match="not a regular file"):
            read_yaml(path)


def test_invalid_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_yaml(path)


def test_a_problem_is_always_one_line() -> None:
    """Keys and values from the input may hold newlines; the printed problem may not."""
    text = str(Problem("s.yaml", "a\nb\r", "bad \x1b[31m value\u2028end"))
    assert len(text.splitlines()) == 1 and "\x1b" not in text
    assert text == "s.yaml: a\\nb\\r: bad \\x1b[31m value\\u2028end"
