"""Check the performance models against published measurements, honestly.

Cases (tests/data/public.json by default) each carry a kind, the hardware as its authors wrote
it, a config, and measured values. An evaluator per kind turns a case into a `Prediction` of one
measured value, or a `Skip` with the reason (hardware not in the catalog, model not written
yet); nothing is dropped silently. The report gives, per kind, the median and worst absolute
percentage error, split into in-sample cases (the profile's numbers were taken from that very
case, listed in `efficiency.fitted_to_cases`) and held-out ones, which are the real test.

Evaluators for 'gemm' and 'allreduce' live here; 'training' and 'inference' come from
`simulator.perf.validation_llm` (imported lazily, so this module works without it). A
`DerivedKind` checks a second model on another kind's cases: 'serving' runs the 'inference'
cases through the serving simulator (`simulator.engine.serving.validation`).
"""

from __future__ import annotations

import importlib
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, os_reason
from simulator.perf.collectives import COLLECTIVE_OPS, collective_time_s
from simulator.perf.gemm import gemm_time_s
from simulator.perf.topology import CollectiveGroup, group_from_catalog

CASES_FILE = Path("tests") / "data" / "public.json"
"""The public validation set, relative to the repository root."""

MAX_CASES_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Prediction:
    """A model's value for one measured quantity of a case.

    Attributes:
        value: the prediction, in `unit`.
        unit: the unit of case['measured'][measured_name] (the evaluator converts).
        measured_name: which measured entry this predicts.
        gpu: the GPU profile used; the case is in-sample if listed in its fitted_to_cases.
        note: how the case was mapped (shown next to the result).
        in_sample: force in-sample (e.g. a parameter was fitted to this case elsewhere).
    """

    value: float
    unit: str
    measured_name: str
    gpu: str | None = None
    note: str = ""
    in_sample: bool = False


@dataclass(frozen=True)
class Skip:
    """A case the models cannot evaluate, and why."""

    reason: str


Evaluator = Callable[[dict, Catalog], "Prediction | Skip"]
EVALUATORS: dict[str, Evaluator] = {}
"""kind -> evaluator; register new kinds with `register_evaluator`."""


def register_evaluator(*kinds: str) -> Callable[[Evaluator], Evaluator]:
    """Decorator: use the function for cases of these kinds."""

    def decorate(fn: Evaluator) -> Evaluator:
        for kind in kinds:
            EVALUATORS[kind] = fn
        return fn

    return decorate


# ---------------------------------------------------------------------------- hardware names

_GPU_NAMES: tuple[tuple[str, str | None, str], ...] = (
    # (pattern, GPU profile id or None to skip, note or skip reason)
    (r"A100[ -]?PCIe", None, "A100 PCIe (250-300 W part) has no profile"),
    (
        r"GH200",
        "h200-sxm-141gb",
        "GH200's GPU is the GH100 die of H100/H200 with 141 GB "
        "HBM3e; mapped to h200-sxm-141gb (its 900 W limit is not modelled)",
    ),
    (r"GB200", "gb200", ""),
    (r"B300", None, "no B300 profile in the catalog"),
    (r"B200", "b200-sxm-180gb", ""),
    (r"H200", "h200-sxm-141gb", ""),
    (r"H100[ -]?(PCIe|NVL)", None, "H100 PCIe/NVL has no profile (lower clocks and power)"),
    (r"H100", "h100-sxm-80gb", ""),
    (r"A100", "a100-sxm-80gb", ""),
    (r"V100", "v100-sxm-32gb", ""),
    (r"L40S", "l40s", ""),
    (r"MI300X", "mi300x", ""),
    (r"MI3[0-9]{2}X?|MI2[0-9]{2}", None, "no profile for this AMD Instinct part"),
    (r"Gaudi", None, "no Intel Gaudi profile in the catalog"),
)

_NODE_NAMES: tuple[tuple[str, str], ...] = (
    (r"p4de", "aws-p4de"),
    (r"p4d\b", "aws-p4d"),
    (r"p5e", "aws-p5e"),
    (r"p5\b", "aws-p5"),
    (r"DGX[ -]?A100", "dgx-a100"),
    (r"DGX[ -]?H200", "dgx-h200"),
    (r"DGX[ -]?H100", "dgx-h100"),
    (r"DGX[ -]?B200", "dgx-b200"),
    (r"DGX[ -]?GB200|GB200 NVL72", "gb200-nvl72"),
)


