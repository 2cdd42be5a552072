"""Import torch on demand, and say which extra to install when it is missing."""

from __future__ import annotations

from typing import Any

from simulator.errors import InputError, Problem

INSTALL_HINT = "pip install 'infrasim[calibrate]'"


def import_torch() -> Any:
    """The torch module; InputError naming the extra to install when it is absent."""
    try:
        import torch
    except ImportError:
        raise InputError(
            [Problem("calibrate", "torch", f"not installed; install the extra: {INSTALL_HINT}")]
        ) from None
    return torch


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when a CUDA device is visible, else 'cpu'; check an explicit 'cuda'."""
    torch = import_torch()
    if requested not in ("auto", "cuda", "cpu"):
        raise InputError(
            [Problem("calibrate", "--device", f"expected auto, cuda or cpu (got {requested!r})")]
        )
    has_cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
    if requested == "cuda" and not has_cuda:
        raise InputError(
            [Problem("calibrate", "--device", "cuda requested but torch sees no CUDA device")]
        )
    if requested == "auto":
        return "cuda" if has_cuda else "cpu"
    return requested


def torch_dtype(torch: Any, name: str) -> Any:
    """torch dtype for a schema dtype name."""
    return {
        "fp32": torch.float32,
        "tf32": torch.float32,
        "bf16": torch.bfloat16,
        "fp16": torch.float16,
        "fp64": torch.float64,
    }[name]
