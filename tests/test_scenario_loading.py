"""Scenarios load as documented: bundled files, ``extends:``, ``--set``, immutability."""

from __future__ import annotations

import json
import shutil

import pydantic
import pytest
import yaml
from typer.testing import CliRunner

import simulate
from simulate.cli import app
from simulate.errors import ScenarioError
from simulate.scenario.distributions import Beta, Fixed
from simulate.scenario.loader import bundled_dir, bundled_scenarios, resolve_scenario
from simulate.scenario.models import Scenario

BASELINE = bundled_dir() / "baseline_ffs.yaml"
runner = CliRunner()


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_bundled_scenarios_are_there():
    names = {p.stem for p in bundled_scenarios()}
    assert {"baseline_ffs", "capitation", "salary", "bundled", "mixed"} <= names
    assert {"bundle_risk", "org_response"} <= names


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_bundled_scenario_validates(path):
    scenario = simulate.load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == path.stem
    assert simulate.load_scenario(path.stem) == scenario  # a bundled name works too


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_bundled_scenario_passes_the_validate_command(path):
    result = runner.invoke(app, ["validate", path.stem])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {path.stem}")


def test_child_overrides_a_nested_key_and_keeps_parent_siblings(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\npayment:\n  fee_for_service:\n"
        "    per_intensity_unit: 2000\n",
    )
    base = simulate.load_scenario(BASELINE)
    scenario = simulate.load_scenario(child)
    ffs = scenario.payment.fee_for_service
    assert ffs.per_intensity_unit == 2000
    assert (
        ffs.by_condition == base.payment.fee_for_service.by_condition == {"medical_admission": 900}
    )
    assert scenario.name == "child"
    assert scenario.conditions == base.conditions
    assert scenario.teams == base.teams
    assert scenario.warmup_periods == base.warmup_periods == 3


def test_child_lists_replace_the_parents_whole(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\nteams:\n  - {{name: orthopaedics, physicians: 2}}\n"
        "  - {name: medicine, physicians: 1}\n",
    )
    scenario = simulate.load_scenario(child)
    assert [(t.name, t.physicians) for t in scenario.teams] == [
        ("orthopaedics", 2),
        ("medicine", 1),
    ]
    # Nothing of the parent's team entries survives: nurses and caseload are defaults.
    assert [t.nurses for t in scenario.teams] == [0, 0]
    assert [t.caseload_per_physician for t in scenario.teams] == [1, 1]


def test_null_removes_a_parent_section():
    scenario = simulate.load_scenario("capitation")
    assert scenario.payment.fee_for_service is None
    assert scenario.payment.capitation is not None
    own = yaml.safe_load((bundled_dir() / "capitation.yaml").read_text())
    expected = own["payment"]["capitation"]["per_patient_per_period"]
    assert scenario.payment.capitation.per_patient_per_period == expected


def test_null_in_own_child_removes_the_parent_section(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\npayment:\n  fee_for_service: null\n"
        "  salary: {annual: 100000}\n",
    )
    payment = simulate.load_scenario(child).payment
    assert payment.fee_for_service is None
    assert payment.salary.annual == 100000


def test_extends_chain_of_three(tmp_path):
    write(tmp_path / "middle.yaml", f"extends: {BASELINE}\nname: middle\nseed: 7\n")
    child = write(tmp_path / "child.yaml", "extends: middle.yaml\nname: child\nreplications: 2\n")
    resolved = resolve_scenario(child)
    assert (resolved.scenario.seed, resolved.scenario.replications) == (7, 2)
    assert resolved.scenario.horizon_periods == 36
    assert [p.split("/")[-1] for p in resolved.files] == [
        "baseline_ffs.yaml",
        "middle.yaml",
        "child.yaml",
    ]


