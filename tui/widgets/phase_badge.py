"""The phase badge: the phase label on its colour, with what it means."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sme.engine.phases import Phase
from sme.figures.report import PHASE_GLYPH


def phase_style(phase: Phase) -> str:
    """Text on the phase colour, legible on every phase (dark text on the light yellow)."""
    ink = "black" if phase in (Phase.OSCILLATORY,) else "white"
    return f"bold {ink} on {phase.colour}"


def phase_chip(phase: Phase | str | None, wide: bool = False) -> Text:
    """A short coloured label: the phase letter (``wide``: the phase name)."""
    if phase is None:
        return Text(" ? " if not wide else " failed ", style="bold reverse")
    phase = Phase(phase)
    label = f" {phase.value} " if wide else f" {PHASE_GLYPH[phase]} "
    return Text(label, style=phase_style(phase))


class PhaseBadge(Static):
    """Shows one phase: the badge and, below, its meaning."""

    DEFAULT_CLASSES = "phase-badge"

    def show_phase(self, phase: Phase | None, note: str = "", risks: str = "") -> None:
        """Display ``phase`` (``None``: no result, with ``note`` saying why) and, below it,
        ``risks``: the verdict over objective risks (:mod:`sme.scenario.risks`)."""
        if phase is None:
            self.update(Text.assemble(Text(" no result ", style="bold reverse"), "  ",
                                      Text(note, style="italic")))
            return
        text = Text.assemble(Text(f" {phase.value.upper()} ", style=phase_style(phase)), "  ",
                             Text(phase.meaning, style="italic"))
        if risks:
            text.append("\nobjective risks: ", style="bold")
            text.append(risks)
        self.update(text)
