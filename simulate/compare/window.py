"""Windows of months, the policy phases, and each unit's metrics over a window.

The one home of windows: a :class:`Window` is a named span of months counted from 1
(month m is period m - 1, ``simulate.units``); the policy phases (before / during /
after) come from the scenario's policy dates (:func:`policy_windows`, which the
dashboard's headline also uses); :func:`unit_window_values` computes every metric over a
window per replication and unit (or subgroup), exactly as ``summary.csv`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulate.accounts.metrics import METRICS, compute_metrics
from simulate.errors import ScenarioError
from simulate.model.result import ReplicationResult
from simulate.output.tables import ORGANISATION, Units, result_unit_sums
from simulate.scenario.models import Scenario
from simulate.units import period_span

if TYPE_CHECKING:
    from simulate.compare.subgroups import Groups

LEVELS: tuple[str, ...] = (ORGANISATION, "team", "physician")
"""The levels effects are reported at."""
WINDOW_FORM = "NAME=FIRST-LAST, months counted from 1, inclusive (e.g. during=13-30)"
_WINDOW = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.-]{0,39})\s*=\s*(\d{1,6})\s*-\s*(\d{1,6})\s*")
ALL = "all"
"""The one window when no policy has dates: every month after warm-up."""


@dataclass(frozen=True)
class Window:
    """A named span of months, counted from 1 (month m = period m - 1), both inclusive."""

    name: str
    first_month: int
    last_month: int

    def __post_init__(self) -> None:
        if not 1 <= self.first_month <= self.last_month:
            raise ScenarioError(
                f"window {self.name}={self.first_month}-{self.last_month}: months count "
                f"from 1 and the last is not before the first; allowed: {WINDOW_FORM}"
            )

    @property
    def periods(self) -> range:
        """The window's periods (0-based, as in the tables)."""
        return range(self.first_month - 1, self.last_month)

    @property
    def months(self) -> int:
        """Number of months (periods) in the window."""
        return self.last_month - self.first_month + 1

    def text(self) -> str:
        """``during=13-30``, as it is written on the command line."""
        return f"{self.name}={self.first_month}-{self.last_month}"

    def label(self, period_days: float) -> str:
        """``during (months 13-30)``, in the period's calendar unit."""
        return f"{self.name} ({period_span(period_days, self.periods[0], self.periods[-1])})"


def parse_window(text: str) -> Window:
    """``"during=13-30"`` -> ``Window("during", 13, 30)``; ScenarioError naming the
    allowed form on anything else."""
    match = _WINDOW.fullmatch(str(text))
    if match is None:
        raise ScenarioError(f"--window '{text}' is not of the form {WINDOW_FORM}")
    name, first, last = match.group(1), int(match.group(2)), int(match.group(3))
    return Window(name, first, last)


def check_windows(windows: Sequence[Window], horizon: int) -> tuple[Window, ...]:
    """The windows, checked: at least one, names unique, every month within the horizon."""
    if not windows:
        raise ScenarioError(f"no window given; allowed: {WINDOW_FORM}")
    seen: set[str] = set()
    for window in windows:
        if window.name in seen:
            raise ScenarioError(f"window name '{window.name}' is given twice")
        seen.add(window.name)
        if window.last_month > horizon:
            raise ScenarioError(
                f"window {window.text()} ends after the horizon: months run from 1 to {horizon}"
            )
    return tuple(windows)


@dataclass(frozen=True)
class PolicySpan:
    """A policy in force from ``start`` to ``end`` (0-based, inclusive; None: to the end)."""

    label: str
    start: int
    end: int | None


def scenario_dict(scenario: Scenario | Mapping[str, Any]) -> Mapping[str, Any]:
    """The scenario as plain data (a resolved scenario dict passes through)."""
    if isinstance(scenario, Mapping):
        return scenario
    return scenario.model_dump(mode="json", by_alias=True)


def policy_spans(scenario: Scenario | Mapping[str, Any]) -> list[PolicySpan]:
    """Incentive rules and peer pressure (when anything is shown) with their periods."""
    data = scenario_dict(scenario)
    spans = []
    for k, rule in enumerate(data.get("incentives") or []):
        label = str(rule.get("name") or f"{rule.get('type', 'rule')}_{k + 1}")
        spans.append(PolicySpan(label, int(rule.get("start_period") or 0), rule.get("end_period")))
    peer = data.get("peer_pressure") or {}
    if peer and peer.get("transparency", "none") != "none":
        spans.append(_dashboard_span(peer))
    return spans


