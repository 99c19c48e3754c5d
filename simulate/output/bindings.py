"""How often each incentive rule's cap or gate bound, over a run's replications (the
manifest's ``rule_bindings``, shown on the run dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulate.model.result import ReplicationResult
    from simulate.scenario.models import Scenario


def rule_bindings(
    scenario: Scenario, results: Sequence[ReplicationResult]
) -> dict[str, dict[str, Any]]:
    """Per rule (by label): its shape, whether it has a cap (or a largest share), the
    unit-evaluations with a figure summed over
    replications (``evaluated``), how many were paid or charged (``paid``), held at the
    cap or the largest share (``at_cap``) or failed a quality gate (``gate_failed``),
    and each as a share of ``evaluated`` (``share_<count>``; None when nothing was
    evaluated)."""
    out: dict[str, dict[str, Any]] = {}
    for r, (rule, label) in enumerate(zip(scenario.incentives, scenario.rule_labels, strict=True)):
        counts: dict[str, int] = {}
        for result in results:
            for key, count in (result.rule_bindings[r] if result.rule_bindings else {}).items():
                counts[key] = counts.get(key, 0) + count
        evaluated = counts.get("evaluated", 0)
        capped = rule.cap is not None or hasattr(rule, "max_share_of_base")
        entry: dict[str, Any] = {"shape": rule.effective_shape, "capped": capped, **counts}
        for key in ("paid", "at_cap", "gate_failed"):
            if key in counts:
                entry[f"share_{key}"] = counts[key] / evaluated if evaluated else None
        out[label] = entry
    return out