def gpu_for_hardware(hardware: str, catalog: Catalog) -> tuple[str, str] | Skip:
    """(GPU profile id, mapping note) for a case's hardware text, or Skip with the reason."""
    for pattern, gpu_id, note in _GPU_NAMES:
        if re.search(pattern, hardware, re.IGNORECASE):
            if gpu_id is None:
                return Skip(note)
            if gpu_id not in catalog.profiles["gpu"]:
                return Skip(f"GPU profile {gpu_id} is not in the catalog")
            return gpu_id, note
    return Skip(f"no GPU profile matches hardware {hardware!r}")


def node_for_hardware(hardware: str, catalog: Catalog) -> str | None:
    """A node profile id for the hardware text, if the catalog has one."""
    for pattern, node_id in _NODE_NAMES:
        if re.search(pattern, hardware, re.IGNORECASE) and node_id in catalog.profiles["node"]:
            return node_id
    return None


# ---------------------------------------------------------------------------- units

_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _time_entry(measured: dict, names: Sequence[str]) -> tuple[str, str, float] | None:
    """(name, unit, seconds per unit) of the first measured time among `names`."""
    for name in names:
        entry = measured.get(name)
        if isinstance(entry, dict) and entry.get("unit") in _TIME_UNITS:
            return name, entry["unit"], _TIME_UNITS[entry["unit"]]
    return None


_DTYPES = {
    "bf16": "bf16",
    "bfloat16": "bf16",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "fp32": "fp32",
    "float32": "fp32",
    "tf32": "tf32",
    "fp8": "fp8",
    "float8_e4m3fn": "fp8",
    "fp8_e4m3fn": "fp8",
    "float8_e5m2": "fp8",
    "fp8_e5m2": "fp8",
    "int8": "int8",
}


def _dtype(config: dict) -> str | Skip:
    raw = str(config.get("dtype", "bf16")).lower()
    return _DTYPES.get(raw) or Skip(f"dtype {raw!r} is not modelled")


# ---------------------------------------------------------------------------- gemm


def _is_mamf(case: dict) -> bool:
    text = f"{case.get('id', '')} {case.get('source', '')}".lower()
    return "mamf" in text or "maximum achievable matmul" in text


