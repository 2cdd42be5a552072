"""infrasim: infrastructure planning and capacity simulation for AI clusters.

Notebook use::

    import simulator
    results = simulator.simulate("scenarios/llama3-70b-pretrain-h100.yaml", seed=1)
    results.summary, results.jobs, results.events, results.timeline

    step = simulator.estimate_training(
        model="llama3-70b", node="hgx-h100", num_gpus=64, tp=8, pp=2, seq_len=8192,
        global_batch=512,
    )
    step["step_time_s"], step["mfu"]

Each function here is what the matching `infrasim` command computes, so a notebook and the
command line give the same figures for the same input. Units are the library's: seconds,
bytes, watts, US dollars, as the result keys name them (`step_time_s`, `ttft_s_p99`, ...).
Bad input raises `simulator.errors.InputError`, one `Problem` per bad field.

Everything is imported on first use, so `import simulator` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator._version import __version__

if TYPE_CHECKING:  # pragma: no cover - names for type checkers only
    from simulator.results import Results
    from simulator.scenario import LoadedScenario

__all__ = [
    "Results",
    "__version__",
    "estimate_inference",
    "estimate_serving",
    "estimate_training",
    "load_scenario",
    "simulate",
]


def simulate(
    scenario: LoadedScenario | str | Path,
    *,
    seed: int | None = None,
    settings: list[str] | None = None,
    calibration: str | Path | None = None,
    profiles: list[Path] | None = None,
    progress: Callable[[float, float], Any] | None = None,
) -> Results:
    """Simulate a scenario over its horizon, as `infrasim run` does (costs aside).

    Args:
        scenario: a scenario file's path, or a scenario from `load_scenario` (then settings,
            calibration and profiles were given to `load_scenario` and must be None here).
        seed: overrides the scenario's seed; the same scenario and seed give identical results.
        settings: `key.path=value` overrides, as `--set` (only with a path).
        calibration: a calibration file laid over the profiles, as `--calibration`.
        profiles: extra profile directories, as `--profiles`.
        progress: called as `progress(simulated_s, horizon_s)` while the run advances.

    Returns:
        Results: the jobs, events and timeline frames (times in seconds, energy in kWh) and
        the summary, a `RunSummary` (figures by attribute; `to_dict()` is what
        `infrasim run --json` prints); `economics.attach_costs(loaded, results)` adds the
        priced options as `infrasim run` does.

    Raises:
        InputError: the scenario cannot be run, each problem naming its file and field.
    """
    from simulator import results
    from simulator.scenario import LoadedScenario, load_scenario

    if not isinstance(scenario, LoadedScenario):
        scenario = load_scenario(
            scenario, _catalog(profiles), settings or [], calibration=calibration
        )
    elif settings or calibration is not None or profiles:
        raise ValueError("settings, calibration and profiles apply when loading a scenario path")
    return results.simulate(scenario, seed=seed, progress=progress)


def estimate_training(
    *,
    profiles: list[Path] | None = None,
    calibration: str | Path | None = None,
    **request: Any,
) -> dict[str, Any]:
    """One training step, as `infrasim estimate training --json`.

    Args:
        profiles: extra profile directories, as `--profiles`.
        calibration: a calibration file laid over the profiles, as `--calibration`.
        **request: the command's flags with underscores (`model`, `node` or `gpu`,
            `num_gpus`, `seq_len`, `global_batch`, `tp`, `pp`, ...).

    Returns:
        step time (`step_time_s`, seconds), tokens per second, FLOP rates, MFU, memory per
        GPU (bytes and GB) and a time breakdown (seconds), keyed as the command prints them.
    """
    from simulator.estimates.training import TrainingRequest, compute_training

    return _estimate(TrainingRequest, compute_training, request, profiles, calibration)


def estimate_inference(
    *,
    profiles: list[Path] | None = None,
    calibration: str | Path | None = None,
    **request: Any,
) -> dict[str, Any]:
    """One static batch, as `infrasim estimate inference --json`.

    Args:
        profiles: extra profile directories, as `--profiles`.
        calibration: a calibration file laid over the profiles, as `--calibration`.
        **request: the command's flags with underscores (`model`, `node` or `gpu`, `batch`,
            `input_len`, `output_len`, `tp`, `precision`, ...).

    Returns:
        time to first token and per output token (seconds), end-to-end latency (seconds),
        tokens per second and memory per GPU, keyed as the command prints them.
    """
    from simulator.estimates.inference import InferenceRequest, compute_inference

    return _estimate(InferenceRequest, compute_inference, request, profiles, calibration)


def estimate_serving(
    *,
    profiles: list[Path] | None = None,
    calibration: str | Path | None = None,
    **request: Any,
) -> dict[str, Any]:
    """A request stream through continuously batched replicas, as `infrasim estimate serving`.

    Args:
        profiles: extra profile directories, as `--profiles`.
        calibration: a calibration file laid over the profiles, as `--calibration`.
        **request: the command's flags with underscores (`model`, `node`, `tp`,
            `num_requests`, `input_len`, `output_len`, `request_rate` or `concurrency`, ...).

    Returns:
        throughput (tokens and requests per second), TTFT / TPOT / e2e percentiles (seconds),
        SLO attainment (0..1), KV-cache use and GPU-hours, keyed as the command prints them.
    """
    from simulator.estimates.serving import ServingRequest, compute_serving

    return _estimate(ServingRequest, compute_serving, request, profiles, calibration)


def _catalog(profiles: list[Path] | None, calibration: str | Path | None = None) -> Any:
    from simulator.catalog import Catalog

    return Catalog.load(profiles or []).with_calibration(calibration)


def _estimate(
    model: Any,
    compute: Callable[[Any, Any], dict[str, Any]],
    request: dict[str, Any],
    profiles: list[Path] | None,
    calibration: str | Path | None,
) -> dict[str, Any]:
    """The estimate commands' one path: validate the request, lay out the catalog, compute."""
    from simulator.estimates.request import parse_request

    parsed = parse_request(model, request, "request", flags=False)
    return compute(parsed, _catalog(profiles, calibration))


def __getattr__(name: str) -> Any:
    if name == "load_scenario":
        from simulator.scenario import load_scenario

        return load_scenario
    if name == "Results":
        from simulator.results import Results

        return Results
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
