"""Find and load profiles: the built-in catalog, user directories, and model presets.

A catalog is loaded whole and checked whole: every file is validated, ids must be unique per
kind, and every id a profile references must exist. All problems are reported together, each
naming its file and field, so one run of `infrasim profiles validate` shows everything to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.errors import InputError, Problem, problems_from_validation
from simulator.paths import builtin_profiles_dir, builtin_scenarios_dir
from simulator.schema import (
    PROFILE_DIRS,
    PROFILE_KINDS,
    FacilityProfile,
    GpuProfile,
    InterconnectProfile,
    NodeProfile,
    PricingProfile,
    Profile,
    StorageProfile,
    TransformerModel,
)
from simulator.yaml_io import read_yaml

PROFILES_ENV = "INFRASIM_PROFILES"
"""Environment variable: extra profile directories, separated like PATH."""

_DIR_KIND = {directory: kind for kind, directory in PROFILE_DIRS.items()}
_MODELS_DIR = "models"


def yaml_files(root: Path) -> list[Path]:
    """Every .yaml/.yml file under `root`, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def env_profile_dirs() -> list[Path]:
    """Directories named by $INFRASIM_PROFILES."""
    raw = os.environ.get(PROFILES_ENV, "")
    return [Path(p) for p in raw.split(os.pathsep) if p.strip()]


def _kind_of(data: Any, path: Path) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("kind"), str):
        return data["kind"]
    return _DIR_KIND.get(path.parent.name)


def parse_profile(data: Any, path: Path) -> Profile:
    """Validate one profile document read from `path` (raises InputError)."""
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a mapping of fields")])
    kind = _kind_of(data, path)
    if kind not in PROFILE_KINDS:
        expected = ", ".join(PROFILE_KINDS)
        raise InputError([Problem(str(path), "kind", f"expected one of {expected} (got {kind!r})")])
    data = {"kind": kind, **data}
    try:
        profile = PROFILE_KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
    if profile.id != path.stem:
        raise InputError(
            [
                Problem(
                    str(path), "id", f"must equal the file name {path.stem!r} (got {profile.id!r})"
                )
            ]
        )
    return profile


def parse_model(data: Any, path: Path) -> TransformerModel:
    """Validate one transformer preset read from `path` (raises InputError)."""
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a mapping of fields")])
    try:
        model = TransformerModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
    if model.id is not None and model.id != path.stem:
        raise InputError(
            [Problem(str(path), "id", f"must equal the file name {path.stem!r} (got {model.id!r})")]
        )
    return model.model_copy(update={"id": path.stem})


