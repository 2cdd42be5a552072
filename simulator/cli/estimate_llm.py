"""`infrasim estimate training` and `infrasim estimate inference`: importing registers both.

The commands live in `estimate_training.py` and `estimate_inference.py`, over the shared
model-and-hardware flags of `estimate_model.py`; this module keeps the import path that the
library (`simulator.estimate_training`), benchmarks and tests have always used.
"""

from __future__ import annotations

from simulator.cli.estimate_inference import (
    BatchOpt,
    DecodeAttentionOpt,
    InferenceRequest,
    InputLenOpt,
    KvDtypeOpt,
    OutputLenOpt,
    ServingGpusOpt,
    ServingPrecisionOpt,
    compute_inference,
    inference,
)
from simulator.cli.estimate_model import (
    DEFAULT_VOCAB,
    Experts,
    Fabric,
    FfnHidden,
    FfnType,
    GpusPerNode,
    Heads,
    Hidden,
    KvHeads,
    Layers,
    ModelOpt,
    MoeFfn,
    NumGpus,
    Pp,
    ShapeRequest,
    TopK,
    Tp,
    Vocab,
    request_hardware,
    request_model,
)
from simulator.cli.estimate_training import (
    EXECUTION_KNOBS,
    PARALLELISM_KNOBS,
    TrainingKnobs,
    TrainingRequest,
    compute_training,
    training,
)

_ShapeRequest = ShapeRequest
_hardware = request_hardware

__all__ = [
    "DEFAULT_VOCAB",
    "EXECUTION_KNOBS",
    "PARALLELISM_KNOBS",
    "BatchOpt",
    "DecodeAttentionOpt",
    "Experts",
    "Fabric",
    "FfnHidden",
    "FfnType",
    "GpusPerNode",
    "Heads",
    "Hidden",
    "InferenceRequest",
    "InputLenOpt",
    "KvDtypeOpt",
    "KvHeads",
    "Layers",
    "ModelOpt",
    "MoeFfn",
    "NumGpus",
    "OutputLenOpt",
    "Pp",
    "ServingGpusOpt",
    "ServingPrecisionOpt",
    "ShapeRequest",
    "TopK",
    "Tp",
    "TrainingKnobs",
    "TrainingRequest",
    "Vocab",
    "compute_inference",
    "compute_training",
    "inference",
    "request_hardware",
    "request_model",
    "training",
]
