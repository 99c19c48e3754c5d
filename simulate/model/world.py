"""The SimPy world: patients arrive, queue for their team, are treated, recover and may
return as readmissions; at every period close the payer pays and physicians may adapt.

Time is in days. Each team has treatment slots (``model/slots.py``: physicians'
caseload plus the extra caseload nurses carry under team-based care), granted first come,
first served; a granted slot goes to the physician whose slot has been free longest.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np
import simpy

from simulate.accounts.ledger import F, PeriodLedger, T
from simulate.accounts.wait_histogram import bin_of
from simulate.behaviour import BehaviourContext, make_behaviour
from simulate.behaviour.mechanisms import STYLE_DIMENSIONS, ReferralShift, Selection
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.payer import Payer
from simulate.model.arrivals import Draws, patient_draws
from simulate.model.margins import Margins
from simulate.model.outcome_tables import OutcomeTables
from simulate.model.population import draw_population
from simulate.model.result import PatientTally, ReplicationResult
from simulate.model.slots import Slots
from simulate.model.streams import Streams
from simulate.scenario.models import Scenario

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
_RESOURCE = F["resource_use"]


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
        self._selecting = Selection.enabled(scenario)
        n_periods, n_teams = scenario.horizon_periods, len(scenario.teams)
        self.ledger = PeriodLedger(n_periods, self.population.size, n_teams)
        self.tally = PatientTally()
        self.episode_log: list[tuple] | None = [] if episode_log else None
        self._style_history = {
            name: np.zeros((n_periods, self.population.size)) for name in STYLE_DIMENSIONS
        }
        """Each style dimension in force in each period [period, physician]."""

        self._set_up_queues(n_teams)
        self._set_up_routing()
        self._set_up_organisation()
        self.payer = Payer(scenario, self.population.team, self.streams.get)
        self._targeted = (
            np.zeros((scenario.horizon_periods, self.population.size), dtype=bool)
            if self.payer.targets.any
            else None
        )
        """Who was in a target set in each period [period, physician] (None: no targeting)."""
        self.line_items: list = []
        self.tables = OutcomeTables(scenario, self.payment, self.population)
        for index in range(len(scenario.conditions)):
            self.env.process(self._arrivals(index))
        self._closer = self.env.process(self._period_closer())

    # ----------------------------------------------------------------- set-up helpers
    def _set_up_queues(self, n_teams: int) -> None:
        """Each team's slots, free physicians' slots and queue bookkeeping."""
        teams = self.scenario.teams
        self.slots = [Slots(self.env, t.capacity) for t in teams]
        self._free = [deque(self._slots(t_index)) for t_index in range(n_teams)]
        self._queue_len = [0] * n_teams
        self._max_queue = [t.max_queue for t in teams]
        self._queue_since = [0.0] * n_teams
        self._joined: list[deque[float]] = [deque() for _ in range(n_teams)]
        """Per team, when each patient who had to queue and has not yet been resumed
        joined the queue (granted first come, first served: the last ones are those
        still queued at the end)."""

    def _set_up_routing(self) -> None:
        """Severity classes and the teams each condition's patients go to (public
        reporting shifts the shares: ``ReferralShift``)."""
        scenario = self.scenario
        shares = np.cumsum([c.share for c in scenario.severity.classes])
        self._severity_cut = shares / shares[-1]
        self._high_risk = [c.high_risk for c in scenario.severity.classes]
        self._team_choice = [self._team_weights(c) for c in scenario.conditions]
        self.referral = ReferralShift(scenario, self.population.team, self._team_choice)
        """Public reporting: rankings and routing shares (updated in place)."""
        self._public = ReferralShift.enabled(scenario)
        self._shift = self.referral.shift
        self._rank = self.referral.rank
        """Each physician's published rank by value within their team (0: best)."""
        self._route_cut = self.referral.route_cut
        """Cumulative routing shares in force per condition (public reporting shifts them)."""

    def _set_up_organisation(self) -> None:
        """Who bears the cost of care and the organisation's investments (``margins``)."""
        self.margins = Margins(self.scenario, self.payment, self.population.team)
        self._bearing = self.margins.bearing
        self._borne_readmissions = self.margins.borne_readmissions
        self._borne = self.margins.borne  # updated in place
        self.organisation = self.margins.organisation

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

    # ------------------------------------------------------------------- processes
    def _arrivals(self, index: int):
        """Poisson arrivals of new patients with one condition."""
        env = self.env
        condition = self.scenario.conditions[index]
        draws_of = patient_draws(
            condition,
            self.streams,
            self._severity_cut,
            self._team_choice[index],
            selecting=self._selecting,
            public=self._public,
        )
        for draws in draws_of:
            yield env.timeout(draws.gap)
            env.process(self._patient(index, draws))

    def _queue_change(self, team: int, delta: int, now: float) -> None:
        """Add the queue's area since its last change, then change its length by ``delta``."""
        self.ledger.current_team[team][_AREA] += self._queue_len[team] * (
            now - self._queue_since[team]
        )
        self._queue_since[team] = now
        self._queue_len[team] += delta

    def _treatment(self, team: int, declinable: float = 1.0, chooser: float = 1.0):
        """Queue for the team and get a physician; returns (physician, joined, start).

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
        handed = self.slots[team].request()
        if handed is None:  # treated on arrival
            start, wait_bin = joined, 0
        else:
            waiting = self._joined[team]
            waiting.append(joined)  # read back at the end for those still queued
            self._queue_change(team, +1, joined)
            yield handed
            start = env.now
            waiting.popleft()
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
        if self._selecting and declinable < self.tables.selection[physician]:
            self._free[team].appendleft(physician)  # free again for the next patient
            self.slots[team].release()
            tally.in_treatment -= 1
            tally.declined += 1
            ledger.current[physician][_DECLINED] += 1
            return None
        row = ledger.current[physician]
        row[_STARTS] += 1
        row[_WAIT] += start - joined
        ledger.current_hist[physician][wait_bin] += 1
        return physician, joined, start

    def _turn_away(self, team: int) -> None:
        """Count an episode the team's full queue turns away."""
        self.tally.turned_away += 1
        self.ledger.current_team[team][_TURNED] += 1

    def _patient(self, c: int, draws: Draws):
        """One patient's pathway: index episode, recovery, possible readmission episode."""
        s, team, u_choice = draws.severity, draws.team, draws.choice
        env, tally, t = self.env, self.tally, self.tables
        if self._public:
            teams, cut = self._team_choice[c][0], self._route_cut[c]
            team = int(teams[min(bisect.bisect_right(cut, team), len(teams) - 1)])
        tally.arrived += 1
        patient = tally.arrived
        self.ledger.current_team[team][_ARRIVALS] += 1
        if self._queue_len[team] >= self._max_queue[team]:  # the queue is full
            self._turn_away(team)
            return

        granted = yield from self._treatment(
            team, draws.select if self._high_risk[s] else 1.0, u_choice
        )
        if granted is None:
            return
        i, joined, start = granted
        intensity, effort = t.intensity[i], t.effort[i]
        comp = draws.complication < t.p_comp[i][c][s]
        readm = draws.readmission < t.p_readm[i][c][s]
        cost = t.cost[comp][i][c][s]
        qaly = t.qaly[i][c][comp][readm]
        recovery = t.recovery_mean[c][comp] * (0.5 + draws.recovery)
        fee, price = t.pay[False][i][c]  # all at the style in force when treatment starts
        yield env.timeout(draws.work * t.treatment_days[c] * t.time_factor[i])
        self.slots[team].release()
        self._free[team].append(i)
        tally.in_treatment -= 1
        row = self.ledger.current[i]
        row[_EPISODES] += 1
        row[_COST] += cost
        if self._bearing:
            self._borne[i] += cost
        row[_QALY] += qaly
        row[_RECOV] += recovery
        row[_INTENS] += intensity
        row[_EFFORT] += effort
        row[_RESOURCE] += t.cost[False][i][c][s]  # intensity at guideline prices
        row[_P_FFS] += fee
        row[_P_BUNDLE] += price
        row[_EXP_COMPL] += t.expected_comp[c][s]
        row[_EXP_READM] += t.expected_readm[c][s]
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
        yield from self._readmission(c, s, team, i, patient, draws)

    def _readmission(self, c: int, s: int, team: int, i: int, patient: int, draws: Draws):
        """A readmission after the index episode of physician ``i``: a wait in the window,
        then another episode with the team (its cost is the index physician's)."""
        env, tally, t = self.env, self.tally, self.tables
        tally.awaiting_readmission += 1
        yield env.timeout(draws.delay * t.window[c])
        tally.awaiting_readmission -= 1
        if self._queue_len[team] >= self._max_queue[team]:  # the queue is full
            self._turn_away(team)
            return
        j, joined, start = yield from self._treatment(team, 1.0, draws.choice)
        r_cost = t.readm_cost[j][c][s]  # resources used by the treating physician
        fee, price = t.pay[True][j][c]
        yield env.timeout(
            draws.work_readmission * t.treatment_days[c] * t.readmit_time_share * t.time_factor[j]
        )
        self.slots[team].release()
        self._free[team].append(j)
        tally.in_treatment -= 1
        self.ledger.current[i][_COST] += r_cost  # the episode of care's owner bears its cost
        if self._borne_readmissions:
            self._borne[i] += r_cost
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
        if self._bearing or self.organisation is not None:
            self.margins.book(self.ledger.current)
        pop = self.population
        for name, history in self._style_history.items():
            history[period] = pop.style[name]
        self.ledger.close(period)
        for item in self.payer.close_period(period, self.ledger):
            self.ledger.physician[period, item.physician, _INCENTIVES] += item.amount
            self.line_items.append(item)
        if self._targeted is not None:
            self._targeted[period] = self.payer.targets.targeted(period)
        if self._public:
            self.referral.at_close(period, self.ledger)
        invested = self.organisation is not None and self.organisation.at_close(
            period, self.ledger, self.payer
        )
        if invested:
            self.behaviour.set_coordination(self.organisation.coordination)
            self.tables.coordination = self.organisation.coordination.copy()
        before = dict(pop.style)
        pop.set_style(
            self.behaviour.update(period, before, BehaviourContext(period, self.ledger, self.payer))
        )
        if invested or any(not np.array_equal(before[k], v) for k, v in pop.style.items()):
            self.tables.refresh(pop)  # only when some style (or coordination) changed

    # ------------------------------------------------------------------------- run
    def run(self) -> ReplicationResult:
        """Run to the horizon and return the replication's record."""
        self.env.run(until=self._closer)
        end = self.env.now
        self.tally.queued_wait_days = sum(
            end - joined
            for slots, joins in zip(self.slots, self._joined, strict=True)
            for joined in list(joins)[len(joins) - len(slots.waiting) :]
        )
        return ReplicationResult(
            replication=self.replication,
            physician=self.ledger.physician,
            wait_hist=self.ledger.wait_hist,
            team=self.ledger.team,
            physician_team=self.population.team,
            traits=self.population.traits,
            style=self._style_history,
            tally=self.tally,
            line_items=self.line_items,
            unpaid_line_items=self.payer.unpaid,
            episode_log=self.episode_log,
            targeted=self._targeted,
            rule_bindings=self.payer.bindings,
        )


def run_replication(
    scenario: Scenario, replication: int, *, episode_log: bool = False
) -> ReplicationResult:
    """Simulate replication ``replication`` of ``scenario`` (seeded by the scenario's seed)."""
    return World(scenario, replication, episode_log=episode_log).run()
