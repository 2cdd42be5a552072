"""The model and hardware half of the LLM estimates: shape flags, presets and the job's GPUs.

`estimate training`, `estimate inference` and `estimate serving` all name a transformer (a
preset, or a shape from flags) and the GPUs it runs on the same way; this module is that one
way, so a shape flag means the same thing, with the same defaults and errors, in each command.
`ShapeRequest`, `request_model` and `request_hardware` live in `simulator.estimates.model`;
this module adds the shape flags as typer options.
"""

from __future__ import annotations

from typing import Annotated

import typer

from simulator.cli.common import CalibrationOption, JsonOption, ProfilesOption
from simulator.cli.estimate import GpuOption, InputOption, NodeOption
from simulator.cli.options import option
from simulator.estimates.model import DEFAULT_VOCAB as DEFAULT_VOCAB
from simulator.estimates.model import ShapeRequest as ShapeRequest
from simulator.estimates.model import request_hardware as request_hardware
from simulator.estimates.model import request_model as request_model

# ---------------------------------------------------------------------------- options


NumGpus = Annotated[
    int | None, typer.Option("--num-gpus", help="GPUs in the job.", show_default=False)
]
GpusPerNode = Annotated[
    int | None,
    typer.Option("--gpus-per-node", help="GPUs per node (with --gpu).", show_default=False),
]
Fabric = Annotated[
    str | None,
    typer.Option("--fabric", help="Scale-out interconnect id (with --gpu).", show_default=False),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", help="Transformer preset id (or give the shape flags).", show_default=False
    ),
]
Layers = Annotated[
    int | None, typer.Option("--layers", help="Transformer layers.", show_default=False)
]
Hidden = Annotated[int | None, typer.Option("--hidden", help="Hidden size.", show_default=False)]
Heads = Annotated[int | None, typer.Option("--heads", help="Attention heads.", show_default=False)]
KvHeads = Annotated[
    int | None,
    typer.Option(
        "--kv-heads", help="Key/value heads (GQA; default = --heads).", show_default=False
    ),
]
FfnHidden = Annotated[
    int | None,
    typer.Option(
        "--ffn-hidden", help="FFN width (default 4h GELU, 8h/3 SwiGLU).", show_default=False
    ),
]
FfnType = Annotated[
    str | None,
    typer.Option("--ffn-type", help="gelu or swiglu (default gelu).", show_default=False),
]
Vocab = Annotated[
    int | None,
    typer.Option("--vocab", help=f"Vocabulary size (default {DEFAULT_VOCAB}).", show_default=False),
]
Experts = Annotated[
    int | None, typer.Option("--experts", help="MoE experts per layer.", show_default=False)
]
TopK = Annotated[int | None, typer.Option("--top-k", help="Experts per token.", show_default=False)]
MoeFfn = Annotated[
    int | None,
    typer.Option(
        "--moe-ffn-hidden", help="Expert FFN width (default --ffn-hidden).", show_default=False
    ),
]

HARDWARE_OPTIONS = (option("gpu", GpuOption), option("node", NodeOption))
"""--gpu and --node, first in every LLM command; --num-gpus follows (its help differs)."""

SHAPE_OPTIONS = (
    option("gpus_per_node", GpusPerNode),
    option("fabric", Fabric),
    option("model", ModelOpt),
    option("layers", Layers),
    option("hidden", Hidden),
    option("heads", Heads),
    option("kv_heads", KvHeads),
    option("ffn_hidden", FfnHidden),
    option("ffn_type", FfnType),
    option("vocab", Vocab),
    option("experts", Experts),
    option("top_k", TopK),
    option("moe_ffn_hidden", MoeFfn),
)
"""The rest of `ShapeRequest`'s fields as options, in the order `--help` lists them."""

RUN_OPTIONS = (
    option("input", InputOption),
    option("json_", JsonOption, False),
    option("profiles", ProfilesOption),
    option("calibration", CalibrationOption),
)
"""--input, --json, --profiles and --calibration, last in every estimate command."""
