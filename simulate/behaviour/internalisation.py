"""Norm internalisation: peer feedback moves a physician's reference style, and it stays.

While a dashboard or letter is in force (and reaches the physician), the reference style
(the point the adjustment cost is measured from) gets a second component besides the
habit: a shift z_i toward the style the peer norm implies,

    z_i <- z_i + kappa (eta (t_i - o_i) - z_i)          every period with feedback
    z_i unchanged                                        once feedback has stopped

with o_i = n_i + omega (h_i - n_i) the reference without it (drawn norm and habit),
t_i the norm-implied style (``norm_implied_style``), kappa the rate and eta the share
adopted. With t_i and o_i fixed, the share of the gap eta (t_i - o_i) closed after m
periods is 1 - (1 - kappa)^m (``share_closed``). The habit keeps following practice and
decays once a policy ends; z_i does not, so a change that feedback made stays in part,
where one that money made decays (Lester 2010; Morales 2023). See docs/model.md (3.8, 5.3).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulate.behaviour import peer

PROBE = 1e-3
"""Central-difference step of the metrics' gradient in style (style units)."""
RCOND = 1e-6
"""Singular values below this share of the largest are ignored (a metric that hardly
moves with style gives no step, not an infinite one)."""


def share_closed(rate: float, periods: float, share: float = 1.0) -> float:
    """Share of the gap to the norm-implied style internalised after ``periods`` periods
    of feedback from z = 0, with the gap fixed: eta (1 - (1 - kappa)^m)."""
    return share * (1.0 - (1.0 - rate) ** periods)


def internalise(
    shift: np.ndarray, target: np.ndarray, rate: float, reached: np.ndarray | None = None
) -> np.ndarray:
    """One period of internalisation: z + kappa (target - z) [N, d] for the physicians
    ``reached`` by the feedback [N] (None: everyone); the others keep z."""
    moved = shift + rate * (target - shift)
    return moved if reached is None else np.where(reached[:, None], moved, shift)


def norm_step(gaps: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
    """Gauss-Newton step to the norm: the smallest style change Delta [N, d] with
    g + G Delta = 0 in least squares, Delta = -G^+ g, from the relative gaps g [N, M]
    and their gradients in style G [N, M, d] (a metric with a zero row does not count)."""
    return -np.einsum("ndm,nm->nd", np.linalg.pinv(jacobian, rcond=RCOND), gaps)


def norm_implied_style(
    reference: np.ndarray,
    expect: Callable[[np.ndarray], dict[str, np.ndarray]],
    pressure,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """The intensity and effort [N, 2] at which each physician's expected dashboard
    figures meet their norms (nearest the reference, one Gauss-Newton step, within the
    bounds): where only a shortfall counts, a metric already at or better than its norm
    sets no constraint; a metric without a norm neither.

    ``expect``: expected figures per episode of styles [N, K, d]; ``pressure``: the
    ``mechanisms.PeerPressure`` with its last publication.
    """
    comparison = pressure.comparison
    d = reference.shape[1]
    unit = np.zeros((4, d))
    unit[[0, 1], [0, 1]] = PROBE
    unit[[2, 3], [0, 1]] = -PROBE
    probes = reference[:, None, :] + np.concatenate([np.zeros((1, d)), unit])[None]
    figures = peer.candidate_metrics(expect(probes), pressure.dashboard, pressure.config.metrics)
    x = np.stack([figures[m] for m in pressure.config.metrics])  # [M, N, 5]
    raw = comparison.gaps(x, clip=False)
    jacobian = (raw[..., 1:3] - raw[..., 3:5]) / (2 * PROBE)  # [M, N, 2]
    gap = comparison.gaps(x[..., :1])[..., 0]  # [M, N], clipped where shortfall only
    counts = comparison.valid[..., 0] & np.isfinite(gap) & np.all(np.isfinite(jacobian), axis=-1)
    if comparison.shortfall_only:
        counts &= gap < 0
    gap = np.where(counts, gap, 0.0)
    jacobian = np.where(counts[..., None], jacobian, 0.0)
    step = norm_step(gap.T, jacobian.transpose(1, 0, 2))
    return np.clip(reference[:, :2] + step, low[:2], high[:2])
