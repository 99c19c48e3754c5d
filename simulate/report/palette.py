"""Colour-blind-safe colours (Okabe & Ito, 2008) and shared figure settings."""

from __future__ import annotations

from collections.abc import Iterable

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The eight Okabe-Ito colours, most distinct first (yellow late: weak on white)."""

GREY = "#999999"
BETTER = "#0072B2"
WORSE = "#D55E00"
POLICY = "#CC79A7"
DPI = 100
FIGSIZE = (7.0, 3.6)

COMPONENT_COLOURS = {
    "payment_fee_for_service": "#0072B2",
    "payment_capitation": "#56B4E9",
    "payment_salary": "#009E73",
    "payment_bundled": "#E69F00",
    "bonuses": "#CC79A7",
    "penalties": "#D55E00",
    "payment_cost_sharing": "#999999",
    "payment_investment": "#555555",
}


def colour(index: int) -> str:
    """The ``index``-th palette colour (cycling)."""
    return OKABE_ITO[index % len(OKABE_ITO)]


def colour_map(names: Iterable[str]) -> dict[str, str]:
    """One palette colour per distinct name, in order of first appearance."""
    return {name: colour(i) for i, name in enumerate(dict.fromkeys(names))}
