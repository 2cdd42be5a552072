"""Reading a published training or inference case: model, layout, hardware, software era.

Each case is mapped onto the models with no per-case tuning: the hardware text picks GPU and
node profiles, the config picks the model (a preset by name, overridden by any shape fields the
case states) and the parallel layout; the measured quantity decides what is compared, like with
like:

- a measured step time is compared with the step time;
- TFLOP/s whose notes say recomputation is counted (Megatron-LM's Eq. 3) are compared with
  hardware FLOPs (recomputed forward included), otherwise with model FLOPs; MFU with MFU;
- serving throughput per GPU or per system as the source's table states (TensorRT-LLM's
  performance overview heads its columns "Throughput (out tok/s/GPU)"); first-token latency
  with the prefill time.

Software of the era is an input like precision: sources before 2022 predate FlashAttention,
so their attention materializes the score matrix (unfused); the activation recomputation is
what the source states (full for Megatron-LM's published runs). A TensorRT-LLM engine before
0.7.1 decodes GQA models with a kernel that reads each KV head once per query head
(`decode_attention.py`).

Shared by the 'training' and 'inference' evaluators (and the 'serving' one through
`inference`); it imports neither, so they import it without a cycle.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.hardware import JobHardware, job_hardware
from simulator.schema.model import TransformerModel
from simulator.validation.hardware import gpu_for_hardware, node_for_hardware
from simulator.validation.outcome import Skip

LEGACY_SOFTWARE_LAST_YEAR = 2021
"""Sources up to this year predate FlashAttention (Dao et al., 2022)."""

SERIAL_GRAD_REDUCE_LAST_YEAR = 2022
"""Sources up to this year ran Megatron-LM's own DDP ('local', the default), which reduces all
gradients after the backward pass (megatron/training.py: `allreduce_gradients()` after
`forward_backward_func`); overlapping bucket reduction with the backward came with
Megatron-core's `--overlap-grad-reduce` (2023)."""

GQA_DECODE_KERNEL_SINCE = {"tensorrt-llm": (0, 7, 1)}
"""First release of each engine whose decode kernel loads a GQA KV head once for its whole
group: TensorRT-LLM 0.7.1's release notes list "MMHA optimization for MQA and GQA" (the XQA
kernels followed). Engines not listed are assumed to have one."""

_ENGINE_VERSION = re.compile(
    rf"({'|'.join(map(re.escape, GQA_DECODE_KERNEL_SINCE))})\s*v?(\d+)\.(\d+)(?:\.(\d+))?",
    re.IGNORECASE,
)

_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_SHAPE_FIELDS = {
    "num_layers": "num_layers",
    "hidden_size": "hidden_size",
    "num_attention_heads": "num_attention_heads",
    "num_kv_heads": "num_kv_heads",
    "ffn_hidden_size": "ffn_hidden_size",
    "vocab_size": "vocab_size",
    "head_dim": "head_dim",
}


def _normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_preset(name: str, catalog: Catalog) -> TransformerModel | None:
    """The preset whose id or name matches a case's model name (ignoring case and spacing).

    'Llama 2 70B' matches llama2-70b, 'GPT-J 6B' gpt-j-6b; a name that contains a preset id
    whole ('Falcon 180B base') matches too, the longest id winning.
    """
    wanted = _normalize(name)
    if not wanted:
        return None
    best: tuple[int, TransformerModel] | None = None
    for model_id, model in catalog.models.items():
        for key in {_normalize(model_id), _normalize(model.name)}:
            matches = key and (key == wanted or (len(key) >= 4 and key in wanted))
            if matches and (best is None or len(key) > best[0]):
                best = (len(key), model)
    return best[1] if best else None


def first_int(config: dict, *names: str) -> int | None:
    for name in names:
        value = config.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and value > 0:
            return int(value)
    return None


def _shape_overrides(config: dict) -> dict[str, int]:
    return {
        field: int(config[key])
        for key, field in _SHAPE_FIELDS.items()
        if isinstance(config.get(key), int | float) and not isinstance(config.get(key), bool)
    }


def case_model(case: dict, catalog: Catalog, *, gpt_default: bool) -> TransformerModel | Skip:
    """The transformer a case describes: a preset by name with the case's shape fields on top,
    or (for training configs) the shape itself: FFN 4h, GELU and tied embeddings unless the
    config says `ffn_type` / `tied_embeddings`, experts when it gives `num_experts`."""
    config = case.get("config", {})
    name = str(config.get("model", ""))
    overrides = _shape_overrides(config)
    preset = find_preset(name, catalog)
    if preset is not None:
        try:
            return preset.model_copy(update=overrides) if overrides else preset
        except ValueError as exc:  # pragma: no cover - inconsistent case fields
            return Skip(f"case shape conflicts with preset {preset.id}: {exc}")
    needed = ("num_layers", "hidden_size", "num_attention_heads", "vocab_size")
    if gpt_default and all(k in overrides for k in needed):
        h = overrides["hidden_size"]
        try:
            fields: dict[str, Any] = {"ffn_hidden_size": 4 * h, **overrides}
            fields["ffn_type"] = str(config.get("ffn_type", "gelu"))
            fields["tied_embeddings"] = bool(config.get("tied_embeddings", True))
            experts = first_int(config, "num_experts")
            if experts:
                fields["moe"] = {
                    "num_experts": experts,
                    "top_k": first_int(config, "top_k") or 1,
                    "expert_ffn_hidden_size": first_int(config, "moe_ffn_hidden_size")
                    or fields["ffn_hidden_size"],
                }
            return TransformerModel.model_validate({"name": name or "GPT", **fields})
        except ValueError as exc:
            return Skip(f"model shape is not valid: {exc}")
    return Skip(f"no model preset matches {name!r} and the config lacks a full shape")