def test_extends_path_is_relative_to_the_child_file(tmp_path, monkeypatch):
    shutil.copy(BASELINE, tmp_path / "parent.yaml")
    child = write(
        tmp_path / "deeper" / "child.yaml", "extends: ../parent.yaml\nname: child\nseed: 11\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder plays no part
    scenario = simulate.load_scenario(child)
    assert scenario.seed == 11
    assert scenario.teams == simulate.load_scenario(BASELINE).teams
    relative = simulate.load_scenario("../deeper/child.yaml")
    assert relative == scenario


def test_extends_falls_back_to_a_bundled_scenario(tmp_path):
    child = write(tmp_path / "child.yaml", "extends: baseline_ffs.yaml\nname: child\n")
    assert simulate.load_scenario(child).conditions == simulate.load_scenario(BASELINE).conditions


def test_a_file_next_to_the_child_wins_over_the_bundled_one(tmp_path):
    text = BASELINE.read_text().replace("seed: 20261126", "seed: 99")
    write(tmp_path / "baseline_ffs.yaml", text)
    child = write(tmp_path / "child.yaml", "extends: baseline_ffs.yaml\nname: child\n")
    assert simulate.load_scenario(child).seed == 99


def test_set_overrides_apply_after_extends(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\nteams:\n  - {{name: orthopaedics, physicians: 4}}\n"
        "  - {name: medicine, physicians: 3}\n",
    )
    overrides = [
        "teams[0].physicians=9",
        "teams[1].nurses=20",
        "conditions[1].arrival_rate=2.25",
        "severity.classes[1].high_risk=false",
        "output.episode_log=yes",
        "payment.capitation={per_patient_per_period: 5}",
        "description='a note: with colon'",
        "clinical.benefit_curvature=3",
    ]
    resolved = resolve_scenario(child, overrides)
    s = resolved.scenario
    assert [t.physicians for t in s.teams] == [9, 3]
    assert s.teams[1].nurses == 20
    assert s.conditions[1].arrival_rate == 2.25
    assert s.severity.classes[1].high_risk is False
    assert s.output.episode_log is True
    assert s.payment.capitation.per_patient_per_period == 5
    assert s.payment.fee_for_service is not None  # the parent's payment is still there
    assert s.description == "a note: with colon"
    assert s.clinical.benefit_curvature == 3
    assert s.clinical.benefit_curvature != Scenario.model_fields["clinical"].default
    assert resolved.overrides == tuple(overrides)


def test_set_values_are_read_as_yaml():
    s = simulate.load_scenario(
        "baseline_ffs",
        ["replications=3", "period_days=7.5", "payment.fee_for_service.pays_readmissions=off"],
    )
    assert s.replications == 3 and isinstance(s.replications, int)
    assert s.period_days == 7.5
    assert s.payment.fee_for_service.pays_readmissions is False


def test_set_null_removes_a_section():
    s = simulate.load_scenario(
        "baseline_ffs", ["payment.fee_for_service=null", "payment.salary.annual=1000"]
    )
    assert s.payment.fee_for_service is None
    assert s.payment.salary.annual == 1000


def test_later_set_wins():
    s = simulate.load_scenario("baseline_ffs", ["seed=1", "seed=2"])
    assert s.seed == 2


def test_set_does_not_touch_the_file_or_other_loads():
    before = simulate.load_scenario("baseline_ffs")
    simulate.load_scenario("baseline_ffs", ["teams[0].physicians=1"])
    assert simulate.load_scenario("baseline_ffs") == before


def test_scenario_is_frozen():
    s = simulate.load_scenario("baseline_ffs")
    with pytest.raises(pydantic.ValidationError):
        s.seed = 1
    with pytest.raises(pydantic.ValidationError):
        s.teams[0].nurses = 3
    with pytest.raises(pydantic.ValidationError):
        s.payment.fee_for_service.per_intensity_unit = 0
    assert isinstance(s.teams, tuple)
    assert isinstance(s.conditions[0].teams, tuple)


def test_plain_number_for_a_distribution_means_fixed(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\nphysician_traits:\n  altruism: 0.7\n  inertia: 1\n",
    )
    traits = simulate.load_scenario(child).physician_traits
    assert traits.altruism == Fixed(value=0.7)
    assert traits.altruism.mean() == 0.7
    assert traits.inertia == Fixed(value=1.0)
    assert isinstance(traits.peer_sensitivity, Beta)  # untouched defaults stay


def test_plain_number_through_set_means_fixed():
    s = simulate.load_scenario("baseline_ffs", ["practice_style.intensity=1.2"])
    assert s.practice_style.intensity == Fixed(value=1.2)


def test_set_of_one_parameter_of_a_default_distribution_keeps_the_rest():
    """The file has no physician_traits: --set changes one shape of the default beta."""
    default = simulate.load_scenario("baseline_ffs").physician_traits.inertia
    s = simulate.load_scenario("baseline_ffs", ["physician_traits.inertia.a=18"])
    assert s.physician_traits.inertia == Beta(dist="beta", a=18, b=default.b)
    assert s.physician_traits.inertia.mean() == 18 / (18 + default.b)
    assert (
        s.physician_traits.altruism
        == simulate.load_scenario("baseline_ffs").physician_traits.altruism
    )


def test_named_distribution_in_yaml(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\npractice_style:\n"
        "  intensity: {dist: lognormal, mean: 1.1, sigma: 0.2, high: 3}\n",
    )
    intensity = simulate.load_scenario(child).practice_style.intensity
    assert intensity.dist == "lognormal"
    assert intensity.mean() == 1.1
    assert intensity.high == 3


def test_duplicate_condition_names_are_rejected(tmp_path):
    cond = (
        "  - {name: medical_admission, arrival_rate: 1, base_cost: 100, treatment_days: 2,"
        " complication_rate: 0.1, readmission_rate: 0.1, health_gain_qalys: 0.1,"
        " recovery_days: 5}\n"
    )
    child = write(
        tmp_path / "child.yaml", f"extends: {BASELINE}\nname: child\nconditions:\n{cond}{cond}"
    )
    with pytest.raises(ScenarioError) as caught:
        simulate.load_scenario(child)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(child), 5, "conditions[1].name")
    assert "already used" in error.message


