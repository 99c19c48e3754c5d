"""Money checks: payments are the sum of their line items, and each base-payment scheme
pays exactly its closed form (fee-for-service, capitation, salary, bundled).

The scenario mixes all four schemes at once, so each component is checked separately
in the presence of the others. Practice styles are drawn (they differ by physician) and
fixed over time, so a physician's fee per episode is constant and known from the
``physicians`` table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulate
from simulate.accounts.ledger import PAYMENT_COMPONENTS, SCHEME_COMPONENTS
from simulate.scenario.models import DAYS_PER_YEAR, Scenario

PAYMENT_COLUMNS = [f"payment_{c}" for c in PAYMENT_COMPONENTS]
KEYS = ["replication", "period", "unit"]

FEE, FEE_MEDICINE = 1500.0, 900.0
CAPITATION, LIST_SIZE = 8.25, 1950
SALARY = 120_000.0
BUNDLE, BUNDLE_MEDICINE = 1600.0, 1080.0


def mixed_scenario(short_scenario, *, readmissions_paid: bool) -> Scenario:
    """The short baseline paid by all four schemes at once.

    ``readmissions_paid`` False: fee-for-service does not pay readmission episodes and the
    bundle includes them (unpaid); True: both pay them.
    """
    base = short_scenario("baseline_ffs", "replications=2")
    data = base.model_dump(by_alias=True)
    data["name"] = "all_four_" + ("paid" if readmissions_paid else "unpaid")
    data["payment"] = {
        "fee_for_service": {
            "per_intensity_unit": FEE,
            "by_condition": {"medical_admission": FEE_MEDICINE},
            "pays_readmissions": readmissions_paid,
        },
        "capitation": {"per_patient_per_period": CAPITATION, "list_size_per_physician": LIST_SIZE},
        "salary": {"annual": SALARY},
        "bundled": {
            "per_episode": BUNDLE,
            "by_condition": {"medical_admission": BUNDLE_MEDICINE},
            "readmissions_included": not readmissions_paid,
        },
    }
    return Scenario.model_validate(data)


@pytest.fixture(scope="module", params=[False, True], ids=["readm_unpaid", "readm_paid"])
def mixed_run(request, short_scenario) -> simulate.RunResult:
    """The all-four-schemes scenario run with the episode log, both readmission settings."""
    scenario = mixed_scenario(short_scenario, readmissions_paid=request.param)
    return simulate.run(scenario, workers=1, episode_log=True)


def _level(result: simulate.RunResult, level: str) -> pd.DataFrame:
    rows = result.trajectories
    return rows[rows["level"] == level].set_index(KEYS).sort_index()


def _team_condition(scenario: Scenario) -> dict[str, str]:
    """Team name -> the one condition it treats (the baseline routes one to one)."""
    out = {}
    for team in scenario.teams:
        treated = [c.name for c in scenario.conditions if team.name in (c.teams or ())]
        assert len(treated) == 1
        out[team.name] = treated[0]
    return out


# ----------------------------------------------------------------- line items
def test_payments_equal_sum_of_line_items(mixed_run):
    """Conservation of money: line items summed per physician-period-component equal the
    payment columns of the trajectories, and no line item is left out."""
    result = mixed_run
    items = result.payments
    assert set(items["component"]) == set(SCHEME_COMPONENTS)  # nobody bears cost, nor invests
    assert (items["amount"] != 0).all()
    summed = (
        items.groupby(["replication", "period", "physician", "component"])["amount"]
        .sum()
        .unstack("component", fill_value=0.0)
        .rename_axis(index={"physician": "unit"}, columns=None)
    )
    summed.columns = [f"payment_{c}" for c in summed.columns]
    physicians = _level(result, "physician")[PAYMENT_COLUMNS]
    summed = summed.reindex(index=physicians.index, columns=PAYMENT_COLUMNS, fill_value=0.0)
    pd.testing.assert_frame_equal(summed, physicians, check_exact=False, rtol=1e-12)
    assert items["amount"].sum() == pytest.approx(physicians.to_numpy().sum(), rel=1e-12)


def test_team_and_organisation_payments_are_sums_of_physicians(mixed_run):
    """Aggregation: team rows = sum over the team's physicians; organisation = sum of all."""
    result = mixed_run
    phys = result.trajectories[result.trajectories["level"] == "physician"]
    cols = [*PAYMENT_COLUMNS, "payment_total"]
    by_team = phys.groupby(["replication", "period", "team"])[cols].sum()
    teams = _level(result, "team")[cols].rename_axis(index={"unit": "team"})
    pd.testing.assert_frame_equal(by_team.sort_index(), teams.sort_index(), rtol=1e-12)
    by_org = phys.groupby(["replication", "period"])[cols].sum()
    org = _level(result, "organisation")[cols].droplevel("unit")
    pd.testing.assert_frame_equal(by_org.sort_index(), org.sort_index(), rtol=1e-12)