def _dashboard_span(peer: Mapping[str, Any]) -> PolicySpan:
    """The periods a dashboard shapes: from the one after its first publication (at the
    close of ``start_period + publish_every - 1``) to the one after ``end_period`` (the
    last published figures steer the style chosen at that close); see docs/scenarios.md."""
    first = int(peer.get("start_period") or 0) + int(peer.get("publish_every") or 1)
    end = peer.get("end_period")
    return PolicySpan("peer pressure", first, None if end is None else int(end) + 1)


def first_policy_start(spans: Iterable[PolicySpan]) -> int | None:
    """The earliest period a policy comes into force after period 0 (None: none does).

    Policies in force from period 0 are part of the world from the start, not a change."""
    starts = [s.start for s in spans if s.start > 0]
    return min(starts) if starts else None


def last_policy_end(spans: Iterable[PolicySpan]) -> int | None:
    """The last period any policy is in force, when every policy ends (None: one runs on,
    or there is none)."""
    spans = list(spans)
    if not spans or any(s.end is None for s in spans):
        return None
    return max(int(s.end) for s in spans if s.end is not None)


def phase_windows(spans: Sequence[PolicySpan], warmup: int, horizon: int) -> tuple[Window, ...]:
    """``before`` (from the end of warm-up to the first policy start after period 0),
    ``during`` (to the last policy end) and ``after`` (only when every policy ends before
    the horizon); empty phases are left out. No policy: one window ``all`` after warm-up.
    """
    if not spans:
        return (Window(ALL, warmup + 1, horizon),) if warmup < horizon else ()
    start, end = first_policy_start(spans), last_policy_end(spans)
    begin = warmup if start is None else max(start, warmup)
    stop = horizon if end is None else min(end + 1, horizon)
    candidates = [
        ("before", warmup, min(start, horizon) if start is not None else warmup),
        ("during", begin, stop),
        ("after", max(stop, warmup), horizon),
    ]
    return tuple(Window(name, a + 1, b) for name, a, b in candidates if a < b)


def policy_windows(scenario: Scenario | Mapping[str, Any]) -> tuple[Window, ...]:
    """The scenario's policy phases (:func:`phase_windows` of its rules and peer pressure)."""
    data = scenario_dict(scenario)
    warmup, horizon = int(data.get("warmup_periods") or 0), int(data["horizon_periods"])
    return phase_windows(policy_spans(data), warmup, horizon)


def comparison_windows(scenarios: Sequence[Scenario]) -> tuple[Window, ...]:
    """The phases of a comparison: from every variant's policies together (variants
    share horizon and warm-up), so that each window means the same for all of them."""
    spans = [span for s in scenarios for span in policy_spans(s)]
    first = scenarios[0]
    return phase_windows(spans, first.warmup_periods, first.horizon_periods)


def check_level(level: str) -> str:
    """``level`` when it is one of :data:`LEVELS`, else ScenarioError listing them."""
    if level not in LEVELS:
        raise ScenarioError(f"--level '{level}' is not one of: {', '.join(LEVELS)}")
    return level


