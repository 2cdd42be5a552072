"""Where runs execute: a local process pool (default) or a Ray cluster.

Both take the same picklable `RunTask`s and yield the same plain records as runs finish, in
whatever order they finish; the sweep sorts by point and replication afterwards, so the
table does not depend on the backend, the worker count or the completion order.

The local pool forks workers from a forkserver that has already imported the simulator: each
worker starts in milliseconds without inheriting the driver's threads (a plain fork of a
multi-threaded process can deadlock). Ray is an optional extra, imported only when chosen.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from simulator.errors import InputError, Problem
from simulator.sweep.worker import RunTask, run_task

BACKENDS = ("local", "ray")


class Backend(Protocol):
    """Runs tasks and yields their records as they finish."""

    workers: int

    def run(
        self, tasks: Sequence[RunTask], fn: Callable[[RunTask], dict[str, Any]] = run_task
    ) -> Iterator[dict[str, Any]]:
        """Yield `fn(task)` for every task, in completion order."""
        ...

    def close(self) -> None:
        """Release processes or the cluster connection."""
        ...


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


WATCH_INTERVAL_S = 0.5
"""How often a local worker checks that the sweep that started it is still alive."""


def watch_driver(driver_pid: int) -> None:
    """Pool initializer: ignore Ctrl-C, and exit once the driving process is gone.

    Ctrl-C reaches every process of the terminal's foreground group; only the driver should
    act on it (stop the pool, print one line, exit 130), not each worker with a traceback.
    A driver killed outright (SIGKILL) cannot stop its pool, and a forkserver's workers are
    not its children, so each worker watches the driver's pid itself and exits when it is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            try:
                os.kill(driver_pid, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGKILL)  # at once: no cleanup is owed to anyone
            except PermissionError:
                pass

    threading.Thread(target=watch, name="watch-driver", daemon=True).start()


class LocalBackend:
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" in methods:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["simulator.sweep.worker"])
        else:
            context = multiprocessing.get_context("spawn")
        self._context = context
        self._pool: ProcessPoolExecutor | None = None

    def run(
        self, tasks: Sequence[RunTask], fn: Callable[[RunTask], dict[str, Any]] = run_task
    ) -> Iterator[dict[str, Any]]:
        if not tasks:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                initializer=watch_driver,
                initargs=(os.getpid(),),
            )
        pending: set[Future] = {self._pool.submit(fn, task) for task in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=id):
                    yield future.result()
        except BaseException:
            # Ctrl-C or a failed run: stop the runs in flight now, rather than wait for them.
            self.stop()
            raise
        finally:
            for future in pending:
                future.cancel()

    def stop(self) -> None:
        """End the workers at once (their runs are lost; finished ones are already stored)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # concurrent.futures offers no public way to stop tasks already running; its table of
        # worker processes is the one handle on them (absent: shutdown alone, as before)
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayBackend:
    """Tasks on a Ray cluster: one at `address`, or a local one started (and stopped) here.

    A remote cluster's workers must have infrasim installed and see the scenario and profile
    paths (a shared file system): tasks carry paths, not file contents.
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InputError(
                [
                    Problem(
                        "--backend",
                        "ray",
                        "Ray is not installed; pip install 'infrasim[ray]'",
                    )
                ]
            ) from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            try:
                if address:
                    ray.init(address=address, **kwargs)
                else:
                    ray.init(num_cpus=workers or default_workers(), **kwargs)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                where = address or "a local Ray instance"
                raise InputError(
                    [Problem("--address", where, f"cannot start Ray: {exc}")]
                ) from None
            self._started = True
        self.workers = int(ray.cluster_resources().get("CPU", 1))

    def run(
        self, tasks: Sequence[RunTask], fn: Callable[[RunTask], dict[str, Any]] = run_task
    ) -> Iterator[dict[str, Any]]:
        ray = self._ray
        remote = ray.remote(num_cpus=1, max_retries=2)(fn)
        pending = [remote.remote(task) for task in tasks]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield ray.get(ref)
        finally:
            for ref in pending:
                ray.cancel(ref)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_backend(name: str, *, workers: int | None = None, address: str | None = None) -> Backend:
    """The backend called `name` ('local' or 'ray').

    Raises:
        InputError: unknown name, a bad worker count, or Ray missing or unreachable.
    """
    if workers is not None and workers < 1:
        raise InputError([Problem("--workers", str(workers), "must be at least 1")])
    if name == "local":
        if address:
            raise InputError([Problem("--address", address, "only the ray backend connects")])
        return LocalBackend(workers)
    if name == "ray":
        return RayBackend(address, workers)
    raise InputError([Problem("--backend", name, f"expected one of {', '.join(BACKENDS)}")])
