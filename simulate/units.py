"""Units shared across the package."""

DAYS_PER_YEAR = 365.25
"""Days in a year (Julian), for annual amounts paid per period."""

PERIOD_UNITS: tuple[tuple[str, float], ...] = (
    ("day", 1.0),
    ("week", 7.0),
    ("month", 365.25 / 12),
    ("quarter", 365.25 / 4),
    ("year", 365.25),
)
"""Calendar names of period lengths (days); a period within 5% of one takes its name."""


def period_unit(period_days: float) -> str:
    """The period's calendar name ("month" for 30.4375 days), else "period"."""
    for name, days in PERIOD_UNITS:
        if abs(period_days - days) <= 0.05 * days:
            return name
    return "period"


def period_span(period_days: float, first: int, last: int) -> str:
    """Periods ``first``..``last`` (0-based indices, as in the tables) as people count them,
    from 1: ``months 13-36``, ``month 5``."""
    unit = period_unit(period_days)
    if first == last:
        return f"{unit} {first + 1}"
    return f"{unit}s {first + 1}-{last + 1}"
