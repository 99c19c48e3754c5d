"""Where replications and sweep runs execute: here, a local process pool, or Dask.

``map_ordered`` returns results in the order of their inputs whatever the worker count.
The executors (``SerialExecutor``, ``PoolExecutor``, ``DaskExecutor``, one interface)
stream results as they finish with a bounded number of tasks in flight, so the caller's
memory stays flat however many tasks there are. Each replication seeds itself from
(scenario seed, replication number), so the numbers never depend on the executor,
the worker count or scheduling.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _with_index(function: Callable[[Item], Out], pair: tuple[int, Item]) -> tuple[int, Out]:
    return pair[0], function(pair[1])


def map_ordered(
    function: Callable[[Item], Out],
    items: Sequence[Item],
    *,
    workers: int = 1,
    on_done: Callable[[int], Any] | None = None,
    on_result: Callable[[int, Out], Any] | None = None,
) -> list[Out]:
    """``[function(x) for x in items]``, on ``workers`` processes (1 = here, serially).

    ``on_done(k)`` is called as each item finishes (for progress bars), ``on_result(i, y)``
    with each finished item's index and result (so an interrupted caller keeps what
    finished). ``function`` must be importable (module level) when ``workers > 1``.
    """
    workers = max(1, min(workers, len(items)))
    if workers == 1:
        out = []
        for index, item in enumerate(items):
            out.append(function(item))
            if on_result:
                on_result(index, out[-1])
            if on_done:
                on_done(len(out))
        return out
    results: list[Any] = [None] * len(items)
    with PoolExecutor(workers) as pool:  # bounded submission; workers stopped on error
        indexed = functools.partial(_with_index, function)
        finished = pool.imap_unordered(indexed, list(enumerate(items)))
        for done, (index, result) in enumerate(finished, start=1):
            results[index] = result
            if on_result:
                on_result(index, result)
            if on_done:
                on_done(done)
    return results


class Executor(abc.ABC):
    """Runs ``function(item)`` for a stream of items; results come back as they finish.

    Subclasses provide ``slots`` (tasks that can run at once) and ``imap_unordered``.
    Use as a context manager.
    """

    name = "executor"
    slots = 1

    @abc.abstractmethod
    def imap_unordered(
        self, function: Callable[[Item], Out], items: Iterable[Item], *, in_flight: int = 0
    ) -> Iterator[Out]:
        """Results of ``function`` over ``items`` in order of completion.

        At most ``in_flight`` tasks (default 2 x slots) are submitted at a time; the
        next items are drawn from ``items`` only as results come back.
        """

    def describe(self) -> dict[str, Any]:
        """What ran the tasks (for manifests)."""
        return {"executor": self.name, "slots": self.slots}

    def close(self, *, abort: bool = False) -> None:  # noqa: B027  nothing to release here
        """Release workers and connections (``abort``: do not wait for running tasks)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: object, *exc_info: object) -> None:
        self.close(abort=kind is not None)


_END = object()


class SerialExecutor(Executor):
    """Everything in this process, one task at a time."""

    name = "serial"

    def imap_unordered(
        self, function: Callable[[Item], Out], items: Iterable[Item], *, in_flight: int = 0
    ) -> Iterator[Out]:
        for item in items:
            yield function(item)


_STUCK_THREADS: list[threading.Thread] = []
"""Pool threads an aborted pool could not stop within its bounded waits."""


def pool_threads_stuck() -> bool:
    """Whether a thread of an aborted pool is still blocked (the interpreter's exit would
    wait for it forever: the command line leaves at once instead)."""
    return any(thread.is_alive() for thread in _STUCK_THREADS)


