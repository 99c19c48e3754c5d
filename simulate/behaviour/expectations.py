"""What a physician expects per index episode under a candidate practice style.

Pure functions of style over the physician's expected case mix (shares of condition x
severity: their team's arrival rates times the severity shares), built from the same
outcome, cost and payment functions the world uses, so anticipated and realised figures
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.clinical import outcomes
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.risk_bearing import borne_per_episode
from simulate.scenario.models import Scenario


@dataclass(frozen=True)
class CaseMix:
    """Per condition x severity constants of the world (arrays of shape [C, S])."""

    base_comp: np.ndarray
    base_readm: np.ndarray
    relative_risk: np.ndarray
    cost_weight: np.ndarray
    base_cost: np.ndarray
    gain: np.ndarray
    fee: np.ndarray
    price: np.ndarray
    expected_comp: np.ndarray
    expected_readm: np.ndarray
    high_risk: np.ndarray
    """1 for severity classes with ``high_risk: true``, else 0 (shape [S])."""

    @classmethod
    def of(cls, scenario: Scenario) -> CaseMix:
        conds, classes = scenario.conditions, scenario.severity.classes
        shape = (len(conds), len(classes))
        per_condition = lambda values: np.broadcast_to(np.array(values)[:, None], shape)  # noqa: E731
        per_class = lambda values: np.broadcast_to(np.array(values)[None, :], shape)  # noqa: E731
        payment = BasePayment.from_scenario(scenario)
        clinical = scenario.clinical
        rr = per_class([k.relative_risk for k in classes])
        comp = per_condition([c.complication_rate for c in conds])
        readm = per_condition([c.readmission_rate for c in conds])
        ref = clinical.reference_quality_effort
        return cls(
            base_comp=comp,
            base_readm=readm,
            relative_risk=rr,
            cost_weight=per_class([k.cost_weight for k in classes]),
            base_cost=per_condition([c.base_cost for c in conds]),
            gain=per_condition([c.health_gain_qalys for c in conds]),
            fee=per_condition(payment.fee_per_intensity),
            price=per_condition(payment.bundle_price),
            expected_comp=outcomes.complication_probability(comp, rr, 1.0, ref, clinical),
            expected_readm=outcomes.readmission_probability(readm, rr, ref, 0.0, clinical),
            high_risk=np.array([float(k.high_risk) for k in classes]),
        )


def effort_split(effort, focus) -> tuple[np.ndarray, np.ndarray]:
    """Quality effort on (complication, readmission) prevention under a focus (share 0-1).

    Focus f moves effort toward readmissions: ``effort x (1 - f)`` on complications and
    ``effort x (1 + f)`` on readmissions, each clipped to 0-1 (multitasking).
    """
    if np.isscalar(focus) and focus == 0:  # no multitasking: the same effort on both
        effort = np.minimum(np.maximum(effort, 0.0), 1.0)
        return effort, effort
    effort, focus = np.asarray(effort, dtype=float), np.asarray(focus, dtype=float)
    return np.clip(effort * (1.0 - focus), 0.0, 1.0), np.clip(effort * (1.0 + focus), 0.0, 1.0)


def selected_weights(weights: np.ndarray, selection, high_risk: np.ndarray):
    """Case-mix shares after declining ``selection`` of high-risk patients, and the kept share.

    ``weights`` [C, S] sum to 1; ``selection`` has any shape [...]; returns weights
    [..., C, S] (summing to 1) and the share of patients kept [...].
    """
    keep = 1.0 - np.asarray(selection, dtype=float)[..., None, None] * high_risk
    kept = weights * keep
    share = kept.sum(axis=(-2, -1))
    return kept / np.maximum(share, 1e-12)[..., None, None], share


def expected_per_episode(
    intensity: np.ndarray,
    effort: np.ndarray,
    weights: np.ndarray,
    coordination: float | np.ndarray,
    mix: CaseMix,
    payment: BasePayment,
    scenario: Scenario,
    focus=0.0,
    selection=None,
    case_mix_means: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Expected figures per index episode for candidate styles (arrays of any shape).

    ``weights`` [..., C, S] are case-mix shares (summing to 1) and ``coordination`` a
    team's coordination (share 0-1), both broadcasting against the styles; ``focus``
    shifts effort between complications and readmissions (``effort_split``);
    ``selection`` (share of high-risk patients declined) reweights the case mix. Returns
    complication and readmission probabilities, their expected values given severity
    alone, resource cost (readmissions included), resource use (``_style_figures``),
    QALYs, base payment (and the cost borne under risk-bearing payment), the high-risk
    share treated and the share kept: arrays broadcasting against the styles (style-free
    figures keep the weights' shape). ``case_mix_means``: those style-free figures
    (:func:`case_mix_means`) when already known for these weights (no selection).
    """
    clinical = scenario.clinical
    i = np.asarray(intensity, dtype=float)[..., None, None]
    e_comp, e_readm = effort_split(effort, focus)
    e_comp, e_readm = e_comp[..., None, None], e_readm[..., None, None]
    kept = np.ones(np.shape(intensity))
    if selection is not None:
        weights, kept = selected_weights(weights, selection, mix.high_risk)
    p_c = outcomes.complication_probability(mix.base_comp, mix.relative_risk, i, e_comp, clinical)
    coordination = np.asarray(coordination, dtype=float)[..., None, None]
    p_r = outcomes.readmission_probability(
        mix.base_readm, mix.relative_risk, e_readm, coordination, clinical
    )
    index_cost = outcomes.episode_cost(mix.base_cost, mix.cost_weight, i, p_c, clinical)
    readm_cost = outcomes.readmission_cost(mix.base_cost, mix.cost_weight, i, clinical)
    qalys = outcomes.health_gain(mix.gain, i, p_c, p_r, clinical)
    readm_fee = payment.readmission_units * i * p_r if payment.fee_pays_readmissions else 0.0
    readm_price = p_r if payment.bundle_pays_readmissions else 0.0
    money = mix.fee * (i + readm_fee) + mix.price * (1.0 + readm_price)

    def mean(values) -> np.ndarray:
        return _mean_over_case_mix(values, weights)

    if case_mix_means is None or selection is not None:
        case_mix_means = {name: mean(values) for name, values in _style_free(mix).items()}
    return {
        "complication_rate": mean(p_c),
        "readmission_rate": mean(p_r),
        "cost_per_episode": mean(index_cost + p_r * readm_cost),
        **_style_figures(intensity, effort, mean(mix.base_cost * mix.cost_weight * i)),
        "qalys_per_episode": mean(qalys),
        "base_payment_per_episode": mean(money),
        **case_mix_means,
        "kept_share": kept,
        **_borne(payment, index_cost, p_r, readm_cost, mean),
    }


