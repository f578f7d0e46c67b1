"""Learning dynamics as text: long-run frequencies as bars and action shares over time as
sparklines."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sme.figures.report import sparkline
from sme.scenario.declaration import Scenario
from sme.studies.dynamics import Simulation

BAR_WIDTH = 20


def _bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


def render_simulation(sim: Simulation, scenario: Scenario) -> Text:
    """Frequencies, settling and the trajectory of one simulation."""
    safe = {a.name: a.safe for a in scenario.actions}
    width = max(len(a) for a in sim.actions)
    text = Text()
    text.append("long-run frequency (late period)\n", style="bold")
    for name in sim.actions:
        text.append(f"  {name:<{width}} ")
        text.append("✓ " if safe[name] else "✗ ", style="green" if safe[name] else "red")
        freq = sim.frequencies[name]
        text.append(_bar(freq), style="green" if safe[name] else "red")
        text.append(f" {freq:6.3f}")
        text.append("  in R" if name in sim.bn_set else "  —   ",
                    style="bold" if name in sim.bn_set else "dim")
        settled = sim.settled.get(name)
        if settled is not None:
            text.append(f"  settled {settled:.1%}")
        text.append("\n")
    text.append(f"\nshare of learners playing each action, step 0 → {sim.bin_edges[-1]}\n",
                style="bold")
    for a, name in enumerate(sim.actions):
        text.append(f"  {name:<{width}} ")
        text.append(sparkline([row[a] for row in sim.trajectory]),
                    style="green" if safe[name] else "red")
        text.append("\n")
    text.append(f"\n{sim.in_bn_set_share:.1%} of learners play only rationalizable actions "
                "in the late period.")
    return text


class TrajectoryView(Static):
    """Shows one simulation."""

    DEFAULT_CLASSES = "trajectory"

    def show_simulation(self, sim: Simulation, scenario: Scenario) -> None:
        """Display ``sim``."""
        self.update(render_simulation(sim, scenario))