def unit_window_values(
    scenario: Scenario,
    results: Sequence[ReplicationResult],
    window: Window,
    level: str = ORGANISATION,
    by: str | None = None,
    *,
    groups: Groups | None = None,
) -> pd.DataFrame:
    """Every metric over ``window``, one row per replication x unit of ``level``.

    Computed as ``summary.csv`` computes it: ledger sums over the window's periods, flows
    per period (``cost`` in currency units per period), rates pooled. Columns:
    ``replication``, ``unit``, then every metric (``METRICS``). With ``by`` (``team``,
    ``targeted``, ``baseline-quartile:METRIC``), the physicians of each unit are split
    into subgroups: one row per replication x unit x subgroup that has physicians, with a
    ``subgroup`` column after ``unit``; team-only metrics (arrivals, queue) are NaN for
    subgroups other than teams. ``groups`` gives the membership (e.g. the reference
    variant's, so that it is the same in every variant); by default it is defined from
    ``results`` themselves.
    """
    check_level(level)
    if window.last_month > scenario.horizon_periods:
        check_windows([window], scenario.horizon_periods)
    if by is not None and groups is None:
        from simulate.compare.subgroups import subgroups

        groups = subgroups(by, scenario, results, window)
    units = Units.of(scenario)
    frames = [
        _unit_rows(scenario, units, result, window, level)
        if groups is None
        else _group_rows(scenario, units, result, window, level, groups)
        for result in results
    ]
    columns = ["replication", "unit", *(["subgroup"] if groups is not None else []), *METRICS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _metrics(scenario: Scenario, window: Window, sums, hists, team_sums) -> dict[str, np.ndarray]:
    """Every metric from window sums [unit, field] (see ``compute_metrics``)."""
    return compute_metrics(
        sums,
        hists,
        team_sums,
        float(window.months),
        window.months * scenario.period_days,
        scenario.metrics.wait_target_days,
    )


def _unit_rows(scenario, units: Units, result, window: Window, level: str) -> pd.DataFrame:
    """One replication's rows, one per unit of ``level`` (as summary.csv's)."""
    sums, hists, team_sums = result_unit_sums(result, units.n_teams)
    chosen = [k for k, lv in enumerate(units.level) if lv == level]
    p = window.periods
    values = _metrics(
        scenario,
        window,
        sums[p.start : p.stop, chosen].sum(axis=0),
        hists[p.start : p.stop, chosen].sum(axis=0),
        team_sums[p.start : p.stop, chosen].sum(axis=0),
    )
    return pd.DataFrame(
        {
            "replication": result.replication,
            "unit": [units.name[k] for k in chosen],
            **{m: np.asarray(values[m], dtype=float) for m in METRICS},
        }
    )


def _group_rows(scenario, units: Units, result, window: Window, level: str, groups) -> pd.DataFrame:
    """One replication's rows, one per unit of ``level`` x subgroup with physicians."""
    member = groups.of(result.replication)
    team_of = np.asarray(result.physician_team)
    n = units.n_physicians
    columns: list[tuple[str, str, np.ndarray, int | None]] = []
    for k, label in enumerate(groups.labels):
        inside = member == k
        if level == ORGANISATION:
            columns.append((ORGANISATION, label, inside, None))
        elif level == "team":
            for t, team in enumerate(units.name[n : n + units.n_teams]):
                columns.append((team, label, inside & (team_of == t), t))
        else:
            columns += [
                (units.name[i], label, np.arange(n) == i, None) for i in np.flatnonzero(inside)
            ]
    columns = [c for c in columns if c[2].any()]
    mask = np.array([c[2] for c in columns], dtype=np.int64).T  # [physician, column]
    p = window.periods
    physician = np.einsum("pnf,nc->pcf", result.physician[p.start : p.stop], mask)
    hist = np.einsum("pnb,nc->pcb", result.wait_hist[p.start : p.stop].astype(np.int64), mask)
    team_sums = np.full((len(columns), result.team.shape[-1]), np.nan)
    if groups.by == "team":  # a team's subgroup is the whole team: its queue is its own
        team_window = result.team[p.start : p.stop].sum(axis=0)
        for c, (_, label, _, _) in enumerate(columns):
            team_sums[c] = team_window[groups.labels.index(label)]
    values = _metrics(scenario, window, physician.sum(axis=0), hist.sum(axis=0), team_sums)
    return pd.DataFrame(
        {
            "replication": result.replication,
            "unit": [c[0] for c in columns],
            "subgroup": [c[1] for c in columns],
            **{m: np.asarray(values[m], dtype=float) for m in METRICS},
        }
    )


def window_values(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """One row per replication: each metric over the periods after warm-up, organisation.

    The same computation as ``summary.csv`` (organisation row): flows are means per
    period (e.g. ``cost`` in currency units per period, ``qalys`` in QALYs per period),
    rates are pooled over the window. Columns: ``replication`` then every metric.
    """
    window = Window(ALL, scenario.warmup_periods + 1, scenario.horizon_periods)
    table = unit_window_values(scenario, results, window)
    return table.drop(columns="unit").reset_index(drop=True)
