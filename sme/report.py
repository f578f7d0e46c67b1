"""Human-readable rendering of an analysis for the terminal (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sme.analysis import Analysis
from sme.phases import Phase

PHASE_STYLE = {
    Phase.SAFE: "bold white on green",
    Phase.MISALIGNED: "bold white on red",
    Phase.LOCKED_IN: "bold white on dark_orange3",
    Phase.OSCILLATORY: "bold black on yellow",
    Phase.INDETERMINATE: "bold white on purple",
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
        lo, hi = eq["interval"]
        mixed.append(f"mixed equilibrium  {mix}   (resolution [{lo:.4f}, {hi:.4f}])\n")
    res = analysis.settings.resolution
    methods = ", ".join(f"{k}: {v}" for k, v in analysis.methods.items())
    footer = Text(
        f"resolution: {res.points} points per latent dimension, {res.mc_samples} Monte Carlo "
        f"samples where needed, tie tolerance {analysis.settings.tolerance.kl_rtol:g} "
        f"(relative); {methods}", style="dim")
    parts = [head, Text(), params, Text(),
             Text.assemble(("Berk–Nash set  ", "bold"), "{" + ", ".join(analysis.bn_set) + "}"),
             actions]
    if analysis.mixed_equilibria:
        parts.append(mixed)
    parts += [Text(analysis.explanation), Text(), footer]
    console.print(Panel(Group(*parts), title=f"[bold]{scenario.name}[/bold]",
                        subtitle=str(scenario.source or ""), expand=False))