class PoolExecutor(Executor):
    """A local pool of ``workers`` processes."""

    name = "local-pool"

    def __init__(self, workers: int | None = None) -> None:
        self.slots = workers or default_workers()
        self._pool = ProcessPoolExecutor(
            max_workers=self.slots, initializer=worker_setup, initargs=(os.getpid(),)
        )

    def imap_unordered(
        self, function: Callable[[Item], Out], items: Iterable[Item], *, in_flight: int = 0
    ) -> Iterator[Out]:
        limit = in_flight or max(2, 2 * self.slots)
        source = iter(items)
        pending: set[Any] = set()
        try:
            while True:
                while len(pending) < limit:
                    item = next(source, _END)
                    if item is _END:
                        break
                    pending.add(self._pool.submit(function, item))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self, *, abort: bool = False) -> None:
        """Stop the pool; with ``abort``, kill the workers now and make sure nothing in
        this process waits for them afterwards (bounded waits only)."""
        if not abort:
            self._pool.shutdown(wait=True)
            return
        pool = self._pool  # stop now: running tasks' results would be thrown away anyway
        # Taken before shutdown(), which drops the pool's references to all three.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        result_queue = getattr(pool, "_result_queue", None)
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)
        # A worker killed while sending a result leaves half a message in the result pipe,
        # and the pool's manager thread would wait for the rest forever (and the
        # interpreter's exit for it). The workers are gone; closing our own copy of the
        # pipe's write end lets that read end (EOF), so the thread finishes.
        writer = getattr(result_queue, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
        if manager is not None:
            manager.join(timeout=5)
            if manager.is_alive():  # still blocked: the command must not wait for it at exit
                _STUCK_THREADS.append(manager)


class DaskExecutor(Executor):
    """Dask distributed: an existing cluster (``address``) or a new LocalCluster.

    ``address`` is a scheduler address such as ``tcp://10.0.0.5:8786``; otherwise
    ``local_workers`` worker processes (one thread each) are started on this machine.
    ``timeout`` (seconds) bounds connecting and waiting for a first worker (default:
    Dask's ``distributed.comm.timeouts.connect``, 30 s).
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        local_workers: int | None = None,
        timeout: float | None = None,
    ) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if address is None:
            import dask

            # Ctrl-C reaches the coordinator only, which closes the cluster; the workers'
            # statistical profiler (a stack sample every 10 ms) slows pure-Python tasks.
            profile_off = {"distributed.worker.profile.enabled": False}
            with _sigint_ignored(), dask.config.set(profile_off):
                self._cluster = LocalCluster(
                    n_workers=local_workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # no fixed port: no clash with others
                    silence_logs=logging.ERROR,
                )
            address = self._cluster.scheduler_address
        if timeout is None:
            import dask

            timeout = float(
                dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"))
            )
        self.address = address
        self._client = Client(address, timeout=timeout, set_as_default=False)
        if self._cluster is None:
            self._client.wait_for_workers(1, timeout=timeout)
        info = self._client.scheduler_info()
        self.slots = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        self._client.run(warm_up)  # import the model on every worker now, not in the first task

    def imap_unordered(
        self, function: Callable[[Item], Out], items: Iterable[Item], *, in_flight: int = 0
    ) -> Iterator[Out]:
        from distributed import as_completed

        limit = in_flight or max(2, 2 * self.slots)
        source = iter(items)
        finished = as_completed(loop=self._client.loop)
        pending: set[Any] = set()

        def top_up() -> None:
            while len(pending) < limit:
                item = next(source, _END)
                if item is _END:
                    return
                future = self._client.submit(function, item, pure=False)
                pending.add(future)
                finished.add(future)

        try:
            top_up()
            while pending:
                future = next(finished)
                pending.discard(future)
                result = future.result()
                future.release()
                top_up()
                yield result
        finally:
            if pending:
                self._client.cancel(list(pending))

    def describe(self) -> dict[str, Any]:
        return {
            "executor": self.name,
            "slots": self.slots,
            "scheduler": "local-cluster" if self._cluster is not None else self.address,
        }

    def close(self, *, abort: bool = False) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def worker_setup(coordinator: int) -> None:
    """Run first in every pool worker: signal handlers of its own, not the coordinator's
    (SIGTERM and SIGHUP end it; Ctrl-C, which a terminal sends to the whole process
    group, is left to the coordinator, which stops the pool), and death with the
    coordinator, even by SIGKILL (Linux: the parent-death signal; elsewhere a watcher
    thread), so no worker is ever left running alone."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(coordinator,), daemon=True).start()
    if os.getppid() != coordinator:  # it died before we could ask
        os._exit(1)


def _die_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux prctl)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(coordinator: int, every: float = 1.0) -> None:
    import time

    while os.getppid() == coordinator:
        time.sleep(every)
    os._exit(1)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while starting worker processes (they inherit it; a terminal's Ctrl-C
    then stops only the coordinator, which shuts the workers down quietly)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def warm_up() -> None:
    """Import what sweep and replication tasks need (run on each worker at start-up)."""
    import simulate.model.world
    import simulate.output.tables  # noqa: F401


SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
"""Dask comm protocols a scheduler address may name (``tcp://`` when none is given)."""


def scheduler_address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a Dask scheduler address (None when it can be), checked
    before connecting: a bad address would otherwise fail deep in Dask after a wait."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(address)
        if protocol not in SCHEDULER_PROTOCOLS:
            return (
                f"protocol '{protocol}' is not one Dask speaks ({', '.join(SCHEDULER_PROTOCOLS)})"
            )
        if protocol in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def make_executor(
    workers: int | None = None, *, scheduler: str | None = None, dask_local: int | None = None
) -> Executor:
    """Serial (``workers=1``), local pool (default), or Dask (address or LocalCluster)."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if dask_local is not None:
        return DaskExecutor(local_workers=dask_local)
    n = workers or default_workers()
    return SerialExecutor() if n == 1 else PoolExecutor(n)
