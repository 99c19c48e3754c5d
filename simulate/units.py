"""Units shared across the package."""

DAYS_PER_YEAR = 365.25
"""Days in a year (Julian), for annual amounts paid per period."""
