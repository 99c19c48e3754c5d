"""The 'adaptive' behaviour model: physicians move their practice style toward the style
that maximises their perceived utility under the payment rules in force.

Per index episode, physician i values a candidate style s = (intensity, quality effort):

    U_i(s) = w_i * money(s) + a_i * V * qalys(s) - mu_i . (s - r_i) - c_i * A * |s - r_i|^2 / 2
             - p_i * reputation(s)

money (``money.ExpectedMoney``): expected base payment per episode, less the share of
the cost of care the physician bears (risk-bearing payment), plus expected incentive
payments per episode (losses weighted by loss aversion), computed by applying the same
rule objects the payer settles with to the metrics the physician expects under s
(peers at their latest observed figures); qalys: expected health gain per episode
(``outcomes``); r_i: the reference style, the physician's drawn norm pulled toward
their habit (a moving average of practice) by ``habit_weight``, so part of a change
persists after a policy ends;
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
from itertools import product

import numpy as np

from simulate.accounts.ledger import PeriodLedger
from simulate.behaviour import peer
from simulate.behaviour.expectations import CaseMix, case_mix_means, expected_per_episode
from simulate.behaviour.internalisation import internalise, norm_implied_style
from simulate.behaviour.mechanisms import (
    BASE_DIMENSIONS,
    CrowdingOut,
    Dimension,
    PeerPressure,
    Selection,
    style_dimensions,
)
from simulate.behaviour.money import ExpectedMoney
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.payer import Payer
from simulate.scenario.models import Scenario

INTENSITY_BOUNDS = (0.5, 2.0)
EFFORT_BOUNDS = (0.0, 1.0)
BASE_GRID_POINTS = (7, 6)
"""Points of the coarse grid along intensity and effort (a mechanism's dimension
declares its own), searched before the refinement."""
RESOLUTION = 1e-4
STENCIL_REACH = 2
"""Steps each way per dimension of the refinement's stencil (up to two dimensions)."""
"""The refinement stops once its step is at most this in every dimension (style units)."""


@dataclass
class BehaviourContext:
    """What physicians can see at a period close (no SimPy)."""

    period: int
    ledger: PeriodLedger
    """The world's ledger, closed up to ``period``."""
    payer: Payer
    """The world's payer: its rules and their one settlement."""