def test_duplicate_team_names_are_rejected():
    with pytest.raises(ScenarioError) as caught:
        simulate.load_scenario("baseline_ffs", ["teams[1].name=orthopaedics"])
    assert caught.value.field == "teams[1].name"
    assert caught.value.file == "--set teams[1].name=orthopaedics"
    assert caught.value.line is None


def test_errors_carry_file_line_and_field_and_format_on_one_line(tmp_path):
    child = write(tmp_path / "child.yaml", f"extends: {BASELINE}\nname: child\nseed: -4\n")
    with pytest.raises(ScenarioError) as caught:
        simulate.load_scenario(child)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(child), 3, "seed")
    assert str(error) == error.format() == f"{child}:3: field 'seed': {error.message}"
    assert "\n" not in str(error)


def test_values_inherited_from_the_parent_point_at_the_parent(tmp_path):
    # The child shortens the horizon; the warm-up it now clashes with was set in the parent.
    child = write(
        tmp_path / "child.yaml", f"extends: {BASELINE}\nname: child\nhorizon_periods: 3\n"
    )
    with pytest.raises(ScenarioError) as caught:
        simulate.load_scenario(child)
    lines = BASELINE.read_text().splitlines()
    warmup_line = next(i for i, text in enumerate(lines, 1) if text.startswith("warmup_periods"))
    assert (caught.value.file, caught.value.line) == (str(BASELINE), warmup_line)


def test_replaced_list_does_not_point_into_the_parent(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"extends: {BASELINE}\nname: child\nconditions:\n  - name: hip_knee_replacement\n",
    )
    with pytest.raises(ScenarioError) as caught:
        simulate.load_scenario(child)
    assert (caught.value.file, caught.value.line) == (str(child), 4)
    assert caught.value.field == "conditions[0].arrival_rate"


def test_dates_are_read_as_text(tmp_path):
    child = write(
        tmp_path / "child.yaml", f"extends: {BASELINE}\nname: child\ndescription: 2026-11-26\n"
    )
    assert simulate.load_scenario(child).description == "2026-11-26"


def test_schema_command_prints_json_with_the_top_level_keys():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    properties = set(schema["properties"])
    top_level = {"name", "extends", "conditions", "teams", "payment", "severity", "seed"}
    assert top_level <= properties
    assert set(Scenario.model_fields) <= properties
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_bundled_scenario_is_valid_against_the_schema_editors_use(path):
    import jsonschema

    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)  # raises on any key or value an editor would flag


def test_scenarios_command_lists_every_bundled_scenario():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for path in bundled_scenarios():
        assert path.stem in result.stdout
    assert "invalid" not in result.stdout
