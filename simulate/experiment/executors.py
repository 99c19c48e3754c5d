"""Where replications run: in this process, or on a local process pool.

Results come back in the order of their inputs whatever the worker count, and each
replication seeds itself from (scenario seed, replication number), so the numbers
never depend on the executor or on scheduling.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(function, item): k for k, item in enumerate(items)}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                index = futures[future]
                results[index] = future.result()
                if on_result:
                    on_result(index, results[index])
                if on_done:
                    on_done(done)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results
