"""Fair share by tenant: the tenant that has used least of its share goes next, within quotas.

Each tenant has a weight (`shares`, default 1) and optionally a hard cap on GPUs held at once
(`quota_gpus`). A tenant's usage is the GPU-seconds its jobs have held, decayed with a
half-life (`half_life_hours`, as Slurm's multifactor priority does), so a tenant that ran a lot
recently waits behind one that did not. Whenever GPUs are free, the tenant with the smallest
usage / weight among those with waiting jobs starts its oldest job (ties: the older job).
A tenant whose next job does not fit, or would break its quota, is passed over for the round,
so free GPUs never idle while another tenant's job fits (work-conserving, no reservations).
Within a tenant, jobs run first come, first served.
"""

from __future__ import annotations

import bisect
import math

from pydantic import Field

from simulator.engine.jobs import Job
from simulator.engine.scheduling.base import Scheduler, register
from simulator.schema.base import StrictModel


class FairShareParams(StrictModel):
    """Parameters of fair-share scheduling."""

    shares: dict[str, float] = Field(
        default_factory=dict, description="weight per tenant (default 1 for unnamed tenants)"
    )
    quota_gpus: dict[str, int] = Field(
        default_factory=dict, description="most GPUs a tenant may hold at once"
    )
    half_life_hours: float = Field(
        default=24.0, gt=0, description="how fast past usage is forgotten"
    )


class _Usage:
    """Decayed GPU-seconds of one tenant, exact between changes."""

    __slots__ = ("acc", "gpus", "t")

    def __init__(self) -> None:
        self.acc = 0.0
        self.gpus = 0
        self.t = 0.0

    def at(self, now: float, k: float) -> float:
        """Usage at `now` (k = ln 2 / half-life)."""
        dt = now - self.t
        if dt <= 0:
            return self.acc
        decay = math.exp(-k * dt)
        return self.acc * decay + self.gpus * (1.0 - decay) / k

    def change(self, now: float, k: float, gpus: int) -> None:
        """The tenant now holds `gpus` more (or fewer) GPUs."""
        self.acc = self.at(now, k)
        self.t = now
        self.gpus += gpus


@register
class FairShare(Scheduler):
    """Weighted fair share across tenants, FIFO within each."""

    kind = "fair_share"
    Params = FairShareParams

    def __init__(self, clock, cluster, host, params: FairShareParams) -> None:  # noqa: ANN001
        super().__init__(clock, cluster, host, params)
        self.tenants: dict[str, list[tuple]] = {}
        self.usage: dict[str, _Usage] = {}
        self.k = math.log(2) / (params.half_life_hours * 3600.0)
        for tenant, share in params.shares.items():
            if share <= 0:
                raise ValueError(f"shares.{tenant} must be > 0 (got {share})")

    def submit(self, job: Job) -> None:
        bisect.insort(self.tenants.setdefault(job.tenant, []), (job.submit_s, job.id, job))

    def __len__(self) -> int:
        return sum(len(q) for q in self.tenants.values())

    def withdraw(self, job: Job) -> bool:
        queue = self.tenants.get(job.tenant, [])
        for i, item in enumerate(queue):
            if item[-1] is job:
                del queue[i]
                return True
        return False

    def _usage(self, tenant: str) -> _Usage:
        usage = self.usage.get(tenant)
        if usage is None:
            usage = self.usage[tenant] = _Usage()
        return usage

    def on_start(self, job: Job) -> None:
        self._usage(job.tenant).change(self.clock.now, self.k, job.num_gpus)

    def on_stop(self, job: Job) -> None:
        self._usage(job.tenant).change(self.clock.now, self.k, -job.num_gpus)

    def usage_of(self, tenant: str) -> float:
        """Decayed GPU-seconds of `tenant` now."""
        return self._usage(tenant).at(self.clock.now, self.k)

    def schedule(self) -> None:
        passed: set[str] = set()
        quota = self.params.quota_gpus
        shares = self.params.shares
        while True:
            waiting = [t for t, q in self.tenants.items() if q and t not in passed]
            if not waiting:
                return
            tenant = min(
                waiting,
                key=lambda t: (
                    self.usage_of(t) / shares.get(t, 1.0),
                    self.tenants[t][0][0],
                    self.tenants[t][0][1],
                ),
            )
            job = self.tenants[tenant][0][-1]
            limit = quota.get(tenant)
            if limit is not None and self._usage(tenant).gpus + job.num_gpus > limit:
                passed.add(tenant)
                continue
            if self.host.try_start(job):
                self.tenants[tenant].pop(0)
            else:
                passed.add(tenant)
