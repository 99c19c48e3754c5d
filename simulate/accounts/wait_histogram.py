"""Fixed-bin histograms of waiting time, so tail percentiles need no per-patient memory.

Bin 0 holds waits of exactly zero (treated on arrival); bins 1..N_LOG hold waits between
log-spaced edges from ``MIN_WAIT`` to ``MAX_WAIT`` days; the last bin holds longer
waits. Histograms add, so team and organisation percentiles are exact sums of
physicians' histograms; within a bin the quantile is interpolated geometrically
(relative error at most the bin ratio, about 23%, and far less in practice).
"""

from __future__ import annotations

import bisect

import numpy as np

MIN_WAIT = 1e-3
"""Days; shorter non-zero waits fall in the first log bin."""
MAX_WAIT = 1e4
"""Days; longer waits fall in the overflow bin."""
N_LOG = 78
EDGES = np.geomspace(MIN_WAIT, MAX_WAIT, N_LOG + 1)
N_BINS = N_LOG + 3
"""Bins: zero wait, (0, MIN_WAIT), N_LOG log bins, and >= MAX_WAIT."""
_EDGE_LIST = EDGES.tolist()


def bin_of(wait: float) -> int:
    """Histogram bin of a wait in days."""
    if wait <= 0.0:
        return 0
    # 1: (0, MIN_WAIT); 2..N_LOG+1: log bins; N_LOG+2: >= MAX_WAIT
    return 1 + bisect.bisect_right(_EDGE_LIST, wait)


def _bin_bounds(b: int) -> tuple[float, float]:
    if b == 0:
        return 0.0, 0.0
    if b == 1:
        return 0.0, MIN_WAIT
    if b >= N_LOG + 2:
        return MAX_WAIT, MAX_WAIT
    return _EDGE_LIST[b - 2], _EDGE_LIST[b - 1]


_LOW = np.array([_bin_bounds(b)[0] for b in range(N_BINS)])
_HIGH = np.array([_bin_bounds(b)[1] for b in range(N_BINS)])


def quantiles(counts: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile (0-1) of waits along the last axis of histograms; NaN where empty.

    Within the bin holding the quantile, interpolated geometrically (linearly in the
    first bin, which starts at zero).
    """
    counts = np.asarray(counts, dtype=float)
    cumulative = np.cumsum(counts, axis=-1)
    total = cumulative[..., -1]
    rank = q * total
    b = np.minimum(np.sum(cumulative < rank[..., None], axis=-1), counts.shape[-1] - 1)
    low, high = _LOW[b], _HIGH[b]
    inside = np.take_along_axis(counts, b[..., None], axis=-1)[..., 0]
    before = np.take_along_axis(cumulative, b[..., None], axis=-1)[..., 0] - inside
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(inside > 0, np.clip((rank - before) / inside, 0.0, 1.0), 0.0)
        geometric = low * (high / np.where(low > 0, low, 1.0)) ** frac
    value = np.where(high <= low, low, np.where(low <= 0.0, high * frac, geometric))
    return np.where(total > 0, value, np.nan)


def share_above(counts: np.ndarray, threshold: float) -> np.ndarray:
    """Share of waits longer than ``threshold`` days, along the last axis; NaN when empty.

    The bin holding the threshold is split geometrically (as in ``quantiles``).
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=-1)
    b = bin_of(threshold)
    above = counts[..., b + 1 :].sum(axis=-1)
    low, high = _bin_bounds(b)
    if high > low and counts.shape[-1] > b:
        if low <= 0.0:
            part = 1.0 - threshold / high
        else:
            part = 1.0 - np.log(threshold / low) / np.log(high / low)
        above = above + counts[..., b] * part
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, above / total, np.nan)
