"""Pure outcome and cost functions of practice style and patient risk.

Every function works on floats or numpy arrays alike. Style: ``intensity`` is resources
per episode relative to the guideline (1 = guideline); ``effort`` is quality effort,
the share 0-1 of protocol adherence. Defaults and their sources: ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from simulate.scenario.models import Clinical


def complication_probability(base, relative_risk, intensity, effort, clinical: Clinical):
    """Probability of a complication in an episode.

    ``base * relative_risk * exp(-b_e (effort - e_ref)) * exp(b_u max(0, 1 - intensity))``,
    capped at ``clinical.max_probability``. Quality effort lowers risk (checklists);
    intensity below the guideline raises it (under-provision); above it does not help.
    """
    effort_factor = np.exp(
        -clinical.effort_complication_effect * (effort - clinical.reference_quality_effort)
    )
    shortfall = np.maximum(0.0, 1.0 - np.asarray(intensity, dtype=float))
    under_factor = np.exp(clinical.underprovision_effect * shortfall)
    p = base * relative_risk * effort_factor * under_factor
    return np.minimum(p, clinical.max_probability)


def readmission_probability(base, relative_risk, effort, coordination, clinical: Clinical):
    """Probability of readmission within the window after an index episode.

    ``base * relative_risk * exp(-b_r (effort - e_ref)) * (1 - c_r * coordination)``,
    capped at ``clinical.max_probability``. Team coordination (transitional care) and
    quality effort lower it.
    """
    effort_factor = np.exp(
        -clinical.effort_readmission_effect * (effort - clinical.reference_quality_effort)
    )
    coordination_factor = 1.0 - clinical.coordination_readmission_effect * coordination
    p = base * relative_risk * effort_factor * coordination_factor
    return np.minimum(p, clinical.max_probability)


def benefit_factor(intensity, clinical: Clinical):
    """Health gain relative to a guideline episode: concave, 1 at intensity 1.

    ``(1 - exp(-k i)) / (1 - exp(-k))``: more care helps less and less (flat of the curve).
    """
    k = clinical.benefit_curvature
    return (1.0 - np.exp(-k * np.asarray(intensity, dtype=float))) / (1.0 - np.exp(-k))


def health_gain(gain, intensity, complication, readmitted, clinical: Clinical):
    """QALYs gained by a patient: the condition's gain scaled by benefit and losses."""
    loss = 1.0 - clinical.complication_qaly_loss * np.asarray(complication, dtype=float)
    loss = loss * (1.0 - clinical.readmission_qaly_loss * np.asarray(readmitted, dtype=float))
    return gain * benefit_factor(intensity, clinical) * loss


def episode_cost(base_cost, cost_weight, intensity, complication, clinical: Clinical):
    """Resource cost of an index episode (currency): intensity-scaled, plus complications."""
    complication = np.asarray(complication, dtype=float)
    return base_cost * cost_weight * (intensity + clinical.complication_cost_share * complication)


def readmission_cost(base_cost, cost_weight, intensity, clinical: Clinical):
    """Resource cost of a readmission episode (currency)."""
    return base_cost * cost_weight * clinical.readmission_cost_share * intensity


def treatment_time_factor(intensity, effort, clinical: Clinical):
    """Treatment time relative to a guideline episode at reference effort (1 at guideline).

    ``intensity ** elasticity * (1 + t_e (effort - e_ref))``, floored at 0.05.
    """
    intensity = np.asarray(intensity, dtype=float)
    effort_term = 1.0 + clinical.time_effort_share * (effort - clinical.reference_quality_effort)
    return np.maximum(0.05, intensity**clinical.time_intensity_elasticity * effort_term)


def recovery_days(base_days, complication, uniform, clinical: Clinical):
    """Recovery days after discharge: base, lengthened by a complication, spread +-50%."""
    complication = np.asarray(complication, dtype=float)
    mean = base_days * (1.0 + clinical.complication_recovery_share * complication)
    return mean * (0.5 + np.asarray(uniform, dtype=float))
