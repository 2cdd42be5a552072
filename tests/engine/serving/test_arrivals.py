"""Request streams: rates, burstiness, the diurnal curve, traces, length distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.engine.serving.arrivals import diurnal_rate, read_request_trace, request_stream
from simulator.engine.serving.lengths import sample_lengths
from simulator.errors import InputError
from simulator.schema.scenario import LengthDistribution, Traffic

FIXED = {"kind": "fixed", "value": 10}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _traffic(**kw) -> Traffic:  # noqa: ANN003
    return Traffic.model_validate({"input_tokens": FIXED, "output_tokens": FIXED, **kw})


def test_poisson_rate_and_cv() -> None:
    s = request_stream(_traffic(requests_per_s=50.0), _rng(), 2000.0)
    gaps = np.diff(s.arrival_s)
    assert len(s) == pytest.approx(100_000, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.02)
    assert (s.arrival_s < 2000.0).all() and (np.diff(s.arrival_s) >= 0).all()


def test_gamma_burstiness() -> None:
    s = request_stream(
        _traffic(arrivals="gamma", requests_per_s=50.0, burstiness_cv=3.0), _rng(), 4000.0
    )
    gaps = np.diff(s.arrival_s)
    assert gaps.mean() == pytest.approx(1 / 50.0, rel=0.05)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.1)


def test_diurnal_peak_to_trough() -> None:
    t = _traffic(
        arrivals="diurnal", requests_per_s=20.0, diurnal_peak_to_trough=4.0, diurnal_peak_hour=12.0
    )
    rates = diurnal_rate(t, np.array([12 * 3600.0, 0.0]))
    assert rates[0] / rates[1] == pytest.approx(4.0)
    s = request_stream(t, _rng(), 86400.0)
    assert len(s) == pytest.approx(20 * 86400, rel=0.02)
    hours = np.bincount((s.arrival_s // 3600).astype(int), minlength=24)
    assert hours[12] / hours[0] == pytest.approx(4.0, rel=0.15)


def test_num_requests_caps_the_stream() -> None:
    s = request_stream(_traffic(requests_per_s=50.0, num_requests=123), _rng(), 1e9)
    assert len(s) == 123


def test_trace_replay(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("arrival_s,input_tokens,output_tokens\n2.5,100,7\n0.5,30,3\n")
    s = request_stream(
        _traffic(arrivals="trace", trace_path="t.csv"), _rng(), 10.0, trace_path=path
    )
    assert s.arrival_s.tolist() == [0.5, 2.5]
    assert s.input_tokens.tolist() == [30, 100] and s.output_tokens.tolist() == [3, 7]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("arrival_s,input_tokens\n1,2\n", "output_tokens"),
        ("arrival_s,input_tokens,output_tokens\n1,x,3\n", "line 2"),
        ("arrival_s,input_tokens,output_tokens\n1,0,3\n", ">= 1"),
    ],
)
def test_bad_trace_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_request_trace(path, "traffic.trace_path")
    assert message in str(err.value) and "traffic.trace_path" in str(err.value)


def test_length_distributions() -> None:
    rng = _rng()
    u = sample_lengths(LengthDistribution(kind="uniform", low=5, high=9), rng, 5000)
    assert u.min() == 5 and u.max() == 9
    ln = sample_lengths(LengthDistribution(kind="lognormal", median=300, sigma=0.7), rng, 20000)
    assert np.median(ln) == pytest.approx(300, rel=0.03)
    emp = sample_lengths(LengthDistribution(kind="empirical", values=[3, 50, 700]), rng, 1000)
    assert set(emp.tolist()) == {3, 50, 700}
    assert (sample_lengths(LengthDistribution(kind="fixed", value=42), rng, 3) == 42).all()