def test_payment_total_is_sum_of_components(mixed_run):
    """payment_total = fee-for-service + capitation + salary + bundled, in every row."""
    rows = mixed_run.trajectories
    np.testing.assert_allclose(
        rows["payment_total"], rows[PAYMENT_COLUMNS].sum(axis=1), rtol=1e-12, atol=0
    )
    incomes = mixed_run.physicians
    np.testing.assert_allclose(
        incomes["income"], incomes[PAYMENT_COLUMNS].sum(axis=1), rtol=1e-12, atol=0
    )


# --------------------------------------------------------------- closed forms
def test_capitation_closed_form(mixed_run):
    """Capitation total = rate x list size x physicians x periods (per replication)."""
    s = mixed_run.scenario
    per_physician_period = CAPITATION * LIST_SIZE
    expected = per_physician_period * s.n_physicians * s.horizon_periods
    for rep in range(s.replications):
        items = mixed_run.payments
        mine = items[(items["replication"] == rep) & (items["component"] == "capitation")]
        assert mine["amount"].sum() == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(mine["amount"], per_physician_period, rtol=1e-12)
        assert len(mine) == s.n_physicians * s.horizon_periods
    # the summary reports flows per period: the same every period, so no spread
    summary = mixed_run.summary
    row = summary[
        (summary["level"] == "organisation") & (summary["metric"] == "payment_capitation")
    ].iloc[0]
    assert row["mean"] == pytest.approx(per_physician_period * s.n_physicians, rel=1e-12)
    assert row["sd"] == pytest.approx(0.0, abs=1e-6)


def test_salary_closed_form(mixed_run):
    """Salary total = annual x period_days / 365.25 x physicians x periods."""
    s = mixed_run.scenario
    per_physician_period = SALARY * s.period_days / DAYS_PER_YEAR
    assert per_physician_period == pytest.approx(SALARY / 12)  # default period: a month
    expected = per_physician_period * s.n_physicians * s.horizon_periods
    org = _level(mixed_run, "organisation")
    for rep in range(s.replications):
        assert org.loc[rep, "payment_salary"].sum() == pytest.approx(expected, rel=1e-12)
    phys = _level(mixed_run, "physician")
    np.testing.assert_allclose(phys["payment_salary"], per_physician_period, rtol=1e-12)


def _physician_frame(result: simulate.RunResult) -> pd.DataFrame:
    """Per physician-period: condition treated, fixed intensity, episode counts, payments."""
    phys = _level(result, "physician").reset_index()
    style = result.physicians.rename(columns={"physician": "unit"})[
        ["replication", "period", "unit", "style_intensity"]
    ]
    frame = phys.merge(style, on=KEYS, validate="1:1")
    frame["condition"] = frame["team"].map(_team_condition(result.scenario))
    return frame


