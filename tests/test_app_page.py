"""The what-if page through Streamlit's AppTest: levers from the schema, a run, the log,
the YAML download, bad input on the page, the classroom view."""

from __future__ import annotations

import pytest

import simulate
from simulate.app import PAGE
from simulate.app import levers as L
from simulate.app.source import SOURCE_ENV, WORKERS_ENV, Source

testing = pytest.importorskip("streamlit.testing.v1", reason="streamlit is not installed")

SMALL = ("horizon_periods=8", "warmup_periods=2")
EARLY = ("incentives[0].start_period=3", "incentives[1].start_period=3")
FEE = "lever:payment.fee_for_service.per_intensity_unit"


def page(monkeypatch, source: str, *overrides: str):
    monkeypatch.setenv(SOURCE_ENV, Source(source, overrides).to_env())
    monkeypatch.setenv(WORKERS_ENV, "1")
    at = testing.AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def set_replications(at, n: int) -> None:
    at.number_input(key="lever:replications").set_value(n).run()


def headline(at) -> str:
    found = [m.value for m in at.markdown if m.value.startswith("**Headline")]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("value_dashboard", "lever:incentives[0].bonus", "lever:payment.capitation.annual"),
        (
            "capitation",
            "lever:payment.capitation.per_patient_per_period",
            "lever:incentives[0].bonus",
        ),
    ],
)
def test_the_levers_are_the_scenarios(monkeypatch, name, present, absent):
    at = page(monkeypatch, name, *SMALL)
    scenario = simulate.load_scenario(name, list(SMALL))
    expected = L.levers(scenario) + L.run_levers(scenario)
    keys = {
        w.key
        for kind in ("number_input", "selectbox", "multiselect", "checkbox")
        for w in getattr(at, kind)
        if str(w.key).startswith("lever:")
    }
    assert keys == {lever.key for lever in expected}
    assert present in keys and absent not in keys
    for lever in expected:
        widget = next(
            w
            for kind in ("number_input", "selectbox", "multiselect", "checkbox")
            for w in getattr(at, kind)
            if w.key == lever.key
        )
        assert widget.label == f"{lever.label} ({lever.unit})"
        assert widget.help == lever.help
    assert not at.error


def test_a_run_a_second_run_and_the_log(monkeypatch, tmp_path):
    at = page(monkeypatch, "value_dashboard", *SMALL, *EARLY)
    set_replications(at, 2)
    at.number_input(key=FEE).set_value(3000.0).run()
    assert any("Per intensity unit" in m.value and "3,000" in m.value for m in at.markdown)
    yaml_text = at.session_state["edited_yaml"]
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    first = headline(at)
    assert "run 1" in first
    assert len(at.session_state["log"]) == 1
    run = at.session_state["log"][0]
    value = run.comparison.comparison.query("variant == 'value_dashboard-edited'")
    assert value.set_index("metric").loc["value", "difference"] != 0
    assert next(m.label for m in at.metric).startswith("Value")
    # the flagship's top-decile dashboard leaves the calibrated evidence: said once
    [caveat] = [w.value for w in at.warning if "top_decile" in w.value]
    assert caveat.startswith("2 of 2 variants (value_dashboard, value_dashboard-edited)")
    # the downloaded YAML is the scenario that ran, and loads as a file
    path = tmp_path / "edited.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    assert simulate.load_scenario(str(path)) == run.what_if.edited
    for section in at.radio(key="section").options:  # every part of the results draws
        at.radio(key="section").set_value(section).run()
        assert not at.exception and not at.error, section
    assert {b.key for b in at.download_button} >= {
        "download_yaml",
        "download_results",
        "download_trajectories",
        "download_log",
    }
    # another what-if: the log grows, the headline follows the new run
    at.number_input(key=FEE).set_value(1500.0).run()
    at.number_input(key="lever:incentives[0].bonus").set_value(12000.0).run()
    at.button(key="run").click().run()
    assert len(at.session_state["log"]) == 2
    second = headline(at)
    assert "run 2" in second and second != first
    log = [d for d in at.dataframe if "run 1" in list(d.value.columns)]
    assert log and list(log[0].value.columns) == ["run 1", "run 2"]


def test_a_bad_edit_shows_the_cli_one_line_error(monkeypatch):
    at = page(monkeypatch, "value_dashboard", *SMALL)
    at.number_input(key="lever:incentives[0].top_share").set_value(0.9).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("error: value_dashboard (edited on the page): field 'incentives[0]")
    assert "\n" not in errors[0]
    assert at.button(key="run").disabled


def test_a_bad_source_shows_the_cli_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv(SOURCE_ENV, Source(str(tmp_path / "missing.yaml")).to_env())
    at = testing.AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert [e.value for e in at.error] == [f"error: {tmp_path / 'missing.yaml'}: no such file"]


def test_the_classroom_view_steps_through_months(monkeypatch):
    at = page(monkeypatch, "value_dashboard", *SMALL, *EARLY)
    set_replications(at, 2)
    at.radio(key="view").set_value("Classroom").run()
    assert any("Run" in m.value for m in at.markdown)  # nothing to show before a run
    at.button(key="run").click().run()
    assert not at.exception
    assert at.slider(key="month").value == 1
    at.button(key="forward").click().run()
    assert at.slider(key="month").value == 2
    for chart in ("Practice styles", "Value ranks within team", "Value over time"):
        at.selectbox(key="classroom_chart").set_value(chart).run()
        assert not at.exception, chart
    at.slider(key="month").set_value(8).run()
    at.button(key="forward").click().run()
    assert at.slider(key="month").value == 8  # stops at the horizon
