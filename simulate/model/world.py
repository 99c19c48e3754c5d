"""The SimPy world: patients arrive, queue for their team, are treated, recover and may
return as readmissions; at every period close the payer pays and physicians may adapt.

Time is in days. Each team is a ``simpy.Resource`` whose capacity is its treatment
slots (physicians' caseload plus the extra caseload nurses carry under team-based
care); a granted slot goes to the physician whose slot has been free longest.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from collections.abc import Iterator

import numpy as np
import simpy

from simulate.accounts.ledger import F, PeriodLedger, T
from simulate.accounts.wait_histogram import bin_of
from simulate.behaviour import BehaviourContext, make_behaviour, peer
from simulate.behaviour.expectations import effort_split
from simulate.clinical import outcomes
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.payer import Payer
from simulate.model.population import draw_population
from simulate.model.result import PatientTally, ReplicationResult
from simulate.model.streams import Streams
from simulate.scenario.models import Scenario

BLOCK = 1024
"""Patients whose random numbers are drawn together (speed only; results do not depend on it)."""

_EPISODES, _READM_EP, _READM, _COMPL = (
    F["episodes"],
    F["readmission_episodes"],
    F["readmissions"],
    F["complications"],
)
_HIGH, _COST, _RECOV, _QALY = F["high_risk_episodes"], F["cost"], F["recovery_days"], F["qalys"]
_INTENS, _EFFORT, _STARTS, _WAIT = (
    F["intensity"],
    F["quality_effort"],
    F["treatment_starts"],
    F["wait_days"],
)
_EXP_COMPL, _EXP_READM = F["expected_complications"], F["expected_readmissions"]
_P_FFS, _P_BUNDLE = F["fee_for_service"], F["bundled"]
_P_CAP, _P_SAL, _INCENTIVES = F["capitation"], F["salary"], F["incentives"]
_ARRIVALS, _ENTRIES, _AREA = T["arrivals"], T["queue_entries"], T["queue_area"]
_TURNED, _DECLINED = T["turned_away"], F["declined"]


class World:
    """One replication of a scenario as a SimPy model. ``run()`` returns its record."""

    def __init__(self, scenario: Scenario, replication: int, *, episode_log: bool = False):
        self.scenario = scenario
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = Streams(scenario.seed, replication)
        self.population = draw_population(scenario, self.streams)
        self.payment = BasePayment.from_scenario(scenario)
        self.behaviour = make_behaviour(
            scenario, self.population, self.streams.get("behaviour.noise")
        )
        start = self.behaviour.initial_style()
        if start is not None:
            self.population.set_style(start)
        self._selecting = scenario.behaviour.selection.enabled
        pressure = scenario.peer_pressure
        self._public = pressure.transparency == "public" and pressure.referral_shift > 0
        self._shift = pressure.referral_shift if self._public else 0.0
        self._rank = [0] * self.population.size
        """Each physician's published rank by value within their team (0: best)."""
        n_periods, n_teams = scenario.horizon_periods, len(scenario.teams)
        self.ledger = PeriodLedger(n_periods, self.population.size, n_teams)
        self.tally = PatientTally()
        self.episode_log: list[tuple] | None = [] if episode_log else None
        self._intensity_history = np.zeros((n_periods, self.population.size))
        self._effort_history = np.zeros((n_periods, self.population.size))
        self._focus_history = np.zeros((n_periods, self.population.size))
        self._selection_history = np.zeros((n_periods, self.population.size))

        self.resources = [simpy.Resource(self.env, capacity=t.capacity) for t in scenario.teams]
        self._free = [deque(self._slots(t_index)) for t_index in range(n_teams)]
        self._queue_len = [0] * n_teams
        self._max_queue = [t.max_queue for t in scenario.teams]
        self._queue_since = [0.0] * n_teams

        shares = np.cumsum([c.share for c in scenario.severity.classes])
        self._severity_cut = shares / shares[-1]
        self._high_risk = [c.high_risk for c in scenario.severity.classes]
        self._team_choice = [self._team_weights(c) for c in scenario.conditions]
        self._route_cut = [cut.tolist() for _, cut in self._team_choice]
        """Cumulative routing shares in force per condition (public reporting shifts them)."""
        self._treatment_days = [c.treatment_days for c in scenario.conditions]
        self._window = [c.readmission_window_days for c in scenario.conditions]
        self._recovery_mean = [
            [
                float(outcomes.recovery_days(c.recovery_days, comp, 0.5, scenario.clinical))
                for comp in (0, 1)
            ]
            for c in scenario.conditions
        ]
        self._readmit_time_share = scenario.clinical.readmission_treatment_share
        self.payer = Payer(scenario, self.population.team)
        self.line_items: list = []
        self._expected_tables()
        self._refresh_tables()
        for index in range(len(scenario.conditions)):
            self.env.process(self._arrivals(index))
        self._closer = self.env.process(self._period_closer())

    # ----------------------------------------------------------------- set-up helpers
    def _slots(self, team_index: int) -> list[int]:
        """Physician id of each treatment slot of a team, interleaved so load is shared."""
        team = self.scenario.teams[team_index]
        members = np.flatnonzero(self.population.team == team_index).tolist()
        slots = members * team.caseload_per_physician
        extra = team.capacity - len(slots)
        slots += [members[j % len(members)] for j in range(extra)]
        return slots

    def _team_weights(self, condition) -> tuple[np.ndarray, np.ndarray]:
        """Teams treating a condition and cumulative routing shares (by capacity)."""
        names = condition.teams or tuple(t.name for t in self.scenario.teams)
        index = [i for i, t in enumerate(self.scenario.teams) if t.name in names]
        capacity = np.array([self.scenario.teams[i].capacity for i in index], dtype=float)
        cut = np.cumsum(capacity) / capacity.sum()
        return np.array(index), cut

    def _expected_tables(self) -> None:
        """Complication and readmission risk given severity alone, per condition x severity.

        The risk at guideline intensity, reference effort and no coordination: the
        'expected' of observed/expected risk adjustment (indirect standardisation).
        """
        s, clinical = self.scenario, self.scenario.clinical
        rr = np.array([k.relative_risk for k in s.severity.classes])[None, :]
        comp = np.array([c.complication_rate for c in s.conditions])[:, None]
        readm = np.array([c.readmission_rate for c in s.conditions])[:, None]
        reference = clinical.reference_quality_effort
        self._expected_comp = outcomes.complication_probability(
            comp, rr, 1.0, reference, clinical
        ).tolist()
        self._expected_readm = outcomes.readmission_probability(
            readm, rr, reference, 0.0, clinical
        ).tolist()

    def _refresh_tables(self) -> None:
        """Outcome probabilities, costs and gains per physician x condition x severity.

        Recomputed whenever styles change, from the pure functions in ``outcomes``.
        """
        s, pop, clinical = self.scenario, self.population, self.scenario.clinical
        intensity = pop.intensity[:, None, None]
        effort_comp, effort_readm = effort_split(pop.quality_effort, pop.focus)
        conds, classes = s.conditions, s.severity.classes
        rr = np.array([k.relative_risk for k in classes])[None, None, :]
        weight = np.array([k.cost_weight for k in classes])[None, None, :]
        base_cost = np.array([c.base_cost for c in conds])[None, :, None]
        coordination = np.array([t.team_based_care.coordination for t in s.teams])[pop.team]
        p_comp = outcomes.complication_probability(
            np.array([c.complication_rate for c in conds])[None, :, None],
            rr,
            intensity,
            effort_comp[:, None, None],
            clinical,
        )
        p_readm = outcomes.readmission_probability(
            np.array([c.readmission_rate for c in conds])[None, :, None],
            rr,
            effort_readm[:, None, None],
            coordination[:, None, None],
            clinical,
        )
        self._p_comp = np.broadcast_to(p_comp, (pop.size, len(conds), len(classes))).tolist()
        self._p_readm = np.broadcast_to(p_readm, (pop.size, len(conds), len(classes))).tolist()
        self._cost = [
            outcomes.episode_cost(base_cost, weight, intensity, comp, clinical).tolist()
            for comp in (0, 1)
        ]
        self._readm_cost = outcomes.readmission_cost(
            base_cost, weight, intensity, clinical
        ).tolist()
        gain = np.array([c.health_gain_qalys for c in conds])[None, :, None, None]
        flags = np.array([0.0, 1.0])
        qaly = outcomes.health_gain(
            gain,
            pop.intensity[:, None, None, None],
            flags[None, None, :, None],
            flags[None, None, None, :],
            clinical,
        )
        self._qaly = qaly.tolist()
        self._time_factor = outcomes.treatment_time_factor(
            pop.intensity, pop.quality_effort, clinical
        ).tolist()
        self._intensity = pop.intensity.tolist()
        self._effort = pop.quality_effort.tolist()
        self._selection = pop.selection.tolist()
        # (fee-for-service, bundled) paid per episode, [readmission][physician][condition]
        pay = self.payment
        self._pay = [
            [[pay.episode_payment(k, x, readm) for k in range(len(conds))] for x in self._intensity]
            for readm in (False, True)
        ]

    # ------------------------------------------------------------------- processes
    def _patient_draws(self, index: int) -> Iterator[tuple]:
        """Each new patient's random numbers, from the condition's own named streams.

        Patient k of a condition always gets the same numbers, whatever the policy. The
        severity and team uniforms are turned into a severity class and a team here, a
        block at a time: the first class (team) whose cumulative share exceeds the uniform.
        """
        condition = self.scenario.conditions[index]
        prefix = f"patients.{condition.name}."
        gen = {
            name: self.streams.get(prefix + name)
            for name in ("arrival", "severity", "team", "treatment", "outcome", "readmission_delay")
        }
        cv = condition.treatment_cv
        mean_gap = 1.0 / condition.arrival_rate
        last_class = len(self._severity_cut) - 1
        teams, team_cut = self._team_choice[index]
        select = self.streams.get(prefix + "selection") if self._selecting else None
        choose = self.streams.get(prefix + "choice") if self._public else None
        while True:
            gaps = gen["arrival"].exponential(mean_gap, BLOCK).tolist()
            u_severity = gen["severity"].random(BLOCK)
            severity = np.minimum(
                np.searchsorted(self._severity_cut, u_severity, side="right"), last_class
            ).tolist()
            u_team = gen["team"].random(BLOCK)
            if self._public:  # routed on arrival, by the shares in force then
                team = u_team.tolist()
            else:
                team = teams[
                    np.minimum(np.searchsorted(team_cut, u_team, side="right"), len(teams) - 1)
                ].tolist()
            if cv > 0:
                shape = 1.0 / cv**2
                work = gen["treatment"].gamma(shape, 1.0 / shape, (2, BLOCK)).tolist()
            else:
                work = [[1.0] * BLOCK, [1.0] * BLOCK]
            u_outcome = gen["outcome"].random((3, BLOCK)).tolist()
            u_delay = gen["readmission_delay"].random(BLOCK).tolist()
            # a uniform per patient for risk selection, from its own stream when enabled
            u_select = select.random(BLOCK).tolist() if select else itertools.repeat(1.0, BLOCK)
            u_choice = choose.random(BLOCK).tolist() if choose else itertools.repeat(1.0, BLOCK)
            yield from zip(
                gaps,
                severity,
                team,
                work[0],
                work[1],
                *u_outcome,
                u_delay,
                u_select,
                u_choice,
                strict=True,
            )

    def _arrivals(self, index: int):
        """Poisson arrivals of new patients with one condition."""
        env = self.env
        for draws in self._patient_draws(index):
            yield env.timeout(draws[0])
            env.process(self._patient(index, draws))

    def _queue_change(self, team: int, delta: int, now: float) -> None:
        """Add the queue's area since its last change, then change its length by ``delta``."""
        self.ledger.current_team[team][_AREA] += self._queue_len[team] * (
            now - self._queue_since[team]
        )
        self._queue_since[team] = now
        self._queue_len[team] += delta

    def _treatment(self, team: int, declinable: float = 1.0, chooser: float = 1.0):
        """Queue for the team and get a physician; returns (request, physician, joined, start).

        A patient granted a slot on arrival while nobody else is queued waits zero days
        (histogram bin 0) and keeps the queue length at 0 over no time, so the queue-area
        bookkeeping, which would add exactly 0, is skipped for them.

        Risk selection: a high-risk patient's ``declinable`` uniform (1.0 for others) below
        the granted physician's declined share means the physician declines the patient,
        who is referred elsewhere: the slot is freed at once and None is returned.
        Public reporting: a patient whose ``chooser`` uniform is below the referral shift
        takes the best-ranked physician with a free slot, not the longest free.
        """
        env, ledger, tally = self.env, self.ledger, self.tally
        joined = env.now
        ledger.current_team[team][_ENTRIES] += 1
        tally.queued += 1
        request = self.resources[team].request()
        request.joined = joined  # read back at the end for those still queued
        if self._queue_len[team] == 0 and request.triggered:  # treated on arrival
            yield request
            start, wait_bin = joined, 0
        else:
            self._queue_change(team, +1, joined)
            yield request
            start = env.now
            self._queue_change(team, -1, start)
            wait_bin = bin_of(start - joined)
        tally.queued -= 1
        tally.in_treatment += 1
        free = self._free[team]
        if chooser < self._shift and len(free) > 1:
            physician = min(free, key=self._rank.__getitem__)  # first of the best ranked
            free.remove(physician)
        else:
            physician = free.popleft()
        if self._selecting and declinable < self._selection[physician]:
            self._free[team].appendleft(physician)  # free again for the next patient
            self.resources[team].release(request)
            tally.in_treatment -= 1
            tally.declined += 1
            ledger.current[physician][_DECLINED] += 1
            return None
        row = ledger.current[physician]
        row[_STARTS] += 1
        row[_WAIT] += start - joined
        ledger.current_hist[physician][wait_bin] += 1
        return request, physician, joined, start

    def _turned_away(self, team: int) -> bool:
        """Whether the team's queue is full; if so, count the episode as turned away."""
        if self._queue_len[team] < self._max_queue[team]:
            return False
        self.tally.turned_away += 1
        self.ledger.current_team[team][_TURNED] += 1
        return True

    def _release(self, team: int, request, physician: int) -> None:
        self.resources[team].release(request)
        self._free[team].append(physician)
        self.tally.in_treatment -= 1

    def _patient(self, c: int, draws: tuple):
        """One patient's pathway: index episode, recovery, possible readmission episode."""
        _, s, team, work, work_readm, u_comp, u_readm, u_recov, u_delay, u_select, u_choice = draws
        env, tally = self.env, self.tally
        if self._public:
            teams, cut = self._team_choice[c][0], self._route_cut[c]
            team = int(teams[min(bisect.bisect_right(cut, team), len(teams) - 1)])
        tally.arrived += 1
        patient = tally.arrived
        self.ledger.current_team[team][_ARRIVALS] += 1
        if self._turned_away(team):
            return

        granted = yield from self._treatment(
            team, u_select if self._high_risk[s] else 1.0, u_choice
        )
        if granted is None:
            return
        request, i, joined, start = granted
        intensity, effort = self._intensity[i], self._effort[i]
        comp = u_comp < self._p_comp[i][c][s]
        readm = u_readm < self._p_readm[i][c][s]
        cost = self._cost[comp][i][c][s]
        qaly = self._qaly[i][c][comp][readm]
        recovery = self._recovery_mean[c][comp] * (0.5 + u_recov)
        fee, price = self._pay[False][i][c]  # all at the style in force when treatment starts
        yield env.timeout(work * self._treatment_days[c] * self._time_factor[i])
        self._release(team, request, i)
        row = self.ledger.current[i]
        row[_EPISODES] += 1
        row[_COST] += cost
        row[_QALY] += qaly
        row[_RECOV] += recovery
        row[_INTENS] += intensity
        row[_EFFORT] += effort
        row[_P_FFS] += fee
        row[_P_BUNDLE] += price
        row[_EXP_COMPL] += self._expected_comp[c][s]
        row[_EXP_READM] += self._expected_readm[c][s]
        if comp:
            row[_COMPL] += 1
        if readm:
            row[_READM] += 1
        if self._high_risk[s]:
            row[_HIGH] += 1
        if self.episode_log is not None:
            self.episode_log.append(
                (patient, c, s, team, i, "index", joined, start, env.now, start - joined,
                 comp, readm, cost, qaly, recovery, fee, price)
            )  # fmt: skip
        if not readm:
            tally.finished += 1
            return

        tally.awaiting_readmission += 1
        yield env.timeout(u_delay * self._window[c])
        tally.awaiting_readmission -= 1
        if self._turned_away(team):
            return
        request, j, joined, start = yield from self._treatment(team, 1.0, u_choice)
        r_cost = self._readm_cost[j][c][s]  # resources used by the treating physician
        fee, price = self._pay[True][j][c]
        yield env.timeout(
            work_readm * self._treatment_days[c] * self._readmit_time_share * self._time_factor[j]
        )
        self._release(team, request, j)
        self.ledger.current[i][_COST] += r_cost  # the episode of care's owner bears its cost
        treating = self.ledger.current[j]
        treating[_READM_EP] += 1
        treating[_P_FFS] += fee
        treating[_P_BUNDLE] += price
        tally.finished += 1
        if self.episode_log is not None:
            self.episode_log.append(
                (patient, c, s, team, j, "readmission", joined, start, env.now, start - joined,
                 False, False, r_cost, 0.0, 0.0, fee, price)
            )  # fmt: skip

    def _period_closer(self):
        """At each period end: settle per-period payments, record styles, let physicians adapt."""
        env, s = self.env, self.scenario
        for period in range(s.horizon_periods):
            yield env.timeout((period + 1) * s.period_days - env.now)
            self._close_period(period)

    def _close_period(self, period: int) -> None:
        for team in range(len(self.scenario.teams)):
            self._queue_change(team, 0, self.env.now)
        for row in self.ledger.current:
            row[_P_CAP] += self.payment.capitation_per_period
            row[_P_SAL] += self.payment.salary_per_period
        pop = self.population
        self._intensity_history[period] = pop.intensity
        self._effort_history[period] = pop.quality_effort
        self._focus_history[period] = pop.focus
        self._selection_history[period] = pop.selection
        self.ledger.close(period)
        for item in self.payer.close_period(period, self.ledger):
            self.ledger.physician[period, item.physician, _INCENTIVES] += item.amount
            self.line_items.append(item)
        if self._public:
            self._publish_ranking(period)
        before = pop.style()
        pop.set_style(
            self.behaviour.update(period, before, BehaviourContext(period, self.ledger, self.payer))
        )
        if any(not np.array_equal(before[k], v) for k, v in pop.style().items()):
            self._refresh_tables()  # only when some physician's style changed

    def _publish_ranking(self, period: int) -> None:
        """Public reporting: patients see value rankings and some choose by them.

        At each publication (the peer-pressure schedule), physicians are ranked by value
        within their team over the rolling window, and each condition's routing shares
        across teams become capacity x (1 + referral_shift x score), score running from
        +1 for the best-valued team to -1 for the worst. Outside the schedule's end,
        rankings lapse and routing returns to capacity shares.
        """
        config = self.scenario.peer_pressure
        if config.lapsed(period):
            self._rank = [0] * self.population.size
            self._route_cut = [cut.tolist() for _, cut in self._team_choice]
            return
        if not config.publishes_at(period):
            return
        window = self.ledger.physician[max(0, period - config.window + 1) : period + 1]
        sums = window.sum(axis=0)
        value = np.nan_to_num(peer.published_metrics(sums)["value"], nan=-np.inf)
        team = self.population.team
        rank = np.zeros(len(team), dtype=int)
        for t in range(len(self.scenario.teams)):
            members = np.flatnonzero(team == t)
            order = members[np.argsort(-value[members], kind="stable")]
            rank[order] = np.arange(len(order))
        self._rank = rank.tolist()
        n_teams = len(self.scenario.teams)
        team_sums = np.stack([sums[team == t].sum(axis=0) for t in range(n_teams)])
        team_value = np.nan_to_num(peer.published_metrics(team_sums)["value"], nan=-np.inf)
        shift = config.referral_shift
        for c, (teams, cut) in enumerate(self._team_choice):
            if len(teams) < 2:
                continue
            capacity = np.diff(np.concatenate([[0.0], cut]))
            order = np.argsort(-team_value[teams], kind="stable")
            score = np.empty(len(teams))
            score[order] = 1.0 - 2.0 * np.arange(len(teams)) / (len(teams) - 1)
            weights = capacity * (1.0 + shift * score)
            self._route_cut[c] = (np.cumsum(weights) / weights.sum()).tolist()

    # ------------------------------------------------------------------------- run
    def run(self) -> ReplicationResult:
        """Run to the horizon and return the replication's record."""
        self.env.run(until=self._closer)
        end = self.env.now
        self.tally.queued_wait_days = sum(
            end - request.joined for resource in self.resources for request in resource.queue
        )
        return ReplicationResult(
            replication=self.replication,
            physician=self.ledger.physician,
            wait_hist=self.ledger.wait_hist,
            team=self.ledger.team,
            physician_team=self.population.team,
            traits=self.population.traits,
            intensity=self._intensity_history,
            quality_effort=self._effort_history,
            focus=self._focus_history,
            selection=self._selection_history,
            tally=self.tally,
            line_items=self.line_items,
            unpaid_line_items=self.payer.unpaid,
            episode_log=self.episode_log,
        )


def run_replication(
    scenario: Scenario, replication: int, *, episode_log: bool = False
) -> ReplicationResult:
    """Simulate replication ``replication`` of ``scenario`` (seeded by the scenario's seed)."""
    return World(scenario, replication, episode_log=episode_log).run()
