"""Human-readable rendering of an analysis for the terminal (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sme.engine.phases import Phase

if TYPE_CHECKING:
    from sme.analysis import Analysis
    from sme.studies.diagram import PhaseDiagram
    from sme.studies.dynamics import Simulation

PHASE_STYLE = {
    phase: f"bold {'black' if phase is Phase.OSCILLATORY else 'white'} on {phase.colour}"
    for phase in Phase
}


def phase_badge(phase: Phase) -> Text:
    """The coloured phase label."""
    return Text(f" {phase.value} ", style=PHASE_STYLE[phase])


def render_analysis(analysis: Analysis, console: Console) -> None:
    """Print the report: phase, per-action table, equilibria, explanation, resolution."""
    scenario = analysis.scenario
    head = Text.assemble(("phase ", "bold"), phase_badge(analysis.phase), "  ",
                         (analysis.phase.meaning, "italic"))
    params = Table.grid(padding=(0, 2))
    params.add_column(style="cyan")
    params.add_column()
    params.add_column(style="dim")
    for name, value in analysis.values.items():
        params.add_row(name, f"{value:g}" if isinstance(value, float) else str(value),
                       scenario.group_of(name))
    actions = Table(title="actions", title_justify="left", expand=False)
    for col in ("action", "safe", "rationalizable", "pure eq.", "belief fitted to its data",
                "then prefers"):
        actions.add_column(col)
    fitted = {f.action: f for f in analysis.fitted}
    for action in scenario.actions:
        fit = fitted[action.name]
        belief = ", ".join(
            f"{k} = {lo:.3g}" if abs(hi - lo) < 1e-12 else f"{k} ∈ [{lo:.3g}, {hi:.3g}]"
            for k, (lo, hi) in fit.ranges.items())
        actions.add_row(
            action.name,
            Text("safe", "green") if action.safe else Text("unsafe", "red"),
            "yes" if action.name in analysis.bn_set else "no",
            "yes" if action.name in analysis.pure_equilibria else "no",
            belief,
            ", ".join(fit.responses),
        )
    mixed = Text()
    for eq in analysis.mixed_equilibria:
        mix = ", ".join(f"{a}: {p:.4f}" for a, p in eq["mixture"].items())
        mixed.append(f"mixed equilibrium  {mix}   ({_mixed_extent(eq)})\n")
    res = analysis.settings.resolution
    methods = ", ".join(f"{k}: {v}" for k, v in analysis.methods.items())
    footer = Text(
        f"resolution: {analysis.theta_points} Θ points ({grid_text(analysis.grid)}), "
        f"{res.mc_samples} Monte Carlo samples where needed, tie tolerance "
        f"{analysis.settings.tolerance.kl_rtol:g} (relative); {methods}", style="dim")
    check = analysis.verification
    if check is not None:
        verdict = "unchanged" if check["unchanged"] else (
            f"CHANGED to {check['phase']}, {{{', '.join(check['bn_set'])}}}")
        footer.append(f"\nverified at doubled resolution ({check['theta_points']} Θ points, "
                      f"{check['mc_samples']} Monte Carlo samples): {verdict}")
    risks = analysis.objective_risks
    risk_line = (Text.assemble(("objective risks  ", "bold"), risks.summary())
                 if risks is not None else None)
    parts = [head, *([risk_line] if risk_line is not None else []), Text(), params, Text(),
             Text.assemble(("Berk–Nash set  ", "bold"), "{" + ", ".join(analysis.bn_set) + "}"),
             actions]
    if analysis.mixed_equilibria:
        parts.append(mixed)
    parts += [Text(analysis.explanation), Text(), footer]
    console.print(Panel(Group(*parts), title=f"[bold]{scenario.name}[/bold]",
                        subtitle=str(scenario.source or ""), expand=False))


def _mixed_extent(eq: dict[str, Any]) -> str:
    """How far a mixed equilibrium reaches: the resolution's bracket for two actions, the
    region's corners and each action's range for more."""
    region = eq.get("region") or []
    if len(region) > 1:
        spans = ", ".join(f"{a} {lo:.4f}–{hi:.4f}" for a, (lo, hi) in eq["ranges"].items())
        return f"one of a region with {len(region)} corners: {spans}"
    if region:
        return "isolated"
    lo, hi = eq["interval"]
    return f"resolution [{lo:.4f}, {hi:.4f}]"


#: one letter per phase, so diagrams read without colour too
PHASE_GLYPH = {Phase.SAFE: "S", Phase.MISALIGNED: "M", Phase.MULTISTABLE: "B",
               Phase.OSCILLATORY: "O", Phase.INDETERMINATE: "I"}
#: a diagram cell whose configuration violates a constraint of the scenario
INVALID_GLYPH = "·"

SPARK = "▁▂▃▄▅▆▇█"


def grid_text(grid: list[int]) -> str:
    """``"401 along the latent"``, ``"a 64 × 64 grid"`` or ``"scrambled Sobol points"``."""
    if not grid:
        return "scrambled Sobol points"
    if len(grid) == 1:
        return f"{grid[0]} along the latent"
    return "a " + " × ".join(str(n) for n in grid) + " grid"


def sparkline(values: list[float]) -> str:
    """Shares in [0, 1] as a row of block characters."""
    return "".join(SPARK[min(len(SPARK) - 1, max(0, int(v * (len(SPARK) - 1) + 0.5)))]
                   for v in values)


def render_simulation(sim: Simulation, console: Console) -> None:
    """Print long-run frequencies, settling shares and a sparkline per action."""
    table = Table(title="learners' long-run behaviour", title_justify="left")
    for col in ("action", "rationalizable", "long-run frequency", "settled there"):
        table.add_column(col)
    for name in sim.actions:
        settled = sim.settled.get(name)
        table.add_row(name, "yes" if name in sim.bn_set else "no",
                      f"{sim.frequencies[name]:.4f}",
                      "—" if settled is None else f"{settled:.1%}")
    phase = Phase(sim.phase)
    console.print(Text.assemble(("phase ", "bold"), phase_badge(phase), "  Berk–Nash set {",
                                ", ".join(sim.bn_set), "}"))
    console.print(table)
    label = max(len(name) for name in sim.actions)
    console.print(Text(f"share of learners playing each action, step 0 → {sim.bin_edges[-1]}",
                       style="bold"))
    for a, name in enumerate(sim.actions):
        console.print(f"  {name:<{label}} {sparkline([row[a] for row in sim.trajectory])}")
    console.print(f"{sim.in_bn_set_share:.1%} of learners play only rationalizable actions "
                  "in the late period.")


def render_diagram(diagram: PhaseDiagram, console: Console, max_rows: int = 40) -> None:
    """Print the diagram as a coloured grid (sampled to fit the terminal), with axes and a
    legend; ``◆`` marks the baseline point when it lies on the plane."""
    width = max(10, (console.width - 14) // 2)
    nx, ny = len(diagram.x_values), len(diagram.y_values)
    cols = _sample(nx, width)
    rows = _sample(ny, max_rows)
    mark = diagram.baseline_cell()
    mark_cell = None
    if mark is not None:
        mark_cell = (min(range(len(rows)), key=lambda k: abs(rows[k] - mark[0])),
                     min(range(len(cols)), key=lambda k: abs(cols[k] - mark[1])))
    lines = []
    for r_pos, j in enumerate(reversed(rows)):
        r_index = len(rows) - 1 - r_pos
        label = ""
        if r_pos == 0 or r_pos == len(rows) - 1 or r_pos == len(rows) // 2:
            label = f"{diagram.y_values[j]:.3g}"
        line = Text(f"{label:>10} │")
        for c_index, i in enumerate(cols):
            phase = diagram.phases[j][i]
            if phase is None:  # violates a constraint of the scenario
                line.append(INVALID_GLYPH + " ", style="dim")
                continue
            glyph = "◆ " if mark_cell == (r_index, c_index) else PHASE_GLYPH[phase] + " "
            line.append(glyph, style=f"black on {phase.colour}")
        lines.append(line)
    axis = Text(" " * 11 + "└" + "─" * (2 * len(cols)))
    left, right = f"{diagram.x_values[0]:.3g}", f"{diagram.x_values[-1]:.3g}"
    ticks = Text(" " * 12 + left + " " * max(1, 2 * len(cols) - len(left) - len(right)) + right)
    legend = Text("  ")
    for phase in Phase:
        legend.append(PHASE_GLYPH[phase] + " ", style=f"black on {phase.colour}")
        legend.append(f" {phase.value}  ")
    title = Text.assemble(
        (diagram.scenario.name, "bold"), f"   y: {diagram.y.name}"
        f"{' (log)' if diagram.y.log else ''}   x: {diagram.x.name}"
        f"{' (log)' if diagram.x.log else ''}   ({nx} × {ny} cells)")
    console.print(title)
    for line in lines:
        console.print(line)
    console.print(axis)
    console.print(ticks)
    console.print(Text(" " * 12 + diagram.x.name, style="bold"))
    console.print(legend)
    if mark_cell is not None:
        console.print(Text("  ◆ baseline", style="dim"))
    if any(p is None for row in diagram.phases for p in row):
        constraints = ", ".join(c.text for c in diagram.scenario.parsed_constraints)
        console.print(Text(f"  {INVALID_GLYPH} invalid: violates {constraints}", style="dim"))
    if len(cols) < nx or len(rows) < ny:
        console.print(Text(
            f"  sampled to fit the terminal: {len(cols)} of {nx} columns, {len(rows)} of {ny} "
            "rows shown (--out or --json give every cell)", style="dim"))


def _sample(count: int, limit: int) -> list[int]:
    if count <= limit:
        return list(range(count))
    return sorted({round(k * (count - 1) / (limit - 1)) for k in range(limit)})