def case_precision(config: dict, allowed: tuple[str, ...]) -> str:
    text = str(config.get("precision", "")).lower()
    for dtype in ("fp8", "int4", "int8"):
        if dtype in text and dtype in allowed:
            return dtype
    if "fp16" in text or "float16" in text:
        return "fp16"
    return "bf16"


def case_num_gpus(case: dict) -> int | None:
    found = first_int(case.get("config", {}), "num_gpus")
    if found:
        return found
    match = re.match(r"\s*(\d+)\s*x", str(case.get("hardware", "")))
    return int(match.group(1)) if match else None


def _years(case: dict) -> list[int]:
    text = (
        f"{case.get('source', '')} {case.get('id', '')} {case.get('config', {}).get('model', '')}"
    )
    years = [int(y) for y in re.findall(r"\b(20[12]\d)\b", text)]
    years += [2000 + int(y) for y in re.findall(r"\bSC(\d\d)\b", text)]
    years += [2000 + int(y) for y in re.findall(r"arXiv:(\d\d)\d\d\.", text)]
    return years


def serial_grad_reduce(case: dict) -> bool:
    """Whether the source's framework reduced gradients only after the backward pass."""
    years = _years(case)
    return bool(years) and max(years) <= SERIAL_GRAD_REDUCE_LAST_YEAR


def legacy_software(case: dict) -> bool:
    """Whether the source predates FlashAttention."""
    years = _years(case)
    return bool(years) and max(years) <= LEGACY_SOFTWARE_LAST_YEAR


_NVSWITCH_V100 = re.compile(r"DGX-?2", re.IGNORECASE)


def decode_attention_kernel(config: dict) -> DecodeAttentionKernel:
    """The decode-attention kernel the case's engine (name and version) ran."""
    match = _ENGINE_VERSION.search(str(config.get("engine", "")))
    if match is None:
        return "grouped"
    name = match.group(1).lower()
    version = tuple(int(part or 0) for part in match.groups()[1:])
    return "per_query_head" if version < GQA_DECODE_KERNEL_SINCE[name] else "grouped"


def case_hardware(case: dict, catalog: Catalog, num_gpus: int) -> tuple[JobHardware, str] | Skip:
    """GPU and node profiles for the case's hardware text, placed for `num_gpus` GPUs.

    A node profile is used when the text names one the catalog has (DGX A100, p4de, ...);
    A100s from 2020 DGX systems (memory not stated) are the 40 GB part when the catalog has
    it; a DGX-2 is 16 V100s on one NVSwitch (no node profile: a node-less group).
    """
    hardware = str(case.get("hardware", ""))
    mapped = gpu_for_hardware(hardware, catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    if (
        gpu_id == "a100-sxm-80gb"
        and "80" not in hardware
        and "2020" in hardware
        and "a100-sxm-40gb" in catalog.profiles["gpu"]
    ):
        gpu_id, note = "a100-sxm-40gb", "2020 DGX A100: the 40 GB part"
    node_id = node_for_hardware(hardware, catalog)
    notes = [note] if note else []
    try:
        if node_id is not None and catalog.node(node_id).gpu == gpu_id:
            return job_hardware(catalog, num_gpus=num_gpus, node=node_id), join_notes(
                [f"node {node_id}", *notes]
            )
        if node_id is not None:
            node = catalog.node(node_id)
            nic, _ = catalog.scale_out_nic(node)
            hw = job_hardware(
                catalog,
                num_gpus=num_gpus,
                gpu=gpu_id,
                gpus_per_node=min(num_gpus, node.gpus_per_node),
                fabric=nic.id,
            )
            return hw, join_notes([f"gpu {gpu_id} in {node_id}'s layout", *notes])
        per_node = 16 if _NVSWITCH_V100.search(hardware) else 8
        if num_gpus > per_node:
            return Skip("multi-node case whose node has no profile in the catalog")
        hw = job_hardware(catalog, num_gpus=num_gpus, gpu=gpu_id, gpus_per_node=num_gpus)
        return hw, join_notes([f"gpu {gpu_id}, {num_gpus} GPUs on one scale-up domain", *notes])
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))


def join_notes(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def measured_time(measured: dict, *names: str) -> tuple[str, float, str] | None:
    for name in names:
        entry = measured.get(name)
        if isinstance(entry, dict):
            unit = str(entry.get("unit", "")).strip()
            if unit in _TIME_SCALE:
                return name, _TIME_SCALE[unit], unit
    return None
