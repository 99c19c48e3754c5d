"""How physicians expect their figures to be measured: with sampling noise.

A what-if (``incentives.anticipation``) prices each candidate style over a few draws of
the figures a physician expects to see measured (``perceive``), so a threshold near
their expected figure is a gamble, not a certainty.
"""

from __future__ import annotations

import numpy as np

NOISE_QUANTILES = (-1.2816, -0.5244, 0.0, 0.5244, 1.2816)
"""Standard-normal deciles (10th, 30th, 50th, 70th, 90th percentiles): physicians expect
their measured figures to scatter around what their style implies (sampling noise)."""
_QUANTILES = np.asarray(NOISE_QUANTILES)
CONTINUOUS_CV = 0.3
"""Assumed coefficient of variation per episode of cost, QALYs and value (sampling noise)."""
RATE_METRICS = frozenset(
    {"complication_rate", "readmission_rate", "complication_ratio", "readmission_ratio"}
)
NOISY_METRICS = RATE_METRICS | {"cost_per_episode", "value", "recovery_days"}


def _relative_sd(name: str, value: np.ndarray, episodes: np.ndarray) -> np.ndarray:
    """Relative sampling standard deviation of a metric measured on ``episodes`` episodes."""
    n = np.maximum(episodes, 1.0)
    if name in RATE_METRICS:
        p = np.minimum(np.maximum(value, 1e-6), 1 - 1e-6) if "rate" in name else 0.1
        return np.broadcast_to(np.sqrt((1 - p) / (p * n)), np.shape(value))
    return np.broadcast_to(CONTINUOUS_CV / np.sqrt(n), np.shape(value))


def perceive(name: str, values: np.ndarray, episodes: np.ndarray) -> np.ndarray:
    """Figures [N, K] as a physician expects to see them measured: one draw per noise
    decile [N, K, D] for metrics measured with sampling noise, else D copies."""
    if name not in NOISY_METRICS:
        return values[..., None]  # one draw stands for all
    spread = _QUANTILES * _relative_sd(name, values, episodes)[..., None]
    return values[..., None] * np.maximum(0.0, 1.0 + spread)