def test_fee_for_service_closed_form(mixed_run):
    """FFS = fee(condition) x intensity units delivered: the physician's intensity per
    index episode and, only when ``pays_readmissions``, readmission_cost_share x intensity
    per readmission episode; by_condition overrides the fee."""
    result = mixed_run
    s = result.scenario
    paid = s.payment.fee_for_service.pays_readmissions
    frame = _physician_frame(result)
    # styles are fixed over time, and differ between physicians
    assert frame.groupby(["replication", "unit"])["style_intensity"].nunique().eq(1).all()
    assert frame["style_intensity"].nunique() > 1
    fee = frame["condition"].map({"hip_knee_replacement": FEE, "medical_admission": FEE_MEDICINE})
    units = s.clinical.readmission_cost_share
    episodes = frame["episodes"] + (units * frame["readmission_episodes"] if paid else 0.0)
    expected = fee * frame["style_intensity"] * episodes
    np.testing.assert_allclose(frame["payment_fee_for_service"], expected, rtol=1e-9, atol=1e-6)
    assert frame["readmission_episodes"].sum() > 0  # the readmission rule is exercised

    # The same total from the episode log: the fee is fee(condition) x intensity of the
    # treating physician, and readmission rows carry a zero fee when unpaid.
    log = result.episodes
    style = result.physicians.drop_duplicates(["replication", "physician"]).set_index(
        ["replication", "physician"]
    )["style_intensity"]
    intensity = style.reindex(pd.MultiIndex.from_frame(log[["replication", "physician"]]))
    fee_log = log["condition"].map({"hip_knee_replacement": FEE, "medical_admission": FEE_MEDICINE})
    owed = fee_log.to_numpy() * intensity.to_numpy()
    readmission = (log["kind"] == "readmission").to_numpy()
    owed = np.where(readmission, owed * units if paid else 0.0, owed)
    np.testing.assert_allclose(log["fee_for_service"], owed, rtol=1e-12)
    assert log["fee_for_service"].sum() == pytest.approx(
        frame["payment_fee_for_service"].sum(), rel=1e-12
    )


def test_bundled_closed_form(mixed_run):
    """Bundled = price(condition) per index episode; readmission episodes are unpaid when
    ``readmissions_included`` and paid the same price when not."""
    result = mixed_run
    included = result.scenario.payment.bundled.readmissions_included
    frame = _physician_frame(result)
    price = frame["condition"].map(
        {"hip_knee_replacement": BUNDLE, "medical_admission": BUNDLE_MEDICINE}
    )
    episodes = frame["episodes"] + (0.0 if included else frame["readmission_episodes"])
    np.testing.assert_allclose(frame["payment_bundled"], price * episodes, rtol=1e-12, atol=0)
    # organisation totals per replication, from team counts (team <-> condition one to one)
    teams = _level(result, "team").reset_index()
    team_price = (
        teams["unit"]
        .map(_team_condition(result.scenario))
        .map({"hip_knee_replacement": BUNDLE, "medical_admission": BUNDLE_MEDICINE})
    )
    counted = teams["episodes"] + (0.0 if included else teams["readmission_episodes"])
    expected = (team_price * counted).groupby(teams["replication"]).sum()
    org = _level(result, "organisation").groupby(level="replication")["payment_bundled"].sum()
    np.testing.assert_allclose(org.to_numpy(), expected.to_numpy(), rtol=1e-12)
    log = result.episodes
    readm = log[log["kind"] == "readmission"]
    assert len(readm) > 0
    assert (readm["bundled"] == 0).all() == included


