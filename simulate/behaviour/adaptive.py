"""The 'adaptive' behaviour model: physicians move their practice style toward the style
that maximises their perceived utility under the payment rules in force.

Per index episode, physician i values a candidate style s = (intensity, quality effort):

    U_i(s) = w_i * money(s) + a_i * V * qalys(s) - mu_i . (s - r_i) - c_i * A * |s - r_i|^2 / 2

money: expected base payment per episode plus expected incentive payments per episode
(losses weighted by loss aversion), computed by applying the same rule objects the
payer settles with to the metrics the physician expects under s (peers at their latest
observed figures); qalys: expected health gain per episode (``outcomes``); r_i: the
reference style, the physician's drawn norm pulled toward their habit (a moving average
of practice) by ``habit_weight``, so part of a change persists after a policy ends;
mu_i = a_i V grad qalys(r_i): at the reference style marginal patient benefit just
balances the marginal private cost of care, so without a financial incentive the
reference is the best response (revealed preference). A: adjustment cost (currency per
episode per unit of style squared). Physicians start in equilibrium under the base
payment (``initial_style``); each period the style closes a share 1 - inertia_i of the
gap to the best response, plus noise. See docs/model.md for sources and defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.behaviour.expectations import CaseMix, expected_per_episode
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.metrics import compute_metrics, unit_sums
from simulate.incentives.rules import Evaluation, Rule
from simulate.model.ledger import BASE_PAYMENT_SLICE, F
from simulate.scenario.models import Scenario

INTENSITY_BOUNDS = (0.5, 2.0)
EFFORT_BOUNDS = (0.0, 1.0)
GRID = (np.linspace(*INTENSITY_BOUNDS, 7), np.linspace(*EFFORT_BOUNDS, 6))
"""Coarse grid searched before the local refinements."""
REFINEMENTS = 4


@dataclass
class BehaviourContext:
    """What physicians can see at a period close (no SimPy)."""

    period: int
    ledger: object
    """The world's PeriodLedger, closed up to ``period``."""
    payer: object
    """The world's Payer (rules, metrics over windows)."""


