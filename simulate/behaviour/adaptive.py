"""The 'adaptive' behaviour model: physicians move their practice style toward the style
that maximises their perceived utility under the payment rules in force.

Per index episode, physician i values a candidate style s = (intensity, quality effort):

    U_i(s) = w_i * money(s) + a_i * V * qalys(s) - mu_i . (s - r_i) - c_i * A * |s - r_i|^2 / 2
             - p_i * reputation(s)

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
gap to the best response, plus noise. reputation: the loss of lagging the peer norm on
the published dashboard (``peer``), weighted by peer sensitivity p_i.

Where enabled, the style has two more dimensions: a focus shifting effort between
complication and readmission prevention (multitasking, at its own lower adjustment
cost) and the share of high-risk patients declined (risk selection, at a private cost
x share^2 / 2, with money counted per patient who would come); crowding-out scales a_i
by a motivation stock eroded by the share of income from incentives. See docs/model.md
(sections 3.8-3.9) for sources and defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.behaviour import peer
from simulate.behaviour.expectations import CaseMix, expected_per_episode
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.metrics import compute_metrics, unit_sums
from simulate.incentives.payer import RISK_RATIOS
from simulate.incentives.rules import Evaluation, Rule, Tournament
from simulate.model.ledger import BASE_PAYMENT_SLICE, F
from simulate.scenario.models import Scenario

INTENSITY_BOUNDS = (0.5, 2.0)
EFFORT_BOUNDS = (0.0, 1.0)
GRID_POINTS = {"intensity": 7, "quality_effort": 6, "focus": 5, "selection": 5}
"""Points per style dimension of the coarse grid searched before the local refinements."""
REFINEMENTS = 4
NOISE_QUANTILES = (-1.2816, -0.5244, 0.0, 0.5244, 1.2816)
"""Standard-normal deciles (10th, 30th, 50th, 70th, 90th percentiles): physicians expect
their measured figures to scatter around what their style implies (sampling noise)."""
CONTINUOUS_CV = 0.3
"""Assumed coefficient of variation per episode of cost, QALYs and value (sampling noise)."""
RATE_METRICS = frozenset(
    {"complication_rate", "readmission_rate", "complication_ratio", "readmission_ratio"}
)
NOISY_METRICS = RATE_METRICS | {"cost_per_episode", "value", "recovery_days"}


def _relative_sd(name: str, value: np.ndarray, episodes: np.ndarray) -> np.ndarray:
    """Relative sampling standard deviation of a metric measured on ``episodes`` episodes."""
    n = np.maximum(episodes, 1.0)
    if name in RATE_METRICS:
        p = np.clip(value, 1e-6, 1 - 1e-6) if "rate" in name else np.full(value.shape, 0.1)
        return np.sqrt((1 - p) / (p * n))
    return np.full(value.shape, CONTINUOUS_CV) / np.sqrt(n)


def _variant_lookup(own: dict, noise: np.ndarray, episodes: np.ndarray):
    """``Evaluation.metric`` over variants of one unit, with sampling noise applied."""

    def metric(name: str, risk_adjusted: bool) -> np.ndarray:
        if name in RISK_RATIOS.values() and not risk_adjusted:
            rate = name.replace("_ratio", "_rate")
            value = own[rate] / own[rate + "@org"]
        elif risk_adjusted and name in RISK_RATIOS:
            value = own[RISK_RATIOS[name]] * own[name + "@org"]
        else:
            value = own[name]
        if name in NOISY_METRICS:
            value = value * np.maximum(0.0, 1.0 + noise * _relative_sd(name, value, episodes))
        return value

    return metric


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
        self.dims = ["intensity", "quality_effort"]
        """Style dimensions chosen: intensity and effort, plus focus (multitasking) and
        the declined share of high-risk patients (selection) where enabled."""
        bounds = [INTENSITY_BOUNDS, EFFORT_BOUNDS]
        if config.multitasking.enabled:
            self.dims.append("focus")
            bounds.append((-config.multitasking.max_focus, config.multitasking.max_focus))
        if config.selection.enabled:
            self.dims.append("selection")
            bounds.append((0.0, config.selection.max_share))
        self.low, self.high = np.array(bounds).T
        self.grid = [
            np.linspace(lo, hi, GRID_POINTS[d])
            for d, lo, hi in zip(self.dims, self.low, self.high, strict=True)
        ]
        self.column = {name: k for k, name in enumerate(self.dims)}
        relative = {
            "focus": config.multitasking.shift_cost / config.adjustment_cost,
            "selection": 0.0,  # has its own cost
        }
        self.adjustment_weight = np.array([relative.get(name, 1.0) for name in self.dims])
        """Adjustment cost of each dimension relative to intensity and effort."""
        zeros = np.zeros((population.size, len(self.dims) - 2))
        self.norm = np.column_stack([population.intensity, population.quality_effort, zeros])
        """Each physician's drawn style: their best response when pay ignores practice."""
        self.habit = self.norm.copy()
        """Moving average of practice; the reference point leans toward it (persistence)."""
        coordination = np.array([t.team_based_care.coordination for t in scenario.teams])
        self.coordination = coordination[population.team]
        monitoring = np.array([t.team_based_care.peer_monitoring for t in scenario.teams])
        self.monitoring = monitoring[population.team]
        self.peer = scenario.peer_pressure
        self.motivation = np.ones(population.size)
        """Intrinsic motivation, a multiplier of altruism (crowding-out erodes it)."""
        self.leads = np.array(
            [np.flatnonzero(population.team == t)[0] for t in range(len(scenario.teams))]
        )
        """Each team's lead: its first physician."""
        self.dashboard: dict[str, np.ndarray] | None = None
        """The last published figures per physician (None before the first publication)."""
        self.history: dict[str, np.ndarray] | None = None
        """Mean of each physician's earlier published figures (the own-history norm)."""
        self._publications = 0
        self.default_weights = self._team_weights()
        self._refresh_reference()

    def _refresh_reference(self) -> None:
        """Reference style and its calibrating marginal cost, from norm and habit."""
        weight = self.config.habit_weight
        self.reference = self.norm + weight * (self.habit - self.norm)
        self.mu = np.array(
            [self._benefit_gradient(i, self.reference[i]) for i in range(len(self.team_of))]
        )

    def initial_style(self) -> dict[str, np.ndarray]:
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
        return self._as_dict(style)

    def _as_dict(self, style: np.ndarray) -> dict[str, np.ndarray]:
        return {name: style[:, k].copy() for k, name in enumerate(self.dims)}

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

    def _expect(
        self, i: int, styles: np.ndarray, weights: np.ndarray, *, select: bool = True
    ) -> dict[str, np.ndarray]:
        """Expected figures per treated episode; ``select=False`` ignores selection."""
        column = self.column
        return expected_per_episode(
            styles[..., 0],
            styles[..., 1],
            weights,
            self.coordination[i],
            self.mix,
            self.payment,
            self.scenario,
            focus=styles[..., column["focus"]] if "focus" in column else 0.0,
            selection=styles[..., column["selection"]]
            if select and "selection" in column
            else None,
        )

    def _benefit_gradient(self, i: int, style: np.ndarray) -> np.ndarray:
        """a_i V d qalys / d style at ``style`` (central differences).

        Zero for selection: declined patients are treated elsewhere, so their health
        gain does not depend on this physician (selection is held back by its own cost).
        """
        step = 1e-4
        d = len(self.dims)
        probes = style + step * np.concatenate([np.eye(d), -np.eye(d)])
        q = self._expect(i, probes, self.default_weights[i], select=False)["qalys_per_episode"]
        grad = (q[:d] - q[d:]) / (2 * step)
        if "selection" in self.column:
            grad[self.column["selection"]] = 0.0
        return self.traits["altruism"][i] * self.config.qaly_value * grad

    # ------------------------------------------------------------------- money
    def _rule_money(
        self, i: int, rule: Rule, styles: np.ndarray, expect, context, n_episodes: float
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
        if "selection" in self.column:  # fewer, lower-risk patients
            n = n * expect["kept_share"]
            row[:, F["episodes"]] = n
            row[:, F["high_risk_episodes"]] = n * expect["high_risk_share"]
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
        part = payer.level_slice(rule.level)
        unit = {"physician": i, "team": int(self.team_of[i])}.get(rule.level, 0)
        members = payer.members(rule.level, unit)
        n_units = part.stop - part.start
        base_phys = all_sums[:, : len(self.team_of), BASE_PAYMENT_SLICE].sum(axis=-1)
        units_base = np.stack([payer.aggregate(b, rule.level) for b in base_phys])  # [K, U]
        baseline = payer.lookup(
            payer.metrics_over(ledger, rule.baseline_periods()), rule.level, n_units
        )
        unit_episodes = all_sums[:, part.start + unit, F["episodes"]]
        z = np.asarray(NOISE_QUANTILES)
        draws = len(z)
        # the organisation's rates (risk adjustment's reference) are taken as given, at
        # their observed values: one physician does not move them (price-taking)
        observed_org = compute_metrics(
            *unit_sums(observed, hist, team, payer.membership),
            1.0,
            len(window) * self.scenario.period_days,
            self.scenario.metrics.wait_target_days,
        )
        own = {}
        for name, values in metrics.items():
            own[name] = np.repeat(values[:, part.start + unit], draws)
            own[name + "@org"] = np.full(k * draws, observed_org[name][-1])
        variants = _variant_lookup(own, np.tile(z, k), np.repeat(unit_episodes, draws))
        if isinstance(rule, Tournament):
            # peers keep their latest figures; this unit's candidates are ranked among them
            first = {name: values[0] for name, values in metrics.items()}
            peers = payer.lookup(first, rule.level, n_units)(rule.metric, rule.risk_adjusted)
            same = np.ones(n_units, dtype=bool)
            if rule.peer_group == "team" and rule.level == "physician":
                same = self.team_of == self.team_of[i]
            same[unit] = False
            candidates = variants(rule.metric, rule.risk_adjusted)
            amounts = rule.amounts_against(candidates, peers[same]).reshape(k, draws)
            withheld = np.zeros((k, draws))
        else:
            # Other rules pay each unit on its own figures, so the K x D variants of this
            # physician's unit are settled at once, as if they were K x D units.
            withheld = rule.withhold_share() * np.repeat(units_base[:, unit], draws)
            own_baseline = baseline  # per unit of the level, over the baseline periods

            def baseline_variants(name: str, adjusted: bool) -> np.ndarray:
                return np.repeat(own_baseline(name, adjusted)[unit], k * draws)

            evaluation = Evaluation(
                period=period,
                metric=variants,
                baseline=baseline_variants,
                base_payment=np.repeat(units_base[:, unit], draws),
                withheld=withheld,
                window_periods=len(window),
            )
            amounts = rule.settle(evaluation)[0].reshape(k, draws)
            withheld = withheld.reshape(k, draws)
        if rule.split_basis is not None or rule.split == "episodes":
            basis = base_phys if rule.split_basis else all_sums[:, : len(self.team_of), 0]
            total = basis[:, members].sum(axis=1)
            mine = np.where(
                total > 0, basis[:, i] / np.where(total > 0, total, 1), 1 / len(members)
            )
        else:
            mine = np.full(k, 1.0 / len(members))
        if rule.level != "physician":  # mutual monitoring restores part of the 1/N dilution
            mine = mine + self.monitoring[i] * (1.0 - mine)
        net = (amounts - withheld) * mine[:, None]
        weighted = np.where(net < 0, self.config.loss_aversion * net, net)
        return weighted.mean(axis=1) / max(n_episodes * len(window), 1.0)

    # ------------------------------------------------------------------ utility
    def utility(self, i: int, styles: np.ndarray, context: BehaviourContext) -> np.ndarray:
        """Perceived utility per episode of candidate styles [K, 2] for physician i."""
        weights = self.default_weights[i]
        expect = self._expect(i, styles, weights)
        # per patient who would come: declined patients bring no per-episode payment
        money = expect["base_payment_per_episode"] * expect["kept_share"]
        if context is not None:
            ledger, period = context.ledger, context.period
            recent = ledger.physician[max(0, period - 2) : period + 1, i]
            n_episodes = max(float(recent[:, F["episodes"]].mean()), 1.0)
            for rule in context.payer.rules:
                if rule.in_force(period + 1):
                    money += self._rule_money(i, rule, styles, expect, context, n_episodes)
        traits = self.traits
        gap = styles - self.reference[i]
        benefit = expect
        if "selection" in self.column:  # declined patients get the same care elsewhere
            benefit = self._expect(i, styles, weights, select=False)
        altruism = traits["altruism"][i] * self.motivation[i]
        utility = (
            traits["income_weight"][i] * money
            + altruism * self.config.qaly_value * benefit["qalys_per_episode"]
            - gap @ self.mu[i]
            - traits["effort_cost"][i]
            * self.config.adjustment_cost
            * np.sum(self.adjustment_weight * gap**2, axis=-1)
            / 2
            - traits["peer_sensitivity"][i] * self._peer_loss(i, expect)
        )
        if "selection" in self.column:
            declined = styles[:, self.column["selection"]]
            utility = utility - self.config.selection.cost * declined**2 / 2
        return utility

    def _peer_loss(self, i: int, expect: dict[str, np.ndarray]) -> np.ndarray:
        """Reputational loss per episode (currency) of the figures candidate styles imply."""
        visibility = peer.VISIBILITY[self.peer.transparency]
        if self.dashboard is None or visibility == 0:
            return np.zeros(len(expect["complication_rate"]))
        candidates = peer.candidate_metrics(expect)
        mates = np.flatnonzero(self.team_of == self.team_of[i])
        mates = mates[mates != i]
        loss = np.zeros(len(expect["complication_rate"]))
        for name in self.peer.metrics:
            better = peer.HIGHER_IS_BETTER[name]
            shown = self.dashboard[name]
            if self.peer.norm == "own_history":
                norm = self.history[name][i] if self.history is not None else np.nan
            else:
                norm = peer.peer_norm(shown, mates, self.peer.norm, better)
            lead = self.leads[self.team_of[i]]
            norm = peer.lead_norm(norm, shown[lead], self.peer.lead_influence, lead == i)
            loss = loss + peer.reputational_loss(
                candidates[name], norm, shown[mates], better, self.peer
            )
        return visibility * self.peer.reputation_value * loss

    def _publish(self, period: int, ledger) -> None:
        """Publish the dashboard at the close of ``period`` when it is due."""
        every, config = self.peer.publish_every, self.peer
        ended = config.end_period is not None and period > config.end_period
        if ended:
            self.dashboard = None  # no longer published: nothing to compare with
        if config.transparency == "none" or period < config.start_period or ended:
            return
        if (period - config.start_period + 1) % every:
            return
        window = ledger.physician[max(0, period - self.peer.window + 1) : period + 1].sum(axis=0)
        figures = peer.published_metrics(window)
        if self.dashboard is not None:
            count = self._publications
            if self.history is None:
                self.history = {name: v.copy() for name, v in self.dashboard.items()}
            else:
                for name, values in self.dashboard.items():
                    old = self.history[name]
                    self.history[name] = np.where(
                        np.isnan(old),
                        values,
                        np.where(np.isnan(values), old, old + (values - old) / count),
                    )
        self.dashboard = figures
        self._publications += 1

    def best_response(self, i: int, context: BehaviourContext | None) -> np.ndarray:
        """The utility-maximising style within the bounds.

        A coarse grid over the whole box, then ``REFINEMENTS`` finer 5 x 5 grids centred
        on the best point so far, each at half the previous spacing (final resolution
        about 0.016 in intensity and 0.013 in effort). Every grid is evaluated in one
        vectorised call; the search copes with the steps of threshold and tournament rules.
        """
        d = len(self.dims)
        grid = np.stack(np.meshgrid(*self.grid, indexing="ij"), axis=-1).reshape(-1, d)
        candidates = np.vstack([grid, self.reference[i][None, :]])
        values = self.utility(i, candidates, context)
        best, best_value = candidates[int(np.argmax(values))], float(values.max())
        step = np.array([g[1] - g[0] for g in self.grid]) / 2
        offsets = np.stack(np.meshgrid(*[[-2, -1, 0, 1, 2]] * d, indexing="ij"), -1)
        offsets = offsets.reshape(-1, d)
        for _ in range(REFINEMENTS):
            candidates = np.unique(np.clip(best + offsets * step, self.low, self.high), axis=0)
            values = self.utility(i, candidates, context)
            if values.max() > best_value:
                best, best_value = candidates[int(np.argmax(values))], float(values.max())
            step = step / 2
        return best

    def _erode_motivation(self, period: int, ledger) -> None:
        """Crowding-out: motivation falls with the share of income from incentives."""
        config = self.config.crowding_out
        if not config.enabled:
            return
        window = ledger.physician[max(0, period - config.window + 1) : period + 1]
        at_risk = np.abs(window[:, :, F["incentives"]]).sum(axis=0)
        base = window[:, :, BASE_PAYMENT_SLICE].sum(axis=(0, 2))
        income = base + at_risk
        share = np.divide(at_risk, income, out=np.zeros_like(income), where=income > 0)
        m = self.motivation
        self.motivation = np.clip(
            m - config.strength * share * m + config.recovery * (1.0 - m), 0.0, 1.0
        )

    def update(self, period: int, style: dict[str, np.ndarray], context) -> dict[str, np.ndarray]:
        """The style (arrays by dimension name) for the next period."""
        current = np.column_stack([style[name] for name in self.dims])
        self._publish(period, context.ledger)
        self._erode_motivation(period, context.ledger)
        target = np.array([self.best_response(i, context) for i in range(len(current))])
        rate = 1.0 - self.traits["inertia"]
        noise = self.rng.normal(0.0, self.config.noise_sd, (len(current), 2))
        new = current + rate[:, None] * (target - current)
        new[:, :2] += noise  # noise on intensity and effort, as without the extra dimensions
        new = np.clip(new, self.low, self.high)
        self.habit += self.config.habit_rate * (new - self.habit)
        self._refresh_reference()
        return self._as_dict(new)
