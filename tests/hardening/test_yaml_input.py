"""The safe YAML reader under attack: bombs, tags, depth, size, odd files, odd characters.

Every refusal is an InputError naming the file (and the line where one applies); nothing
builds an object, expands an alias, reads without bound, or crashes the interpreter.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import InputError, Problem
from simulator.yaml_io import MAX_FILE_BYTES, MAX_YAML_CHARS, parse_yaml_text, read_yaml
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


def test_billion_laughs_is_refused_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(InputError, match="aliases"):
        parse_yaml_text(BILLION_LAUGHS, "bomb.yaml")
    assert time.monotonic() - start < 1.0


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
    with pytest.raises(InputError, match="line 1"):
        parse_yaml_text(text, "tags.yaml")


@pytest.mark.parametrize("depth", [400, 5_000, 200_000])
@pytest.mark.parametrize("prefix", ["x: ", ""], ids=["yaml", "json"])
def test_deep_nesting_is_refused_not_a_crash(depth: int, prefix: str) -> None:
    """libyaml's own composer overflows the C stack near 100,000 levels (a segfault)."""
    text = prefix + "[" * depth + "]" * depth
    if prefix == "" and depth == 400:
        assert parse_yaml_text(text, "deep.json")  # JSON this deep is still fine
        return
    with pytest.raises(InputError, match="nested too deeply"):
        parse_yaml_text(text, "deep.yaml")


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


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match="at most"):
        read_yaml(big)


def test_gigantic_documents_are_refused_or_fast(tmp_path: Path) -> None:
    """Pure-Python YAML parses about 0.2 MB/s: big YAML is refused, big JSON parsed in C."""
    start = time.monotonic()
    with pytest.raises(InputError, match="over"):
        parse_yaml_text("a:\n" + "  - 1\n" * (MAX_YAML_CHARS // 6 + 1), "big.yaml")
    assert time.monotonic() - start < 1.0
    path = tmp_path / "big.json"
    path.write_text("[" + ",".join(['{"x": 1, "y": [1.5, "ab"]}'] * 300_000) + "]")
    start = time.monotonic()
    assert len(read_yaml(path)) == 300_000  # about 8 MB
    assert time.monotonic() - start < 10.0


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