class AdaptiveStyle:
    """Partial adjustment toward the utility-maximising style (see module docstring)."""

    name = "adaptive"

    def __init__(self, scenario: Scenario, population, rng: np.random.Generator) -> None:
        config = scenario.behaviour
        self.scenario = scenario
        self.config = config
        self.rng = rng
        self.mix = CaseMix.of(scenario)
        self.payment = BasePayment.from_scenario(scenario)
        self.team_of = population.team
        self.traits = population.traits
        self.norm = np.stack([population.intensity, population.quality_effort], axis=1)
        """Each physician's drawn style: their best response when pay ignores practice."""
        self.habit = self.norm.copy()
        """Moving average of practice; the reference point leans toward it (persistence)."""
        coordination = np.array([t.team_based_care.coordination for t in scenario.teams])
        self.coordination = coordination[population.team]
        self.default_weights = self._team_weights()
        self._refresh_reference()

    def _refresh_reference(self) -> None:
        """Reference style and its calibrating marginal cost, from norm and habit."""
        weight = self.config.habit_weight
        self.reference = self.norm + weight * (self.habit - self.norm)
        self.mu = np.array(
            [self._benefit_gradient(i, self.reference[i]) for i in range(len(self.team_of))]
        )

    def initial_style(self) -> tuple[np.ndarray, np.ndarray]:
        """The style physicians start with: equilibrium under the base payment.

        Physicians are taken to have practised under the scenario's base payment for a
        long time: the fixed point of best response and habit, with no incentive rules.
        """
        style = self.norm.copy()
        for _ in range(self.config.initial_iterations):
            self.habit = style.copy()
            self._refresh_reference()
            style = np.array([self.best_response(i, None) for i in range(len(style))])
        self.habit = style.copy()
        self._refresh_reference()
        return style[:, 0].copy(), style[:, 1].copy()

    # --------------------------------------------------------------- expectations
    def _team_weights(self) -> list[np.ndarray]:
        """Case-mix shares expected for each physician before they have any episodes."""
        s = self.scenario
        shares = np.array([k.share for k in s.severity.classes])
        weights = []
        for team_index in self.team_of:
            team = s.teams[team_index].name
            rates = np.array(
                [
                    c.arrival_rate if c.teams is None or team in c.teams else 0.0
                    for c in s.conditions
                ]
            )
            w = rates[:, None] * shares[None, :]
            weights.append(w / w.sum() if w.sum() > 0 else np.full(w.shape, 1 / w.size))
        return weights

    def _expect(self, i: int, styles: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
        return expected_per_episode(
            styles[..., 0],
            styles[..., 1],
            weights,
            self.coordination[i],
            self.mix,
            self.payment,
            self.scenario,
        )

    def _benefit_gradient(self, i: int, style: np.ndarray) -> np.ndarray:
        """a_i V d qalys / d style at ``style`` (central differences)."""
        step = 1e-4
        probes = style + step * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
        q = self._expect(i, probes, self.default_weights[i])["qalys_per_episode"]
        grad = np.array([q[0] - q[1], q[2] - q[3]]) / (2 * step)
        return self.traits["altruism"][i] * self.config.qaly_value * grad

    # ------------------------------------------------------------------- money
    def _rule_money(
        self, i: int, rule: Rule, r: int, styles: np.ndarray, expect, context, n_episodes: float
    ) -> np.ndarray:
        """Expected amount of ``rule`` per episode for each candidate style (loss-weighted)."""
        payer, ledger, period = context.payer, context.ledger, context.period
        window = range(max(0, period - rule.every + 1), period + 1)
        span = slice(window.start, window.stop)
        observed = ledger.physician[span].sum(axis=0)  # [N, F]
        k = len(styles)
        sums = np.broadcast_to(observed, (k, *observed.shape)).copy()
        n = max(n_episodes * len(window), 1.0)
        row = sums[:, i]
        row[:, F["episodes"]] = n
        row[:, F["complications"]] = n * expect["complication_rate"]
        row[:, F["readmissions"]] = n * expect["readmission_rate"]
        row[:, F["expected_complications"]] = n * expect["expected_complications"]
        row[:, F["expected_readmissions"]] = n * expect["expected_readmissions"]
        row[:, F["cost"]] = n * expect["cost_per_episode"]
        row[:, F["qalys"]] = n * expect["qalys_per_episode"]
        row[:, F["intensity"]] = n * styles[:, 0]
        row[:, F["quality_effort"]] = n * styles[:, 1]
        base_now = observed[i, BASE_PAYMENT_SLICE].sum()
        fixed_base = base_now - observed[i, F["fee_for_service"]] - observed[i, F["bundled"]]
        row[:, F["fee_for_service"]] = 0.0
        row[:, F["bundled"]] = fixed_base + n * expect["base_payment_per_episode"]
        hist = ledger.wait_hist[span].sum(axis=0)
        team = ledger.team[span].sum(axis=0)
        all_sums, all_hist, all_team = unit_sums(
            sums,
            np.broadcast_to(hist, (k, *hist.shape)),
            np.broadcast_to(team, (k, *team.shape)),
            payer.membership,
        )
        metrics = compute_metrics(
            all_sums,
            all_hist,
            all_team,
            1.0,
            len(window) * self.scenario.period_days,
            self.scenario.metrics.wait_target_days,
        )
        level_part = payer.level_slice(rule.level)
        unit = {"physician": i, "team": int(self.team_of[i])}.get(rule.level, 0)
        members = payer.members(rule.level, unit)
        base_phys = all_sums[:, : len(self.team_of), BASE_PAYMENT_SLICE].sum(axis=-1)
        baseline = payer.lookup(
            payer.metrics_over(ledger, rule.baseline_periods()),
            rule.level,
            level_part.stop - level_part.start,
        )
        share = rule.withhold_share()
        out = np.zeros(k)
        for c in range(k):
            candidate = {name: values[c] for name, values in metrics.items()}
            units_base = payer.aggregate(base_phys[c], rule.level)
            withheld = share * units_base
            evaluation = Evaluation(
                period=period,
                metric=payer.lookup(candidate, rule.level, len(units_base)),
                baseline=baseline,
                base_payment=units_base,
                withheld=withheld,
                window_periods=len(window),
                groups=self.team_of if rule.level == "physician" else None,
            )
            amounts, _ = rule.settle(evaluation)
            net = amounts[unit] - withheld[unit]
            if rule.split_basis is not None or rule.split == "episodes":
                basis = base_phys[c] if rule.split_basis else all_sums[c, : len(self.team_of), 0]
                total = basis[members].sum()
                mine = basis[i] / total if total > 0 else 1.0 / len(members)
            else:
                mine = 1.0 / len(members)
            amount = net * mine
            out[c] = amount * (self.config.loss_aversion if amount < 0 else 1.0)
        return out / n

    # ------------------------------------------------------------------ utility
    def utility(self, i: int, styles: np.ndarray, context: BehaviourContext) -> np.ndarray:
        """Perceived utility per episode of candidate styles [K, 2] for physician i."""
        weights = self.default_weights[i]
        expect = self._expect(i, styles, weights)
        money = expect["base_payment_per_episode"].copy()
        if context is not None:
            ledger, period = context.ledger, context.period
            recent = ledger.physician[max(0, period - 2) : period + 1, i]
            n_episodes = max(float(recent[:, F["episodes"]].mean()), 1.0)
            for r, rule in enumerate(context.payer.rules):
                if rule.in_force(period + 1):
                    money += self._rule_money(i, rule, r, styles, expect, context, n_episodes)
        traits = self.traits
        gap = styles - self.reference[i]
        return (
            traits["income_weight"][i] * money
            + traits["altruism"][i] * self.config.qaly_value * expect["qalys_per_episode"]
            - gap @ self.mu[i]
            - traits["effort_cost"][i] * self.config.adjustment_cost * np.sum(gap**2, axis=-1) / 2
        )

    def best_response(self, i: int, context: BehaviourContext | None) -> np.ndarray:
        """The utility-maximising style within the bounds.

        A coarse grid over the whole box, then ``REFINEMENTS`` finer 5 x 5 grids centred
        on the best point so far, each at half the previous spacing (final resolution
        about 0.016 in intensity and 0.013 in effort). Every grid is evaluated in one
        vectorised call; the search copes with the steps of threshold and tournament rules.
        """
        low = np.array([INTENSITY_BOUNDS[0], EFFORT_BOUNDS[0]])
        high = np.array([INTENSITY_BOUNDS[1], EFFORT_BOUNDS[1]])
        grid = np.stack(np.meshgrid(*GRID, indexing="ij"), axis=-1).reshape(-1, 2)
        candidates = np.vstack([grid, self.reference[i][None, :]])
        values = self.utility(i, candidates, context)
        best, best_value = candidates[int(np.argmax(values))], float(values.max())
        step = np.array([GRID[0][1] - GRID[0][0], GRID[1][1] - GRID[1][0]]) / 2
        offsets = np.stack(np.meshgrid([-2, -1, 0, 1, 2], [-2, -1, 0, 1, 2], indexing="ij"), -1)
        offsets = offsets.reshape(-1, 2)
        for _ in range(REFINEMENTS):
            candidates = np.unique(np.clip(best + offsets * step, low, high), axis=0)
            values = self.utility(i, candidates, context)
            if values.max() > best_value:
                best, best_value = candidates[int(np.argmax(values))], float(values.max())
            step = step / 2
        return best

    def update(self, period: int, intensity: np.ndarray, effort: np.ndarray, context=None):
        """(intensity, effort) for the next period."""
        style = np.stack([intensity, effort], axis=1)
        target = np.array([self.best_response(i, context) for i in range(len(style))])
        rate = 1.0 - self.traits["inertia"]
        noise = self.rng.normal(0.0, self.config.noise_sd, style.shape)
        new = style + rate[:, None] * (target - style) + noise
        new[:, 0] = np.clip(new[:, 0], *INTENSITY_BOUNDS)
        new[:, 1] = np.clip(new[:, 1], *EFFORT_BOUNDS)
        self.habit += self.config.habit_rate * (new - self.habit)
        self._refresh_reference()
        return new[:, 0], new[:, 1]