def _borne(payment: BasePayment, index_cost, p_r, readm_cost, mean) -> dict[str, np.ndarray]:
    """The cost borne per index episode over the case mix (``risk_bearing``); nothing when
    nobody bears the cost of care."""
    if not payment.cost_share:
        return {}
    share, included = payment.cost_share, payment.borne_readmissions
    return {
        "borne_per_episode": mean(borne_per_episode(share, index_cost, p_r, readm_cost, included))
    }


def _style_figures(intensity, effort, resource_use: np.ndarray) -> dict[str, np.ndarray]:
    """The style's own figures a dashboard or rule may show: resource use per episode at
    guideline prices (base cost x cost weight x intensity, no complication or
    readmission cost), intensity and quality effort."""
    return {
        "resource_use_per_episode": resource_use,
        "intensity": np.asarray(intensity, dtype=float),
        "quality_effort": np.asarray(effort, dtype=float),
    }


def _style_free(mix: CaseMix) -> dict[str, np.ndarray]:
    return {
        "expected_complications": mix.expected_comp,
        "expected_readmissions": mix.expected_readm,
        "high_risk_share": np.broadcast_to(mix.high_risk, mix.expected_comp.shape),
    }


def case_mix_means(weights: np.ndarray, mix: CaseMix) -> dict[str, np.ndarray]:
    """The expected figures that do not depend on style, under case-mix ``weights``
    [..., C, S]: complications and readmissions expected from severity alone (risk
    adjustment's 'expected') and the share of high-risk patients."""
    return {name: _mean_over_case_mix(values, weights) for name, values in _style_free(mix).items()}


def _mean_over_case_mix(values, weights: np.ndarray) -> np.ndarray:
    """Σ over condition x severity of values x weights (one matrix product)."""
    cells = weights.shape[-2] * weights.shape[-1]
    column = weights.reshape(*weights.shape[:-2], cells, 1)
    values = np.asarray(values)
    if values.ndim < 2:
        values = np.broadcast_to(values, weights.shape[-2:])
    return np.matmul(values.reshape(*values.shape[:-2], 1, cells), column)[..., 0, 0]
