"""Risk-bearing payment: the share of the resource cost of care physicians bear.

Supply-side cost sharing (Ellis & McGuire 1986): a physician paid R(q) who bears a
share s of the cost C(q) of care values U = R(q) - s C(q) + a B(q), so the share enters
the marginal payoff: a B'(q) = s C'(q) - R'(q). Under a bundle the borne cost is each
index episode's (and its readmissions' when the bundle includes them); under capitation
the cost of all the list's care (index episodes and readmissions).

Equations (amounts in currency):

- realised: a physician's episodes cost ``c_i`` in a period (the scope above); their
  unit (themselves, their team or the organisation) bears ``s x sum_{j in unit} c_j``,
  and physician i pays the share ``1 / N_unit`` (equal split) or ``n_i / sum n_j``
  (by workload: index episodes in the period; equal when the unit treated nobody);
- expected per index episode: ``b = s x (c_index + [readmissions borne] x p_r x
  c_readmission)``, of which a physician feels the share phi of their unit
  (:func:`perceived_share`: 1 alone; ``1/N + m (1 - 1/N)`` in a unit of N with mutual
  monitoring m, as for a shared incentive);
- the marginal money of intensity per episode: ``fee - phi x s x dC/di``
  (:func:`marginal_money`); with no altruism and a quadratic adjustment cost k, the
  best intensity is ``r + w x marginal_money / k`` (``tests/test_risk_bearing.py``).

Pure numpy; the world books the realised amounts (``payment_cost_sharing``, negative),
the adaptive model weighs the expected ones (``behaviour.money``).
"""

from __future__ import annotations

import numpy as np


def borne_per_episode(
    cost_share: float,
    index_cost,
    readmission_probability,
    readmission_cost,
    readmissions_borne: bool,
):
    """Expected cost borne per index episode (currency): ``s x (c_index + p_r x c_readm)``,
    the readmission term only when readmissions are borne."""
    if readmissions_borne:
        return cost_share * (index_cost + readmission_probability * readmission_cost)
    return cost_share * np.asarray(index_cost, dtype=float)


def split_borne(
    borne: np.ndarray, episodes: np.ndarray, unit_of: np.ndarray, split: str
) -> np.ndarray:
    """Each physician's part [N] of their unit's borne cost (currency).

    ``borne`` [N]: the cost borne for each physician's own episodes (share applied);
    ``unit_of`` [N]: each physician's unit (0..U-1); ``split``: 'equal' or 'workload'
    (in proportion to ``episodes`` [N], equal within a unit that treated nobody). The
    parts of a unit sum to its borne cost (money is conserved).
    """
    units = int(unit_of.max()) + 1 if len(unit_of) else 0
    total = np.bincount(unit_of, weights=borne, minlength=units)
    members = np.bincount(unit_of, minlength=units).astype(float)
    equal = 1.0 / members[unit_of]
    if split == "equal":
        return total[unit_of] * equal
    work = np.bincount(unit_of, weights=episodes, minlength=units)[unit_of]
    share = np.divide(episodes, work, out=equal.copy(), where=work > 0)
    return total[unit_of] * share


def perceived_share(unit_size: np.ndarray, monitoring: np.ndarray | float) -> np.ndarray:
    """The share phi of their unit's borne cost physicians feel for their own episodes:
    ``1/N + m (1 - 1/N)`` (1 for a physician alone; ``m``: mutual monitoring, 0-1)."""
    own = 1.0 / np.asarray(unit_size, dtype=float)
    return own + np.asarray(monitoring, dtype=float) * (1.0 - own)


def marginal_money(fee, cost_share, perceived, marginal_cost):
    """Marginal money of intensity per episode (currency per unit of intensity):
    ``fee - phi x s x dC/di``."""
    return fee - perceived * cost_share * marginal_cost
