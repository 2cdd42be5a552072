"""The automatic layout against the published layouts of the validation set's training cases.

For every training case of tests/data/public.json (Megatron-LM's published runs) and
tests/data/newer_training.json (Megatron-Bridge / NeMo recipes, Llama 3's paper) that the
validation harness can read, the
published layout (read as `simulator/validation/training.py` reads it: Megatron-core recipes
get the distributed optimizer, sequence parallelism and TP-communication overlap) and the
automatic layout for the same GPUs, sequence, batch and precision are both costed by the
performance model; the table says where they differ, by how much the model predicts, and
which parts of the step account for it. Writes the Markdown table docs/auto-layout.md quotes:

    python benchmarks/auto_layout_vs_published.py > /tmp/table.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.catalog import Catalog  # noqa: E402
from simulator.errors import InputError  # noqa: E402
from simulator.perf.auto_layout import auto_layout, describe_layout  # noqa: E402
from simulator.perf.training import estimate_training, training_job  # noqa: E402
from simulator.schema.execution import TrainingExecution  # noqa: E402
from simulator.validation.cases import load_cases  # noqa: E402
from simulator.validation.llm_case import (  # noqa: E402
    case_hardware,
    case_model,
    case_num_gpus,
    first_int,
)
from simulator.validation.outcome import Skip  # noqa: E402
from simulator.validation.training import published_execution  # noqa: E402


def published(case: dict, num_gpus: int, seq: int, batch: int) -> TrainingExecution:
    """The case's own layout and knobs, read as the validation harness reads them."""
    return TrainingExecution.model_validate(published_execution(case, num_gpus, seq, batch))


def why(given: dict[str, float], auto: dict[str, float]) -> str:
    """The two parts of the step that change the most, signed (auto minus published)."""
    deltas = sorted(((auto.get(k, 0.0) - v, k) for k, v in given.items()), key=lambda d: -abs(d[0]))
    return ", ".join(f"{k} {d:+.2f} s" for d, k in deltas[:2] if abs(d) > 1e-4) or "same"


CASE_FILES = (Path("tests/data/public.json"), Path("tests/data/newer_training.json"))


def rows(catalog: Catalog) -> list[str]:
    out = []
    root = Path(__file__).resolve().parents[1]
    cases = [c for f in CASE_FILES for c in load_cases(root / f)]
    for case in cases:
        if case.get("kind") != "training":
            continue
        config = case.get("config", {})
        if re.search(r"fp4", str(config.get("precision", "")), re.IGNORECASE):
            continue  # FP4 training is not modelled (the harness skips it too)
        model = case_model(case, catalog, gpt_default=True)
        num_gpus = case_num_gpus(case)
        seq = first_int(config, "seq_len", "seq_length", "sequence_length")
        batch = first_int(config, "global_batch_size", "global_batch")
        if isinstance(model, Skip) or not (num_gpus and seq and batch):
            continue
        built = case_hardware(case, catalog, num_gpus)
        if isinstance(built, Skip):
            out.append(f"| {case['id']} | {num_gpus} | – | – | – | – | – | {built.reason} |")
            continue
        hardware, _ = built
        try:
            given = published(case, num_gpus, seq, batch)
            est = estimate_training(training_job(given, model), hardware)
            choice = auto_layout(model, hardware, num_gpus, seq, batch, given.precision, base=given)
        except (InputError, ValueError) as exc:
            out.append(f"| {case['id']} | {num_gpus} | – | – | – | – | – | {exc} |")
            continue
        best = choice.best
        auto_est = estimate_training(training_job(best.execution, model), hardware)
        shown = given.model_copy(
            update={
                "micro_batch": est.micro_batch,
                "parallelism": given.parallelism.model_copy(
                    update={"recompute": est.recompute, "dp": est.layout.dp}
                ),
            }
        )
        diff = (best.step_time_s / est.step_time_s - 1.0) * 100.0
        fits = "" if est.fits_in_memory else " (does not fit)"
        out.append(
            f"| {case['id']} | {num_gpus} | {describe_layout(shown)}{fits} | "
            f"{est.step_time_s:.3g} | {best.describe()} | {best.step_time_s:.3g} | "
            f"{diff:+.1f}% | {why(est.breakdown, auto_est.breakdown)} |"
        )
    return out


def main() -> None:
    catalog = Catalog.load()
    print(
        "| case | GPUs | published layout (as read) | step s | auto layout | step s | "
        "auto vs published | largest changes (auto - published) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows(catalog):
        print(row)


if __name__ == "__main__":
    main()
