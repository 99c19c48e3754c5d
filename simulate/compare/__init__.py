"""simulate.compare: scenario variants under common random numbers, paired differences,
and cost-effectiveness (ICER, net monetary benefit, acceptability curve).

    import simulate.compare
    c = simulate.compare.compare("compare_schemes", replications=5, workers=2)
    c.comparison, c.cost_effectiveness, c.ceac                # pandas DataFrames
"""

from simulate.compare.core import Comparison, build_comparison, compare, run_comparison
from simulate.compare.variants import Settings, Variant, VariantSet, load_variants, with_options

__all__ = [
    "Comparison",
    "Settings",
    "Variant",
    "VariantSet",
    "build_comparison",
    "compare",
    "load_variants",
    "run_comparison",
    "with_options",
]