class AdaptiveStyle:
    """Partial adjustment toward the utility-maximising style (see module docstring).

    Every method works on all physicians at once: styles are arrays [N, K, d] of K
    candidate styles per physician, utilities [N, K].
    """

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
        added = style_dimensions(scenario)
        self.dims = [*BASE_DIMENSIONS, *(d.name for d in added)]
        """Style dimensions chosen: intensity and effort, plus those the scenario's
        mechanisms add (focus: multitasking; the declined share: selection)."""
        self._set_up_search(added)
        self.column = {name: k for k, name in enumerate(self.dims)}
        monitoring = np.array([t.team_based_care.peer_monitoring for t in scenario.teams])
        self.money = ExpectedMoney(
            scenario, self.payment, population.team, monitoring[population.team], self.column
        )
        """Money per episode: base payment less the cost borne, plus incentives."""
        self.adjustment_weight = np.array([1.0, 1.0, *(d.relative_cost for d in added)])
        """Adjustment cost of each dimension relative to intensity and effort."""
        zeros = np.zeros((population.size, len(self.dims) - 2))
        self.norm = np.column_stack([population.intensity, population.quality_effort, zeros])
        """Each physician's drawn style: their best response when pay ignores practice."""
        self.habit = self.norm.copy()
        """Moving average of practice; the reference point leans toward it (persistence)."""
        self.internalised = np.zeros_like(self.norm)
        """The reference's internalised shift toward the peer norm (``internalisation``):
        it moves only while feedback lasts, and stays."""
        coordination = np.array([t.team_based_care.coordination for t in scenario.teams])
        self.coordination = coordination[population.team]
        self.peer_pressure = PeerPressure(scenario, population.team)
        """The dashboard physicians compare themselves on (and its lead influence)."""
        self.crowding_out = CrowdingOut(scenario, population.size)
        """The motivation stock altruism is scaled by."""
        traits, config = population.traits, scenario.behaviour
        self._term_weights = {
            "income": traits["income_weight"][:, None],
            "altruism": (traits["altruism"] * config.qaly_value)[:, None],
            "stiffness": (traits["effort_cost"] * config.adjustment_cost / 2)[:, None],
            "peer": traits["peer_sensitivity"][:, None],
        }
        """Each physician's weights of the utility's terms [N, 1] (altruism before
        crowding-out's motivation; stiffness: half the adjustment cost)."""
        self._grid_expect: dict[str, np.ndarray] | None = None
        self.weights = self._case_mix_weights()[:, None, :, :]
        """Case-mix shares each physician expects [N, 1, C, S]."""
        self._case_mix_means = case_mix_means(self.weights, self.mix)
        """The expected figures that do not depend on style (before any selection)."""
        self._refresh_reference()

    def _set_up_search(self, added: list[Dimension]) -> None:
        """The box of styles, the coarse grid over it and the refinement's stencil."""
        bounds = [INTENSITY_BOUNDS, EFFORT_BOUNDS, *((d.low, d.high) for d in added)]
        self.low, self.high = np.array(bounds).T
        points = [*BASE_GRID_POINTS, *(d.grid_points for d in added)]
        axes = [
            np.linspace(lo, hi, k) for k, lo, hi in zip(points, self.low, self.high, strict=True)
        ]
        self.grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        """The coarse grid over the whole box [G, d]."""
        self.spacing = np.array([a[1] - a[0] for a in axes])
        reach = STENCIL_REACH if len(axes) <= 2 else 1
        offsets = np.arange(-reach, reach + 1, dtype=float)
        stencil = np.array(list(product(offsets, repeat=len(axes))))
        self.stencil = stencil[np.any(stencil != 0, axis=1)]
        """The refinement's neighbours of the best point, in steps per dimension
        (``reach`` steps each way; one beyond two dimensions, to bound the candidates)."""
        self.shrink = 1.0 / (2 * reach + 1)
        """The step's factor per round: the stencil at step h reaches R h each way, and
        the rounds after it R h (1/5 + 1/25 + ...) = h / 2 more (R = 2), so together they
        cover the half step around the best point that the round at h leaves open."""
        self.first_step = self.spacing * self.shrink
        """The first round's step: the rounds cover half the grid spacing around the best."""

    def _habit_reference(self) -> np.ndarray:
        """The reference without internalisation: the drawn norm pulled toward the habit."""
        return self.norm + self.config.habit_weight * (self.habit - self.norm)

    def _refresh_reference(self) -> None:
        """Reference style and its calibrating marginal cost, from norm, habit and the
        internalised shift."""
        self.reference = self._habit_reference() + self.internalised
        self.mu = self._benefit_gradient(self.reference)

    def _internalise(self) -> None:
        """Move the internalised shift toward its share of the gap between the reference
        without it and the style the peer norm implies (``internalisation``), for the
        physicians the feedback reaches, while it is in force; then it stays."""
        pressure = self.peer_pressure
        config = pressure.config.internalisation
        if config.rate == 0 or pressure.comparison is None:
            return
        if peer.VISIBILITY[pressure.config.transparency] == 0:
            return
        own = self._habit_reference()
        implied = norm_implied_style(
            own + self.internalised, self._expect, pressure, self.low, self.high
        )
        target = config.share * (implied - own[:, :2])
        self.internalised[:, :2] = internalise(
            self.internalised[:, :2], target, config.rate, pressure.reached
        )

    def set_coordination(self, coordination: np.ndarray) -> None:
        """Coordination per team changed (organisational response): expectations follow."""
        self.coordination = coordination[self.team_of]
        self._grid_expect = None

    def initial_style(self) -> dict[str, np.ndarray]:
        """The style physicians start with: equilibrium under the base payment.

        Physicians are taken to have practised under the scenario's base payment for a
        long time: the fixed point of best response and habit, with no incentive rules.
        """
        style = self.norm.copy()
        for _ in range(self.config.initial_iterations):
            self.habit = style.copy()
            self._refresh_reference()
            style = self.best_responses(None)
        self.habit = style.copy()
        self._refresh_reference()
        return self._as_dict(style)

    def _as_dict(self, style: np.ndarray) -> dict[str, np.ndarray]:
        return {name: style[:, k].copy() for k, name in enumerate(self.dims)}

    # --------------------------------------------------------------- expectations
    def _case_mix_weights(self) -> np.ndarray:
        """Case-mix shares [N, C, S] expected for each physician: their team's arrival
        rates times the severity shares."""
        s = self.scenario
        shares = np.array([k.share for k in s.severity.classes])
        per_team = []
        for team in s.teams:
            rates = np.array(
                [
                    c.arrival_rate if c.teams is None or team.name in c.teams else 0.0
                    for c in s.conditions
                ]
            )
            w = rates[:, None] * shares[None, :]
            per_team.append(w / w.sum() if w.sum() > 0 else np.full(w.shape, 1 / w.size))
        return np.stack(per_team)[self.team_of]

    def _expect(self, styles: np.ndarray, *, select: bool = True) -> dict[str, np.ndarray]:
        """Expected figures per treated episode [N, K]; ``select=False`` ignores selection."""
        column = self.column
        return expected_per_episode(
            styles[..., 0],
            styles[..., 1],
            self.weights,
            self.coordination[:, None],
            self.mix,
            self.payment,
            self.scenario,
            focus=styles[..., column["focus"]] if "focus" in column else 0.0,
            selection=styles[..., column["selection"]]
            if select and "selection" in column
            else None,
            case_mix_means=self._case_mix_means,
        )

    def _coarse_expectations(self) -> dict[str, np.ndarray]:
        """Expected figures of the coarse grid and the reference [N, G + 1]: the grid's
        depend on style, case mix and coordination only, so they are computed once."""
        n, g = len(self.team_of), len(self.grid)
        if self._grid_expect is None:
            grid = np.broadcast_to(self.grid, (n, g, self.grid.shape[1]))
            self._grid_expect = self._expect(grid)
        reference = self._expect(self.reference[:, None, :])
        return {
            name: np.concatenate(
                [np.broadcast_to(values, (n, g)), np.broadcast_to(reference[name], (n, 1))],
                axis=1,
            )
            for name, values in self._grid_expect.items()
        }

    def _benefit_gradient(self, style: np.ndarray) -> np.ndarray:
        """a_i V d qalys / d style at ``style`` [N, d] (central differences).

        Zero for selection: declined patients are treated elsewhere, so their health
        gain does not depend on this physician (selection is held back by its own cost).
        """
        step = 1e-4
        d = len(self.dims)
        probes = style[:, None, :] + step * np.concatenate([np.eye(d), -np.eye(d)])[None]
        q = self._expect(probes, select=False)["qalys_per_episode"]
        grad = (q[:, :d] - q[:, d:]) / (2 * step)
        if "selection" in self.column:
            grad[:, self.column["selection"]] = 0.0
        return (self.traits["altruism"] * self.config.qaly_value)[:, None] * grad

    # ------------------------------------------------------------------ utility
    def utility(
        self,
        styles: np.ndarray,
        context: BehaviourContext | None,
        plans: list | None = None,
        expect: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Perceived utility per episode [N, K] of candidate styles [N, K, d]
        (``expect``: their expected figures, when already known)."""
        expect = self._expect(styles) if expect is None else expect
        money = self.money.base(expect)
        plans = self.money.plans(context) if plans is None else plans
        if plans:
            money = money + self.money.incentives(styles, expect, plans)
        gap = styles - self.reference[:, None, :]
        benefit = expect
        if "selection" in self.column:  # declined patients get the same care elsewhere
            benefit = self._expect(styles, select=False)
        weight = self._term_weights
        utility = (
            weight["income"] * money
            + (weight["altruism"] * self.crowding_out.motivation[:, None])
            * benefit["qalys_per_episode"]
            - np.add.reduce(gap * self.mu[:, None, :], axis=-1)
            - weight["stiffness"] * np.add.reduce(self.adjustment_weight * gap**2, axis=-1)
        )
        if self.peer_pressure.comparison is not None:
            utility = utility - weight["peer"] * self.peer_pressure.loss(expect)
        if "selection" in self.column:
            declined = styles[..., self.column["selection"]]
            utility = utility - Selection.cost(self.scenario, declined)
        return utility

    def best_responses(self, context: BehaviourContext | None) -> np.ndarray:
        """Every physician's utility-maximising style within the bounds [N, d].

        A coarse grid over the whole box (and the reference style) finds the region of
        the best point, steps of threshold and tournament rules included; a pattern
        search then refines it: the neighbours on a stencil of ``reach`` steps each way
        per dimension (``stencil``), moving to the best when it is better, the step
        shrinking each round by ``shrink`` (each stencil spans one step of the last,
        where the last round left the optimum) until it is at most ``RESOLUTION`` in
        every dimension: five rounds for intensity and effort. All physicians'
        candidates are evaluated in one vectorised call per round.
        """
        n = len(self.team_of)
        rows = np.arange(n)
        grid = np.broadcast_to(self.grid, (n, *self.grid.shape))
        candidates = np.concatenate([grid, self.reference[:, None, :]], axis=1)
        plans = self.money.plans(context)
        values = self.utility(candidates, context, plans, self._coarse_expectations())
        pick = np.argmax(values, axis=1)
        best, best_value = candidates[rows, pick], values[rows, pick]
        step = self.first_step
        while True:
            moves = np.minimum(
                np.maximum(best[:, None, :] + self.stencil * step, self.low), self.high
            )
            values = self.utility(moves, context, plans)
            pick = np.argmax(values, axis=1)
            better = values[rows, pick] > best_value
            best = np.where(better[:, None], moves[rows, pick], best)
            best_value = np.where(better, values[rows, pick], best_value)
            if np.all(step <= RESOLUTION):
                return best
            step = step * self.shrink

    def update(
        self, period: int, style: dict[str, np.ndarray], context: BehaviourContext
    ) -> dict[str, np.ndarray]:
        """The style (arrays by dimension name) for the next period."""
        current = np.column_stack([style[name] for name in self.dims])
        self.peer_pressure.at_close(period, context.ledger, context.payer.targets)
        self.crowding_out.at_close(period, context.ledger)
        target = self.best_responses(context)
        rate = 1.0 - self.traits["inertia"]
        noise = self.rng.normal(0.0, self.config.noise_sd, (len(current), 2))
        new = current + rate[:, None] * (target - current)
        new[:, :2] += noise  # noise on intensity and effort, as without the extra dimensions
        new = np.clip(new, self.low, self.high)
        self.habit += self.config.habit_rate * (new - self.habit)
        self._internalise()
        self._refresh_reference()
        return self._as_dict(new)
