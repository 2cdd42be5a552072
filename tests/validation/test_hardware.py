"""Hardware names come from the profiles' `matches:` lists: adding a GPU is adding its YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.validation.cases import load_cases
from simulator.validation.hardware import gpu_for_hardware, node_for_hardware
from simulator.validation.outcome import Skip
from simulator.validation.runner import run_validation
from simulator.yaml_io import read_yaml
from tests.conftest import REPO

GAUDI2 = "Intel Gaudi 2"
"""How public.json's mamf-finder rows name this part (skipped by the shipped catalog)."""


def _user_gpu_dir(tmp_path: Path, profile_id: str, matches: list) -> Path:
    """A user profile dir with one new GPU: the H100's figures under another id and names."""
    data = read_yaml(REPO / "hardware_profiles" / "gpus" / "h100-sxm-80gb.yaml")
    data.update(id=profile_id, name=f"test part {profile_id}", matches=matches)
    data["efficiency"]["fitted_to_cases"] = []
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / f"{profile_id}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def test_a_new_profiles_matches_entry_resolves_a_case_without_code(catalog, tmp_path) -> None:
    assert gpu_for_hardware(GAUDI2, catalog) == Skip("no Intel Gaudi profile in the catalog")
    extended = Catalog.load([_user_gpu_dir(tmp_path, "gaudi2", ["Gaudi[ -]?2"])])
    assert gpu_for_hardware(GAUDI2, extended) == ("gaudi2", "")
    assert gpu_for_hardware("Intel Gaudi", extended) == Skip(
        "no Intel Gaudi profile in the catalog"
    )
    cases = [c for c in load_cases() if c["hardware"] == GAUDI2 and c["kind"] == "gemm"]
    assert cases
    report = run_validation(cases, extended)
    assert {r.status for r in report.results} == {"ok"}


def test_a_profile_wins_a_tie_with_an_unmodelled_name(tmp_path) -> None:
    """'Gaudi' (unmodelled) and a new profile's 'Gaudi' match the same text: the profile."""
    extended = Catalog.load([_user_gpu_dir(tmp_path, "gaudi-any", ["gaudi"])])
    assert gpu_for_hardware("Intel Gaudi 2", extended) == ("gaudi-any", "")


@pytest.mark.parametrize(
    ("hardware", "expected"),
    [
        ("NVIDIA GB200 SXM", "gb200"),  # not b200: 'GB200' matches more of the text
        ("NVIDIA B200 SXM", "b200-sxm-180gb"),
        ("AMD MI300X", "mi300x"),  # the profile beats the AMD Instinct rule on a tie
        ("1x NVIDIA V100 (DGX-2)", "v100-sxm-32gb"),
        ("NVIDIA A100 PCIe", "A100 PCIe (250-300 W part) has no profile"),
        ("AMD MI355X", "mi355x"),  # shipped since issue 24
        ("AMD MI250X", "no profile for this AMD Instinct part"),
        ("Cerebras WSE-3", "no GPU profile matches hardware 'Cerebras WSE-3'"),
    ],
)
def test_the_longest_matching_name_decides(catalog, hardware: str, expected: str) -> None:
    found = gpu_for_hardware(hardware, catalog)
    assert (found.reason if isinstance(found, Skip) else found[0]) == expected


def test_a_matches_entry_carries_its_note(catalog) -> None:
    gpu_id, note = gpu_for_hardware("NVIDIA GH200 SXM", catalog)
    assert gpu_id == "h200-sxm-141gb" and "GH100 die" in note


@pytest.mark.parametrize(
    ("hardware", "expected"),
    [
        ("2x AWS p4de.24xlarge (16x A100 SXM4 80GB)", "aws-p4de"),
        ("AWS p5.48xlarge", "aws-p5"),
        ("AWS p5e.48xlarge", "aws-p5e"),
        ("NVIDIA DGX A100 80GB, 8 GPUs intra-node", "dgx-a100"),
        ("DGX GB200 NVL72 rack", "gb200-nvl72"),
        ("1x NVIDIA H100 SXM 80GB", None),
    ],
)
def test_node_names_come_from_node_profiles(catalog, hardware: str, expected) -> None:
    assert node_for_hardware(hardware, catalog) == expected


def test_a_bad_pattern_is_refused_naming_the_field(tmp_path) -> None:
    folder = _user_gpu_dir(tmp_path, "broken-names", ["H1[00"])
    with pytest.raises(InputError, match="matches"):
        Catalog.load([folder])
