"""The Berk–Nash set: every action with its safe/unsafe mark, whether it is rationalizable
and whether it is a pure equilibrium, and the mixed equilibria."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from sme.scenario.declaration import Action

SAFE_MARK = "✓ safe  "
UNSAFE_MARK = "✗ unsafe"


def render_set(actions: Sequence[Action], bn_set: Sequence[str], pure: Sequence[str],
               mixed: Sequence[dict[str, Any]], pending: bool = False) -> Text:
    """The set as lines of text (readable without colour: marks and words); ``pending``:
    the mixed equilibria are still being computed."""
    width = max((len(a.name) for a in actions), default=1)
    text = Text()
    text.append("Berk–Nash set ", style="bold")
    text.append("{" + ", ".join(bn_set) + "}\n")
    for action in actions:
        text.append(f"  {action.name:<{width}}  ")
        if action.safe:
            text.append(SAFE_MARK, style="bold green")
        else:
            text.append(UNSAFE_MARK, style="bold red")
        inside = action.name in bn_set
        text.append("  in R " if inside else "  —    ", style="bold" if inside else "dim")
        if action.name in pure:
            text.append(" pure equilibrium", style="italic")
        text.append("\n")
    if not pure:
        text.append("  no pure equilibrium\n", style="dim")
    if pending:
        text.append("  mixed equilibria: following…\n", style="dim italic")
    for eq in mixed:
        mix = ", ".join(f"{a} {p:.3f}" for a, p in eq["mixture"].items())
        corners = len(eq.get("region") or [])
        extent = f" (one of a region with {corners} corners)" if corners > 1 else ""
        text.append(f"  mixed equilibrium: {mix}{extent}\n", style="italic")
    text.rstrip()
    return text


class BerkNashSet(Static):
    """Shows the Berk–Nash set with safe/unsafe marks and the equilibria."""

    DEFAULT_CLASSES = "bn-set"

    def show_set(self, actions: Sequence[Action], bn_set: Sequence[str],
                 pure: Sequence[str], mixed: Sequence[dict[str, Any]],
                 pending: bool = False) -> None:
        """Display one analysis' set and equilibria (``pending``: mixed ones follow)."""
        self.update(render_set(actions, bn_set, pure, mixed, pending))