@dataclass
class Catalog:
    """Every known profile by kind and id, plus transformer model presets."""

    profiles: dict[str, dict[str, Profile]] = field(
        default_factory=lambda: {kind: {} for kind in PROFILE_KINDS}
    )
    models: dict[str, TransformerModel] = field(default_factory=dict)
    paths: dict[tuple[str, str], Path] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        extra_dirs: Sequence[str | Path] = (),
        *,
        include_builtin: bool = True,
        include_env: bool = True,
    ) -> Catalog:
        """Load built-in profiles, $INFRASIM_PROFILES dirs and `extra_dirs`; raise InputError."""
        roots: list[Path] = []
        if include_builtin:
            roots.append(builtin_profiles_dir())
        if include_env:
            roots.extend(env_profile_dirs())
        roots.extend(Path(d) for d in extra_dirs)
        catalog = cls()
        problems: list[Problem] = []
        for root in roots:
            if not root.is_dir():
                problems.append(Problem(str(root), "", "profile directory does not exist"))
                continue
            problems += catalog.add_files(yaml_files(root))
        if include_builtin:
            problems += catalog.add_files(yaml_files(builtin_scenarios_dir() / _MODELS_DIR))
        problems += catalog.reference_problems()
        if problems:
            raise InputError(problems)
        return catalog

    def add_files(self, files: Iterable[Path]) -> list[Problem]:
        """Read profile and model files into this catalog; the problems found, file by file.

        A file under a `models/` directory is a transformer preset, any other a profile. A
        file that fails is left out (its problems returned); references are not checked here
        (`reference_problems` does that once every file is in).
        """
        problems: list[Problem] = []
        for path in files:
            try:
                data = read_yaml(path)
                if path.parent.name == _MODELS_DIR:
                    self._add_model(parse_model(data, path), path)
                else:
                    self._add_profile(parse_profile(data, path), path)
            except InputError as exc:
                problems += exc.problems
        return problems

    def _add_profile(self, profile: Profile, path: Path) -> None:
        kind = profile.kind  # type: ignore[attr-defined]
        earlier = self.paths.get((kind, profile.id))
        if earlier is not None and earlier.resolve() != path.resolve():
            raise InputError(
                [Problem(str(path), "id", f"duplicate {kind} id {profile.id!r}, also in {earlier}")]
            )
        self.profiles[kind][profile.id] = profile
        self.paths[(kind, profile.id)] = path

    def _add_model(self, model: TransformerModel, path: Path) -> None:
        assert model.id is not None
        earlier = self.paths.get(("model", model.id))
        if earlier is not None and earlier.resolve() != path.resolve():
            raise InputError(
                [Problem(str(path), "id", f"duplicate model id {model.id!r}, also in {earlier}")]
            )
        self.models[model.id] = model
        self.paths[("model", model.id)] = path

    def reference_problems(self) -> list[Problem]:
        """Dangling ids: nodes naming GPUs and links, price sheets naming nodes."""
        problems = []
        for node in self.profiles["node"].values():
            assert isinstance(node, NodeProfile)
            where = str(self.paths[("node", node.id)])
            problems += self._missing("gpu", node.gpu, where, "gpu")
            if node.scale_up is not None:
                problems += self._missing("interconnect", node.scale_up, where, "scale_up")
            for i, nic in enumerate(node.nics):
                problems += self._missing(
                    "interconnect", nic.interconnect, where, f"nics[{i}].interconnect"
                )
        for sheet in self.profiles["pricing"].values():
            assert isinstance(sheet, PricingProfile)
            if sheet.cloud is None:
                continue
            where = str(self.paths[("pricing", sheet.id)])
            for i, instance in enumerate(sheet.cloud.instances):
                problems += self._missing(
                    "node", instance.node, where, f"cloud.instances[{i}].node"
                )
        return problems

    def _missing(self, kind: str, ref: str, file: str, field_name: str) -> list[Problem]:
        if ref in self.profiles[kind]:
            return []
        known = ", ".join(sorted(self.profiles[kind])) or "none"
        return [Problem(file, field_name, f"unknown {kind} id {ref!r} (known: {known})")]

    def get(self, kind: str, profile_id: str) -> Profile:
        """The profile of `kind` named `profile_id`; InputError listing known ids if absent."""
        if kind not in self.profiles:
            raise InputError([Problem("(catalog)", "kind", f"unknown profile kind {kind!r}")])
        try:
            return self.profiles[kind][profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles[kind])) or "none"
            raise InputError(
                [Problem("(catalog)", kind, f"unknown {kind} id {profile_id!r} (known: {known})")]
            ) from None

    def gpu(self, profile_id: str) -> GpuProfile:
        """GPU profile by id."""
        return self.get("gpu", profile_id)  # type: ignore[return-value]

    def node(self, profile_id: str) -> NodeProfile:
        """Node profile by id."""
        return self.get("node", profile_id)  # type: ignore[return-value]

    def interconnect(self, profile_id: str) -> InterconnectProfile:
        """Interconnect profile by id."""
        return self.get("interconnect", profile_id)  # type: ignore[return-value]

    def storage(self, profile_id: str) -> StorageProfile:
        """Storage tier profile by id."""
        return self.get("storage", profile_id)  # type: ignore[return-value]

    def facility(self, profile_id: str) -> FacilityProfile:
        """Facility profile by id."""
        return self.get("facility", profile_id)  # type: ignore[return-value]

    def pricing(self, profile_id: str) -> PricingProfile:
        """Pricing sheet by id."""
        return self.get("pricing", profile_id)  # type: ignore[return-value]

    def model(self, model_id: str) -> TransformerModel:
        """Transformer preset by id."""
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            raise InputError(
                [
                    Problem(
                        "(catalog)", "model", f"unknown model preset {model_id!r} (known: {known})"
                    )
                ]
            ) from None

    def with_calibration(self, path: str | Path | None) -> Catalog:
        """A copy with the calibration file at `path` laid over it (None: this catalog).

        The file's overlay replaces the efficiency table (and measured power curve) of the GPU
        it names, or adds the device entry it carries (a CPU); see
        simulator/calibration_overlay.py. Raises InputError naming file and field.
        """
        if path is None:
            return self
        from simulator.calibration_overlay import load_calibration, overlay_gpus

        gpus: dict[str, GpuProfile] = self.profiles["gpu"]  # type: ignore[assignment]
        gpu_id, profile = overlay_gpus(load_calibration(path), gpus, path)
        profiles = {kind: dict(by_id) for kind, by_id in self.profiles.items()}
        profiles["gpu"][gpu_id] = profile
        paths = {**self.paths, ("gpu", gpu_id): Path(path)}
        return Catalog(profiles=profiles, models=dict(self.models), paths=paths)

    def scale_out_nic(self, node: NodeProfile) -> tuple[InterconnectProfile, int]:
        """The node's compute NIC type and how many it has (for inter-node collectives)."""
        compute = [n for n in node.nics if n.role == "compute"] or list(node.nics)
        first = compute[0]
        count = sum(n.count for n in compute if n.interconnect == first.interconnect)
        return self.interconnect(first.interconnect), count