def test_readmission_flags_change_only_readmission_pay(short_scenario):
    """Paying readmissions adds exactly price x readmission episodes (bundled) and fee x
    readmission_cost_share x intensity x readmission episodes (FFS); index-episode pay and
    clinical results agree."""
    unpaid = simulate.run(mixed_scenario(short_scenario, readmissions_paid=False), workers=1)
    paid = simulate.run(mixed_scenario(short_scenario, readmissions_paid=True), workers=1)
    a, b = _physician_frame(unpaid), _physician_frame(paid)
    pd.testing.assert_series_equal(a["readmission_episodes"], b["readmission_episodes"])
    price = a["condition"].map(
        {"hip_knee_replacement": BUNDLE, "medical_admission": BUNDLE_MEDICINE}
    )
    fee = a["condition"].map({"hip_knee_replacement": FEE, "medical_admission": FEE_MEDICINE})
    np.testing.assert_allclose(
        b["payment_bundled"] - a["payment_bundled"], price * a["readmission_episodes"], atol=1e-6
    )
    np.testing.assert_allclose(
        b["payment_fee_for_service"] - a["payment_fee_for_service"],
        fee
        * unpaid.scenario.clinical.readmission_cost_share
        * a["style_intensity"]
        * a["readmission_episodes"],
        atol=1e-6,
    )
    for column in ("payment_capitation", "payment_salary", "episodes", "cost"):
        pd.testing.assert_series_equal(a[column], b[column])


# ------------------------------------------- borne cost of care and investments
@pytest.fixture(scope="module")
def margins_run(short_scenario) -> simulate.RunResult:
    """A bundle with the team bearing 5% of the cost of care (split by workload), under a
    readmissions penalty with the organisational response on."""
    scenario = short_scenario(
        "p4p_readmissions",
        "replications=2",
        "horizon_periods=12",
        "incentives[0].start_period=2",
        "payment={bundled: {per_episode: 1490}}",
        "payment.risk_bearing.cost_share=0.05",
        "payment.risk_bearing.borne_by=team",
        "payment.risk_bearing.split=workload",
        "behaviour.organisational_response.enabled=true",
        "behaviour.organisational_response.cost_per_period=300",
        "behaviour.organisational_response.lag=1",
    )
    return simulate.run(scenario, workers=1)


def test_borne_cost_and_investments_are_line_items_that_add_up(margins_run):
    """Every component, the negative ones included, is in the payments table and sums to
    the payment columns; payment_total nets them."""
    result = margins_run
    items = result.payments
    assert {"cost_sharing", "investment"} <= set(items["component"])
    assert (items[items["component"].isin(["cost_sharing", "investment"])]["amount"] < 0).all()
    summed = items.groupby(["replication", "period", "physician", "component"])["amount"].sum()
    summed = summed.unstack("component", fill_value=0.0)
    summed.index = summed.index.set_names("unit", level="physician")
    physicians = _level(result, "physician")
    for component in summed.columns:
        if component == "incentives":
            continue
        column = physicians[f"payment_{component}"]
        np.testing.assert_allclose(summed[component].reindex(column.index, fill_value=0), column)
    np.testing.assert_allclose(
        physicians["payment_total"],
        physicians[[*PAYMENT_COLUMNS, "payment_incentives"]].sum(axis=1),
        rtol=1e-12,
    )


def test_team_borne_cost_is_its_share_of_care_split_by_workload(margins_run):
    """Per team: cost_sharing = -s x (cost - investment) (the cost of its care); each
    physician's part is in proportion to their index episodes in the period."""
    result = margins_run
    teams = _level(result, "team")
    care = teams["cost"] + teams["payment_investment"]  # investment is cost, not care
    np.testing.assert_allclose(teams["payment_cost_sharing"], -0.05 * care, rtol=1e-9)
    phys = _level(result, "physician").reset_index()
    team_total = phys.groupby(["replication", "period", "team"])[
        ["payment_cost_sharing", "episodes"]
    ].transform("sum")
    expected = team_total["payment_cost_sharing"] * phys["episodes"] / team_total["episodes"]
    busy = team_total["episodes"] > 0
    np.testing.assert_allclose(phys["payment_cost_sharing"][busy], expected[busy], rtol=1e-9)
