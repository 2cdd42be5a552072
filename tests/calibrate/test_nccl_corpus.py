"""Real nccl-tests / rccl-tests logs from public sources (tests/data/nccl_logs, each with a
README naming its source and licence): each imports with the right op, ranks and GPU, and a
multi-node import leaves the single-node NVLink estimate where it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibrate.nccl_tests import read_nccl_tests
from simulator.calibration_overlay import load_calibration, overlay_gpus
from simulator.cli import app

CORPUS = Path(__file__).parents[1] / "data" / "nccl_logs"
H100 = "NVIDIA H100 80GB HBM3"
A100_40 = "A100-SXM4-40GB"
RTX5090 = "NVIDIA GeForce RTX 5090"
GB200_EARLY = "NVIDIA Graphics Device"  # an early driver's name for GB200

# log -> (flags a user must add, [(op, ranks, GPU) per run])
EXPECTED: dict[str, tuple[dict, list[tuple[str, int, str | None]]]] = {
    "aws-p4de-2node-srun": (
        {"op": "all_reduce", "gpu": "NVIDIA A100-SXM4-80GB"},
        [("all_reduce", 16, "NVIDIA A100-SXM4-80GB")],
    ),
    "aws-p5-2node-srun": ({"op": "all_reduce", "gpu": H100}, [("all_reduce", 16, H100)]),
    "aws-eks-p5-mpirun-indented": ({"op": "all_reduce", "gpu": H100}, [("all_reduce", 16, H100)]),
    "aws-batch-p5-mpirun": ({"op": "all_reduce", "gpu": H100}, [("all_reduce", 8, H100)]),
    "aws-p5en-topology-ellipsis": (
        {"op": "all_reduce", "gpu": "NVIDIA H200"},
        [("all_reduce", 128, "NVIDIA H200")],
    ),
    "rccl-mi300x-1node-k8s": ({}, [("all_reduce", 8, "AMD Instinct MI300X")]),
    "rccl-mi300x-2node-slurm": ({}, [("all_reduce", 16, "AMD Instinct MI300X")]),
    "rccl-mi325x-egrep-4runs": (
        {"gpu": "AMD Instinct MI325X"},
        [("all_reduce", n, "AMD Instinct MI325X") for n in (8, 16, 32, 64)],
    ),
    "rccl-mi355x-2node-noname": (
        {"op": "all_reduce", "gpu": "AMD Instinct MI355X"},
        [("all_reduce", 16, "AMD Instinct MI355X")],
    ),
    "nccl-h100-a3mega-16rank-nohash": ({}, [("all_reduce", 16, H100)]),
    **{
        f"sb-a100-40gb-{name}-old": ({"op": op}, [(op, 8, A100_40)])
        for name, op in (
            ("allgather", "all_gather"),
            ("allreduce", "all_reduce"),
            ("alltoall", "all_to_all"),
            ("broadcast", "broadcast"),
            ("reducescatter", "reduce_scatter"),
        )
    },
    **{
        f"rtx5090-{name}": ({}, [(op, 2, RTX5090)])
        for name, op in (
            ("allgather-nccl2297", "all_gather"),
            ("allreduce-mpirun-nccl2297", "all_reduce"),
            ("reducescatter-nccl2297", "reduce_scatter"),
            ("broadcast-nccl2297", "broadcast"),
        )
    },
}
EXPECTED.update(
    {
        "cw-h100-96-sharp-kubectl": ({"op": "all_reduce", "gpu": H100}, [("all_reduce", 96, H100)]),
        "cw-gb200-1rack-72": ({"op": "all_reduce"}, [("all_reduce", 72, GB200_EARLY)]),
        "cw-gb200-2rack-128": ({"op": "all_reduce"}, [("all_reduce", 128, GB200_EARLY)]),
        "cw-gb200-20rack-1440": ({"op": "all_reduce"}, [("all_reduce", 1440, "NVIDIA GB200")]),
    }
)
VERSIONS = {  # NCCL versions the logs state
    "rtx5090-allgather-nccl2297": "2.29.7",
    "rtx5090-reducescatter-nccl2297": "2.29.7",
    "rccl-mi300x-2node-slurm": "2.22.3",
    "rccl-mi355x-2node-noname": "2.26.6",
}


def test_every_log_has_a_readme_and_an_expectation() -> None:
    logs = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    assert logs == sorted(EXPECTED)
    for name in logs:
        readme = (CORPUS / name / "README.md").read_text()
        assert "Source: https://" in readme and "Licence:" in readme


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_log_imports_with_right_op_ranks_gpu(name: str) -> None:
    flags, expected = EXPECTED[name]
    runs = read_nccl_tests(CORPUS / name / "log.txt", **flags)
    assert [(r.op, r.ranks, r.gpu) for r in runs] == expected
    assert all(len(r.rows) >= 3 for r in runs)
    if name in VERSIONS:
        assert runs[0].nccl_version == VERSIONS[name]


def test_without_the_flags_the_error_says_what_to_add() -> None:
    from simulator.errors import InputError

    with pytest.raises(InputError, match="pass --op"):
        read_nccl_tests(CORPUS / "aws-p5-2node-srun" / "log.txt")


def test_multi_node_import_records_an_inter_node_fit_and_no_overlay(
    tmp_path: Path, runner, catalog
) -> None:
    out = tmp_path / "cal.json"
    log = CORPUS / "nccl-h100-a3mega-16rank-nohash" / "log.txt"
    result = runner.invoke(app, ["calibrate", "import-nccl-tests", str(log), "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    (fit,) = cal.fits.collectives
    assert (fit.span, fit.nodes, fit.num_ranks) == ("inter_node", 2, 16)
    assert fit.source is not None and len(fit.source.sha256) == 64
    assert fit.source.file == "log.txt" and fit.source.imported_at
    # the single-node NVLink table is untouched: no overlay, so no estimate can move
    assert cal.overlay is None
    assert "left as it is" in result.output


def test_single_node_import_overlays_the_gpu(tmp_path: Path, runner, catalog) -> None:
    out = tmp_path / "cal.json"
    log = CORPUS / "rccl-mi300x-1node-k8s" / "log.txt"
    result = runner.invoke(app, ["calibrate", "import-nccl-tests", str(log), "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    (fit,) = cal.fits.collectives
    assert fit.span == "intra_node" and cal.overlay is not None
    gpu_id, profile = overlay_gpus(cal, catalog.profiles["gpu"], out)
    assert gpu_id == "mi300x"
    assert profile.efficiency.collectives.library == "generic"


def test_an_import_that_fits_nothing_fails(tmp_path: Path, runner) -> None:
    text = (CORPUS / "aws-p5en-topology-ellipsis" / "log.txt").read_text()
    log = tmp_path / "one.log"
    log.write_text(
        "\n".join(
            line for line in text.splitlines() if "17179869184" in line or line.startswith("#")
        )
    )
    result = runner.invoke(
        app,
        [
            "calibrate",
            "import-nccl-tests",
            str(log),
            "--op",
            "all_reduce",
            "--gpu",
            "NVIDIA H200",
            "--out",
            str(tmp_path / "o.json"),
        ],
    )
    assert result.exit_code == 2
    assert "nothing imported" in result.output and "need 3 to fit" in result.output
    assert not (tmp_path / "o.json").exists()


def test_a100_40gb_is_not_filed_as_80gb(tmp_path: Path, runner) -> None:
    text = (CORPUS / "aws-p4de-2node-srun" / "log.txt").read_text()
    log = tmp_path / "a100.log"
    log.write_text(text)
    result = runner.invoke(
        app,
        [
            "calibrate",
            "import-nccl-tests",
            str(log),
            "--op",
            "all_reduce",
            "--gpu",
            "NVIDIA A100-SXM4-40GB",
            "--out",
            str(tmp_path / "o.json"),
        ],
    )
    assert result.exit_code == 2 and "no single catalog GPU matches" in result.output


def _median_error_at_large_sizes(cal_path: Path, catalog) -> float:
    """Median |estimate / log - 1| over the log's sizes >= 64 MiB, on the calibrated catalog."""
    import statistics

    from simulator.perf.collectives import collective_time_s
    from simulator.perf.topology import group_from_catalog

    cal = load_calibration(cal_path)
    overlaid = catalog.with_calibration(cal_path)
    gpu = cal.overlay.target_gpu_id
    errors = []
    for p in cal.measurements.collectives:
        if p.size_bytes >= 64 * 2**20:
            group = group_from_catalog(overlaid, num_gpus=p.num_ranks, gpu=gpu)
            errors.append(abs(collective_time_s(p.op, p.size_bytes, group).time_s / p.time_s - 1))
    return statistics.median(errors)


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("rccl-mi300x-1node-k8s", []),
        ("sb-a100-40gb-allreduce-old", ["--op", "all_reduce", "--gpu-id", "a100-sxm-80gb"]),
        ("cw-gb200-1rack-72", ["--op", "all_reduce", "--gpu-id", "gb200"]),
    ],
)
def test_intra_node_import_predicts_its_own_log(
    name: str, flags: list[str], tmp_path: Path, runner, catalog
) -> None:
    out = tmp_path / "cal.json"
    log = CORPUS / name / "log.txt"
    result = runner.invoke(
        app, ["calibrate", "import-nccl-tests", str(log), *flags, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _median_error_at_large_sizes(out, catalog) < 0.10


def test_multi_node_runs_do_not_move_the_single_node_estimate(
    tmp_path: Path, runner, catalog
) -> None:
    """The MI325X file holds 8-, 16-, 32- and 64-rank runs: the 8-GPU estimate after importing
    it is the one after importing the 8-rank run alone (within 2%)."""
    from simulator.perf.collectives import collective_time_s
    from simulator.perf.topology import group_from_catalog

    text = (CORPUS / "rccl-mi325x-egrep-4runs" / "log.txt").read_text()
    alone = tmp_path / "one-node.log"
    alone.write_text(text.split("====== 2-node")[0])
    estimates = []
    for log in (CORPUS / "rccl-mi325x-egrep-4runs" / "log.txt", alone):
        out = tmp_path / f"{log.stem}.json"
        args = ["calibrate", "import-nccl-tests", str(log), "--gpu-id", "mi300x", "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        spans = {f.num_ranks: f.span for f in load_calibration(out).fits.collectives}
        assert spans[8] == "intra_node" and all(
            s == "inter_node" for n, s in spans.items() if n > 8
        )
        group = group_from_catalog(catalog.with_calibration(out), num_gpus=8, gpu="mi300x")
        estimates.append(collective_time_s("all_reduce", 2**30, group).time_s)
    assert abs(estimates[0] / estimates[1] - 1) < 0.02


def test_the_96_rank_h100_log_leaves_the_8_gpu_nvlink_estimate_alone(
    tmp_path: Path, runner
) -> None:
    """The issue's case: a 96-rank log across 12 nodes is an inter-node fit, and the file
    carries no overlay, so the 8-GPU NVLink all-reduce estimate cannot move."""
    out = tmp_path / "cal.json"
    log = CORPUS / "cw-h100-96-sharp-kubectl" / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--op", "all_reduce", "--gpu", H100]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    assert [(f.span, f.nodes) for f in cal.fits.collectives] == [("inter_node", 12)]
    assert cal.overlay is None


@pytest.mark.parametrize(
    ("name", "racks"), [("cw-gb200-2rack-128", 2), ("cw-gb200-20rack-1440", 20)]
)
def test_multi_rack_nvlink_logs_are_inter_domain(
    name: str, racks: int, tmp_path: Path, runner
) -> None:
    out = tmp_path / "cal.json"
    log = CORPUS / name / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--op", "all_reduce", "--gpu-id", "gb200"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    (fit,) = load_calibration(out).fits.collectives
    assert (fit.span, fit.nodes) == ("inter_node", racks)


@pytest.mark.parametrize("where", [["--gpu-id", "a100-sxm-80gb"], ["--node", "aws-p4de"]])
def test_inter_node_fit_finds_the_fabric_rate(where: list[str], tmp_path: Path, runner) -> None:
    """p4de: 4 x 100 Gb/s EFA per 8-GPU node is 6.25 GB/s per GPU, one way. Fitting the
    scale-out terms alone (the A100's NVLink held at the catalog's, on the reference DGX or on
    the p4de node itself) must land below that line rate and above half of it."""
    out = tmp_path / "cal.json"
    log = CORPUS / "aws-p4de-2node-srun" / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--op", "all_reduce", *where]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    (fit,) = load_calibration(out).fits.collectives
    assert fit.span == "inter_node" and 6.25 / 2 < fit.link_rate_gb_per_s < 6.25


@pytest.mark.parametrize(
    ("name", "flags", "gpu", "per_domain"),
    [
        ("cw-h100-96-sharp-kubectl", ["--gpu", H100], "h100-sxm-80gb", 8),
        ("aws-p4de-2node-srun", ["--gpu-id", "a100-sxm-80gb"], "a100-sxm-80gb", 8),
        ("cw-gb200-2rack-128", ["--gpu-id", "gb200"], "gb200", 64),
        ("cw-gb200-20rack-1440", ["--gpu-id", "gb200"], "gb200", 72),
    ],
)
def test_inter_node_fit_predicts_its_own_log(
    name: str, flags: list[str], gpu: str, per_domain: int, tmp_path: Path, runner, catalog
) -> None:
    """The catalog's group for the log's shape, with the fitted scale-out rate and latency,
    within 10% of the log at sizes >= 64 MiB (median)."""
    import dataclasses
    import statistics

    from simulator.perf.collectives import collective_time_s
    from simulator.perf.topology import group_from_catalog

    out = tmp_path / "cal.json"
    log = CORPUS / name / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--op", "all_reduce", *flags]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    (fit,) = cal.fits.collectives
    base = group_from_catalog(catalog, num_gpus=fit.num_ranks, gpus_per_node=per_domain, gpu=gpu)
    group = dataclasses.replace(
        base,
        scale_out_gb_per_s=fit.link_rate_gb_per_s,
        scale_out_latency_us=fit.step_latency_us,
        oversubscription=1.0,
    )
    errors = [
        abs(collective_time_s("all_reduce", p.size_bytes, group).time_s / p.time_s - 1)
        for p in cal.measurements.collectives
        if p.size_bytes >= 64 * 2**20
    ]
    assert statistics.median(errors) < 0.10


def test_fabric_profiles_predict_the_multi_node_log(tmp_path: Path, runner) -> None:
    """--profiles-out: a calibrated copy of the p4de node and its EFA; estimates on the copy
    reproduce the 16-rank log (median within 10% at >= 64 MiB), while 8 GPUs on the copy cost
    exactly what they cost on the catalog's p4de (same NVLink)."""
    import statistics

    from simulator.catalog import Catalog
    from simulator.perf.collectives import collective_time_s
    from simulator.perf.topology import group_from_catalog

    out, profiles = tmp_path / "cal.json", tmp_path / "profiles"
    log = CORPUS / "aws-p4de-2node-srun" / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--op", "all_reduce", "--node", "aws-p4de"]
    result = runner.invoke(app, [*args, "--out", str(out), "--profiles-out", str(profiles)])
    assert result.exit_code == 0, result.output
    assert "--node aws-p4de-calibrated" in result.output
    catalog = Catalog.load([profiles])
    fabric = catalog.interconnect("efa-p4de-calibrated")
    assert 0.5 < fabric.achievable_fraction <= 1 and "sha256" in fabric.source
    group = group_from_catalog(catalog, num_gpus=16, node="aws-p4de-calibrated")
    errors = [
        abs(collective_time_s("all_reduce", p.size_bytes, group).time_s / p.time_s - 1)
        for p in load_calibration(out).measurements.collectives
        if p.size_bytes >= 64 * 2**20
    ]
    assert statistics.median(errors) < 0.10
    eight = [
        collective_time_s("all_reduce", 2**30, group_from_catalog(catalog, num_gpus=8, node=n))
        for n in ("aws-p4de", "aws-p4de-calibrated")
    ]
    assert eight[0].time_s == eight[1].time_s


def test_no_fabric_profile_faster_than_its_wire(tmp_path: Path, runner) -> None:
    """MI300X over 2 nodes fits at more than the 400G NICs carry (the catalog's xGMI model is
    off for this log): the importer refuses to write a fabric profile and says why."""
    log = CORPUS / "rccl-mi300x-2node-slurm" / "log.txt"
    args = ["calibrate", "import-nccl-tests", str(log), "--out", str(tmp_path / "c.json")]
    result = runner.invoke(app, [*args, "--profiles-out", str(tmp_path / "p")])
    assert result.exit_code == 2 and "exceeds" in result.output and "line rate" in result.output
    assert not (tmp_path / "p" / "interconnects").exists() or not any(
        (tmp_path / "p" / "interconnects").iterdir()
    )
