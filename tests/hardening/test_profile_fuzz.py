"""Hostile profile files through `infrasim profiles validate PATH`.

A shipped profile (GPU, node, price sheet) is copied under a new id with one field broken;
validation either accepts it or exits 2 naming the file and the field. Whole documents of
random YAML-ish text and random structures must end the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import app
from tests.conftest import REPO
from tests.hardening.fuzz import (
    FUZZ_CLI,
    ancestors,
    assert_clean_exit,
    hostile_values,
    leaf_paths,
    set_path,
    texts,
    watchdog,
)

SOURCES = {
    "gpus": REPO / "hardware_profiles/gpus/h100-sxm-80gb.yaml",
    "nodes": REPO / "hardware_profiles/nodes/dgx-h100.yaml",
    "pricing": REPO / "hardware_profiles/pricing/aws.yaml",
}


def _profile(kind: str) -> dict:
    data = yaml.safe_load(SOURCES[kind].read_text())
    data["id"] = "fuzz-profile"
    return data


PATHS = [(kind, path) for kind in SOURCES for path in leaf_paths(_profile(kind)) if path != ("id",)]


def _validate(runner, file: Path):
    with watchdog():
        return runner.invoke(app, ["profiles", "validate", str(file)])


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_the_base_profiles_validate(runner, tmp_path: Path, kind: str) -> None:
    file = tmp_path / kind / "fuzz-profile.yaml"
    file.parent.mkdir()
    file.write_text(yaml.safe_dump(_profile(kind)))
    result = _validate(runner, file)
    assert result.exit_code == 0, result.output


@FUZZ_CLI
@given(where=st.sampled_from(PATHS), value=hostile_values)
def test_one_broken_field_is_named(runner, tmp_path: Path, where: tuple, value: object) -> None:
    kind, path = where
    data = _profile(kind)
    set_path(data, path, value)
    file = tmp_path / kind / "fuzz-profile.yaml"
    file.parent.mkdir(exist_ok=True)
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lines = assert_clean_exit(_validate(runner, file), (str(file),))
    if lines:
        names = ancestors(path)
        located = any("line " in ln for ln in lines)
        assert located or any(n in ln for ln in lines for n in names), (path, lines)


@FUZZ_CLI
@given(document=st.one_of(texts, hostile_values.map(lambda v: yaml.safe_dump(v))))
def test_any_document(runner, tmp_path: Path, document: str) -> None:
    file = tmp_path / "gpus" / "fuzz-profile.yaml"
    file.parent.mkdir(exist_ok=True)
    file.write_text(document, encoding="utf-8")
    assert_clean_exit(_validate(runner, file), (str(file),))