@register_evaluator("gemm")
def evaluate_gemm_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published matmul: best-shape TFLOP/s (mamf-finder) or a layer's kernel time.

    mamf-finder times torch.mm(A[M, N], B[N, K]), so its 'MxNxK' has N as the reduction
    length; its rows are short bursts at boost clock (sustained=False). Layer profiles (e.g.
    Vidur's nn.Linear: M tokens, N outputs, K inputs) come from back-to-back runs and are
    modelled sustained.
    """
    mapped = gpu_for_hardware(str(case.get("hardware", "")), catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    config = case.get("config", {})
    dtype = _dtype(config)
    if isinstance(dtype, Skip):
        return dtype
    try:
        big_m, big_n, big_k = int(config["M"]), int(config["N"]), int(config["K"])
    except (KeyError, TypeError, ValueError):
        return Skip("config lacks integer M, N, K")
    batch = int(config.get("batch", 1))
    mamf = _is_mamf(case)
    m, n, k = (big_m, big_k, big_n) if mamf else (big_m, big_n, big_k)
    estimate = gemm_time_s(catalog.gpu(gpu_id), m, n, k, dtype, batch=batch, sustained=not mamf)
    measured = case.get("measured", {})
    timed = _time_entry(measured, ("time_median", "time", "time_mean"))
    if timed is not None and not mamf:
        name, unit, scale = timed
        return Prediction(estimate.time_s / scale, unit, name, gpu=gpu_id, note=note)
    for name in ("tflops", "tflops_derived"):
        if name in measured:
            unit = measured[name].get("unit", "TFLOP/s")
            return Prediction(estimate.tflops, unit, name, gpu=gpu_id, note=note)
    return Skip("no measured time or TFLOP/s to compare with")


# ---------------------------------------------------------------------------- collectives


def _ranks_per_node(config: dict, ranks: int) -> int:
    if "ranks_per_node" in config:
        return int(config["ranks_per_node"])
    nodes = int(config.get("num_nodes", 1))
    return max(1, math.ceil(ranks / nodes))


def _collective_group(
    case: dict, catalog: Catalog, ranks: int, per_node: int
) -> tuple[CollectiveGroup, str, str] | Skip:
    hardware = str(case.get("hardware", ""))
    mapped = gpu_for_hardware(hardware, catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    node_id = node_for_hardware(hardware, catalog)
    if node_id is not None:
        group = group_from_catalog(catalog, num_gpus=ranks, gpus_per_node=per_node, node=node_id)
        return group, gpu_id, f"node {node_id}" + (f"; {note}" if note else "")
    if ranks > per_node:
        return Skip("multi-node case whose node/fabric has no profile in the catalog")
    group = group_from_catalog(catalog, num_gpus=ranks, gpus_per_node=per_node, gpu=gpu_id)
    return group, gpu_id, f"gpu {gpu_id} (no node profile matched)" + (f"; {note}" if note else "")


def _fabric_fitted(case: dict, catalog: Catalog, group: CollectiveGroup) -> bool:
    """Whether a figure of the fabric the case crosses was chosen with this case in view."""
    node_id = node_for_hardware(str(case.get("hardware", "")), catalog)
    if node_id is None or group.num_domains == 1:
        return False
    nic, _count = catalog.scale_out_nic(catalog.node(node_id))
    return case.get("id") in nic.fitted_to_cases


@register_evaluator("allreduce", "collective")
def evaluate_collective_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A measured collective (nccl-tests or a profiler): time for the message size.

    The group is placed as the case says (ranks, ranks per node) on the node profile its
    hardware names (NVLink domain, compute NICs), else on the bare GPU for one-node cases.
    Time is compared when measured (out-of-place for nccl-tests), else bus bandwidth.
    """
    config = case.get("config", {})
    op = str(config.get("collective", "all_reduce"))
    if op not in COLLECTIVE_OPS:
        return Skip(f"collective {op!r} is not modelled")
    try:
        ranks = int(config["num_ranks"])
        size = float(config["message_size_bytes"])
    except (KeyError, TypeError, ValueError):
        return Skip("config lacks num_ranks and message_size_bytes")
    built = _collective_group(case, catalog, ranks, _ranks_per_node(config, ranks))
    if isinstance(built, Skip):
        return built
    group, gpu_id, note = built
    estimate = collective_time_s(op, size, group)
    in_sample = _fabric_fitted(case, catalog, group)
    protocol = f"/{estimate.protocol}" if estimate.protocol else ""
    note = f"{note}; {estimate.algorithm}{protocol}"
    measured = case.get("measured", {})
    names = ("time_out_of_place", "time_median", "time", "time_mean")
    timed = _time_entry(measured, names)
    if timed is not None:
        name, unit, scale = timed
        return Prediction(
            estimate.time_s / scale, unit, name, gpu=gpu_id, note=note, in_sample=in_sample
        )
    if "busbw" in measured:
        unit = measured["busbw"].get("unit", "GB/s")
        return Prediction(
            estimate.busbw_gb_per_s, unit, "busbw", gpu=gpu_id, note=note, in_sample=in_sample
        )
    return Skip("no measured time or bus bandwidth to compare with")


# ---------------------------------------------------------------------------- LLM kinds

LLM_EVALUATORS_MODULE = "simulator.perf.validation_llm"


def _lazy(function_name: str) -> Evaluator:
    """An evaluator that defers to `validation_llm.<function_name>` when that module exists."""

    def evaluate(case: dict, catalog: Catalog) -> Prediction | Skip:
        try:
            module = importlib.import_module(LLM_EVALUATORS_MODULE)
        except ModuleNotFoundError as exc:
            if exc.name == LLM_EVALUATORS_MODULE:
                return Skip("model not available")
            raise
        fn = getattr(module, function_name, None)
        if fn is None:
            return Skip("model not available")
        return fn(case, catalog)

    evaluate.__name__ = function_name
    return evaluate


EVALUATORS["training"] = _lazy("evaluate_training_case")
EVALUATORS["inference"] = _lazy("evaluate_inference_case")


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: 'ok' (with errors), 'skipped' (with reason) or 'error'."""

    id: str
    kind: str
    status: str
    hardware: str = ""
    measured_name: str = ""
    unit: str = ""
    measured: float | None = None
    predicted: float | None = None
    error_pct: float | None = None
    in_sample: bool = False
    note: str = ""

    @property
    def abs_error_pct(self) -> float | None:
        """|predicted - measured| / measured, percent."""
        return None if self.error_pct is None else abs(self.error_pct)


@dataclass(frozen=True)
class ErrorStats:
    """Median and worst absolute percentage error over some cases."""

    n: int
    median_abs_pct: float | None
    worst_abs_pct: float | None

    @classmethod
    def of(cls, results: Iterable[CaseResult]) -> ErrorStats:
        errors = [r.abs_error_pct for r in results if r.abs_error_pct is not None]
        if not errors:
            return cls(0, None, None)
        return cls(len(errors), statistics.median(errors), max(errors))


@dataclass(frozen=True)
class KindSummary:
    """Per-kind figures: counts, error over all evaluated cases, in-sample vs held-out."""

    kind: str
    cases: int
    skipped: int
    errors: int
    overall: ErrorStats
    in_sample: ErrorStats
    held_out: ErrorStats
    worst: list[CaseResult] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Every case's result and the per-kind summaries."""

    results: list[CaseResult]
    summaries: dict[str, KindSummary]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""

        def summary(s: KindSummary) -> dict[str, Any]:
            out = asdict(s)
            out["worst"] = [r.id for r in s.worst]
            return out

        return {
            "summary": {kind: summary(s) for kind, s in self.summaries.items()},
            "cases": [asdict(r) for r in self.results],
        }


@dataclass(frozen=True)
class DerivedKind:
    """A second model checked on the cases of another kind, reported under its own kind.

    The serving simulator is checked on the 'inference' cases (the same published static
    batches, run through continuously batched replicas). It lives in a higher layer
    (`simulator.engine`), so callers hand it to `run_validation` instead of this module
    importing it, and nothing global changes when it is imported.
    """

    kind: str
    source_kind: str
    evaluate: Evaluator


def _evaluate(case: dict, catalog: Catalog, derived: DerivedKind | None = None) -> CaseResult:
    kind = derived.kind if derived else str(case.get("kind", ""))
    base = {"id": str(case.get("id", "?")), "kind": kind, "hardware": str(case.get("hardware", ""))}
    evaluator = derived.evaluate if derived else EVALUATORS.get(kind)
    if evaluator is None:
        return CaseResult(**base, status="skipped", note=f"no evaluator for kind {kind!r}")
    try:
        outcome = evaluator(case, catalog)
    except InputError as exc:
        return CaseResult(**base, status="error", note="; ".join(str(p) for p in exc.problems))
    except Exception as exc:  # noqa: BLE001 - one broken evaluator must not hide the rest
        return CaseResult(**base, status="error", note=f"{type(exc).__name__}: {exc}")
    if isinstance(outcome, Skip):
        return CaseResult(**base, status="skipped", note=outcome.reason)
    entry = case.get("measured", {}).get(outcome.measured_name, {})
    measured = entry.get("value") if isinstance(entry, dict) else None
    if not isinstance(measured, int | float) or measured == 0:
        return CaseResult(
            **base, status="error", note=f"measured.{outcome.measured_name} has no usable value"
        )
    in_sample = outcome.in_sample
    if outcome.gpu is not None and outcome.gpu in catalog.profiles["gpu"]:
        in_sample = in_sample or base["id"] in catalog.gpu(outcome.gpu).efficiency.fitted_to_cases
    return CaseResult(
        **base,
        status="ok",
        measured_name=outcome.measured_name,
        unit=outcome.unit,
        measured=float(measured),
        predicted=outcome.value,
        error_pct=100.0 * (outcome.value - measured) / measured,
        in_sample=in_sample,
        note=outcome.note,
    )


def summarize(results: Sequence[CaseResult], worst_count: int = 3) -> dict[str, KindSummary]:
    """Per-kind summaries, kinds in first-seen order."""
    kinds = list(dict.fromkeys(r.kind for r in results))
    out = {}
    for kind in kinds:
        mine = [r for r in results if r.kind == kind]
        ok = [r for r in mine if r.status == "ok"]
        worst = sorted(ok, key=lambda r: -(r.abs_error_pct or 0.0))[:worst_count]
        out[kind] = KindSummary(
            kind=kind,
            cases=len(mine),
            skipped=sum(r.status == "skipped" for r in mine),
            errors=sum(r.status == "error" for r in mine),
            overall=ErrorStats.of(ok),
            in_sample=ErrorStats.of(r for r in ok if r.in_sample),
            held_out=ErrorStats.of(r for r in ok if not r.in_sample),
            worst=worst,
        )
    return out


def run_validation(
    cases: Sequence[dict],
    catalog: Catalog,
    kinds: Sequence[str] | None = None,
    derived: Sequence[DerivedKind] = (),
) -> ValidationReport:
    """Evaluate `cases` (only kinds in `kinds`, if given) and summarize per kind.

    Each case of a `derived` kind's source kind is evaluated a second time by that model,
    right after its own evaluation, and reported under the derived kind.
    """
    results = []
    for case in cases:
        kind = case.get("kind")
        if not kinds or kind in kinds:
            results.append(_evaluate(case, catalog))
        for extra in derived:
            if extra.source_kind == kind and (not kinds or extra.kind in kinds):
                results.append(_evaluate(case, catalog, extra))
    return ValidationReport(results=results, summaries=summarize(results))


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
