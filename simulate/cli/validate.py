"""`simulate validate`: check a scenario without running it."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from simulate.cli.common import app, fail, out
from simulate.cli.options import ScenarioFile, SetOption
from simulate.errors import ScenarioError


@app.command()
def validate(
    scenario_file: ScenarioFile,
    overrides: SetOption = None,
) -> None:
    """Check a scenario without running it; print its teams' expected utilisation."""
    from simulate.model.capacity import team_loads
    from simulate.scenario.loader import resolve_scenario

    try:
        resolved = resolve_scenario(scenario_file, overrides or [])
        experiments = _experiment_summaries(resolved, scenario_file, overrides or [])
    except ScenarioError as error:
        fail(error)
    s = resolved.scenario
    out.print(
        f"ok: {s.name} ({' <- '.join(Path(f).name for f in reversed(resolved.files))}): "
        f"{len(s.conditions)} conditions, {len(s.teams)} teams, {s.n_physicians} physicians, "
        f"{s.horizon_periods} periods of {s.period_days:g} days, {s.replications} replications",
        highlight=False,
    )
    for load, team in zip(team_loads(s), s.teams, strict=True):
        flag = (
            "  [bold red]warning: demand exceeds capacity; the queue will fill to "
            f"max_queue ({team.max_queue:,}) and further patients are turned away[/]"
        )
        out.print(
            f"  team {load.team}: {load.arrival_rate:.3g} patients/day, offered load "
            f"{load.offered_load:.3g} of {load.capacity} slots, utilisation {load.utilisation:.2f}"
            + (flag if load.utilisation >= 1 else ""),
            highlight=False,
        )
    for line in experiments:
        out.print(escape(line), highlight=False)


def _experiment_summaries(resolved, scenario_file: str, overrides: list[str]) -> list[str]:
    """Check the file's ``variants:`` and ``sweep:`` sections too; one line on each."""
    lines = []
    if "variants" in resolved.extras:
        from simulate.compare.variants import load_variants

        variant_set = load_variants(scenario_file, overrides)
        names = [v.name for v in variant_set.variants]
        lines.append(
            f"  variants: {len(names)} ({', '.join(names)}), "
            f"reference {variant_set.settings.reference}"
        )
    if "sweep" in resolved.extras:
        from simulate.sweep.plan import plan_sweep

        plan = plan_sweep(scenario_file, overrides)
        lines.append(
            f"  sweep: {plan.spec.design} design over {len(plan.spec.parameters)} parameters, "
            f"{plan.n_runs:,} runs"
        )
    return lines
