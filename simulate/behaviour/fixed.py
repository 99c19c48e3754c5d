"""The 'fixed' behaviour model: physicians keep the practice style they were drawn with.

This is the standard assumption of a static practice-style model (each physician's
style is a persistent trait; cf. the stable physician practice styles in Molitor 2018
before a move): no response to payment, feedback or peers. Used as the reference
against which adaptive models are compared.
"""

from __future__ import annotations

import numpy as np


class FixedStyle:
    """Style never changes: ``update`` returns the style it was given."""

    name = "fixed"

    def initial_style(self) -> None:
        """No change to the drawn style."""
        return None

    def update(self, period: int, intensity: np.ndarray, effort: np.ndarray, context=None):
        """(intensity, effort) for the next period: unchanged copies."""
        return intensity.copy(), effort.copy()
