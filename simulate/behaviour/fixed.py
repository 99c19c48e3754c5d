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

    def update(self, period: int, style: dict[str, np.ndarray], context=None):
        """The style for the next period: unchanged copies."""
        return {name: values.copy() for name, values in style.items()}

    def set_coordination(self, coordination: np.ndarray) -> None:
        """Coordination per team changed: fixed styles do not respond."""
