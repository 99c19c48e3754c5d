"""The uncertainty: section and the PSA plan (simulate/psa/spec.py, simulate/psa/plan.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.errors import ScenarioError
from simulate.psa.plan import draw_table, plan_psa
from simulate.psa.spec import UncertaintySpec
from simulate.scenario.loader import bundled_dir

BASE = (
    "name: tiny_psa\n"
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
    "horizon_periods: 3\n"
    "warmup_periods: 1\n"
    "replications: 2\n"
    "variants:\n"
    "  list:\n"
    "    - name: ffs\n"
    "    - name: salary\n"
    "      set: {payment: {fee_for_service: null, salary: {annual: 150000}}}\n"
)


def write(tmp_path, uncertainty: str):
    path = tmp_path / "psa.yaml"
    path.write_text(BASE + "uncertainty:\n" + uncertainty)
    return path


def test_plan_has_one_point_per_draw_and_variant_with_values_from_the_distributions(tmp_path):
    path = write(
        tmp_path,
        "  draws: 8\n"
        "  method: lhs\n"
        "  seed: 3\n"
        "  parameters:\n"
        "    - path: conditions[0].base_cost\n"
        "      distribution: {type: gamma, mean: 1500, se: 150}\n"
        "    - path: physician_traits.altruism.a\n"
        "      distribution: {type: uniform, low: 1.0, high: 3.0}\n",
    )
    plan = plan_psa(path)
    # 8 draws and 5 tornado settings (base, then each parameter low and high) x 2 variants
    assert plan.design.n_points == (8 + 5) * 2 and plan.replications == 2
    assert plan.n_runs == 26 * 2 and plan.n_draws == 8
    assert plan.design.values[:3] == ((0, 0), (0, 1), (1, 0))
    assert list(plan.draws.columns) == ["conditions[0].base_cost", "physician_traits.altruism.a"]
    altruism = plan.draws["physician_traits.altruism.a"].to_numpy()
    assert sorted(np.floor((altruism - 1.0) / 2.0 * 8).astype(int)) == list(range(8))  # LHS
    scenario = plan.evaluator.prepare((5, 1))
    assert scenario.conditions[0].base_cost == pytest.approx(plan.draws.iloc[5, 0])
    assert scenario.payment.salary is not None  # the variant's own scheme
    assert plan.fingerprint() == plan_psa(path).fingerprint()  # reproducible draws


def test_tornado_settings_move_one_parameter_to_its_percentiles(tmp_path):
    path = write(
        tmp_path,
        "  draws: 4\n"
        "  parameters:\n"
        "    - path: conditions[0].base_cost\n"
        "      distribution: {type: uniform, low: 1000, high: 2000}\n"
        "    - path: physician_traits.altruism.a\n"
        "      label: altruism\n"
        "      distribution: {type: uniform, low: 1.0, high: 3.0}\n",
    )
    plan = plan_psa(path)
    t = plan.tornado
    assert t["level"].tolist() == ["base", "low", "high", "low", "high"]
    assert t["parameter"].tolist()[1:] == ["conditions[0].base_cost"] * 2 + ["altruism"] * 2
    cost, altruism = t["conditions[0].base_cost"].tolist(), t["physician_traits.altruism.a"]
    assert cost == pytest.approx([1500, 1025, 1975, 1500, 1500])  # uniform 2.5%, 97.5%
    assert altruism.tolist() == pytest.approx([2.0, 2.0, 2.0, 1.05, 2.95])
    high_cost = plan.evaluator.prepare((plan.n_draws + 2, 1))  # setting 2 is cost high
    assert high_cost.conditions[0].base_cost == pytest.approx(1975)
    off = write(tmp_path, path.read_text().split("uncertainty:\n")[1] + "  tornado: false\n")
    assert plan_psa(off).design.n_points == 4 * 2


def test_dirichlet_shares_fill_several_paths_and_sum_to_one():
    spec = UncertaintySpec.model_validate(
        {
            "draws": 50,
            "parameters": [
                {
                    "path": ["a", "b", "c"],
                    "distribution": {"type": "dirichlet", "alpha": [2, 3, 5]},
                },
                {"path": "d", "distribution": {"type": "normal", "mean": 0, "se": 1}},
            ],
            "correlation": [],
        }
    )
    table = draw_table(spec)
    assert list(table.columns) == ["a", "b", "c", "d"]
    assert np.allclose(table[["a", "b", "c"]].sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "body, field, message",
    [
        (
            "  parameters:\n    - path: conditions[0].base_cots\n"
            "      distribution: {type: gamma, mean: 1500, se: 150}\n",
            "uncertainty.parameters[0].path",
            "base_cost",
        ),
        (
            "  parameters:\n    - path: conditions[0].base_cost\n"
            "      distribution: {type: gama, mean: 1500, se: 150}\n",
            "uncertainty.parameters[0].distribution",
            "unknown distribution type",
        ),
        (
            "  draws: 1\n  parameters:\n    - path: conditions[0].base_cost\n"
            "      distribution: {type: gamma, mean: 1500, se: 150}\n",
            "uncertainty.draws",
            "greater than or equal to 2",
        ),
        (
            "  parameters:\n    - path: conditions[0].base_cost\n"
            "      distribution: {type: normal, mean: -5000, se: 1}\n",
            "uncertainty.parameters",
            "makes variant",
        ),
        (
            "  drawz: 10\n  parameters:\n    - path: conditions[0].base_cost\n"
            "      distribution: {type: gamma, mean: 1500, se: 150}\n",
            "uncertainty.drawz",
            "unknown key 'drawz'; did you mean 'draws'? (allowed here: correlation, draws,",
        ),
    ],
)
def test_bad_sections_name_file_line_and_field(tmp_path, body, field, message):
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        plan_psa(path)
    error = caught.value
    assert error.field == field and message in error.message
    assert error.file == str(path) and error.line is not None


def test_the_documented_dirichlet_example_sets_the_severity_shares(tmp_path):
    path = write(
        tmp_path,
        "  draws: 4\n"
        "  parameters:\n"
        "    - path:\n"
        "        - severity.classes[0].share\n"
        "        - severity.classes[1].share\n"
        "      distribution: {type: dirichlet, alpha: [80, 20]}\n",
    )
    plan = plan_psa(path)
    scenario = plan.evaluator.prepare((2, 0))
    shares = [c.share for c in scenario.severity.classes]
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(plan.draws.iloc[2, 0])
