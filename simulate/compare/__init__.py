"""simulate.compare: scenario variants under common random numbers, paired differences,
and cost-effectiveness (ICER, net monetary benefit, acceptability curve).

    import simulate.compare
    c = simulate.compare.compare("compare_schemes", replications=5, workers=2)
    c.comparison, c.cost_effectiveness, c.ceac                # pandas DataFrames
    c.effects                                                 # by phase (policy windows)
    simulate.compare.effects(c, [Window("during", 13, 30)], by="team", level="team")
"""

from simulate.compare.by_phase import effects
from simulate.compare.core import Comparison, build_comparison, compare, run_comparison
from simulate.compare.variants import Settings, Variant, VariantSet, load_variants, with_options
from simulate.compare.window import Window, parse_window, policy_windows, unit_window_values

__all__ = [
    "Comparison",
    "Settings",
    "Variant",
    "VariantSet",
    "Window",
    "build_comparison",
    "compare",
    "effects",
    "load_variants",
    "parse_window",
    "policy_windows",
    "run_comparison",
    "unit_window_values",
    "with_options",
]
