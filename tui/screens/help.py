"""The help screen: what each screen does, its keys, and what the phases mean."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown

from sme.engine.phases import Phase
from sme.figures.report import PHASE_GLYPH

KEYS = """\
| key | where | does |
| --- | --- | --- |
| `F1` | anywhere | this help |
| `F2` `F3` `F4` `F5` | anywhere | design · phase diagram · search · simulate |
| `ctrl+p` | anywhere | command palette: every action by name, and the themes |
| `ctrl+s` | anywhere | export the current prior (format, path, overwrite check) |
| `ctrl+o` | anywhere | open an exported prior into the editor |
| `ctrl+n` | anywhere | open another scenario (examples and recent files) |
| `ctrl+q` | anywhere | quit |
| `tab` `shift+tab` | forms | next / previous field |
| `enter`, leaving it | parameter | apply the typed value (an invalid one changes nothing) |
| `↑` `↓` | parameter | nudge by 1/100 of its range (log-scale aware, whole units for integers) |
| `shift+↑` `shift+↓` | parameter | nudge by ten steps |
| `escape` | parameter | restore the last valid value |
| `ctrl+t` | design | every parameter back to its default |
| `ctrl+r` | diagram · search · simulate | compute · start · run |
| arrows, `enter` | diagram grid | move the cursor · load the cell's values into the editor |
| `ctrl+b` | search | stop after the current batch |
| `ctrl+l` | search | open the study named in the form and show its candidates |
| `l` / `enter`, `x` | candidates | load into the editor, export |
"""

SCREENS = """\
**Design** — every declared parameter: *prior* ones are what you design, *world* and
*reward* ones are context. A valid value is analysed at once; an invalid one is shown in red
and changes nothing. The panel shows the phase, the Berk–Nash set (✓ safe, ✗ unsafe; *in R*:
the agent can keep playing it), the equilibria, an explanation, the belief program's
dependency graph and the best-response graph (`a ─▶ b`: a belief fitted to always playing
`a` makes `b` optimal; `⟲`: the action confirms itself).

**Phase diagram** — the phase over two parameters, the others at their current values;
`◆` marks the current prior.

**Search** — an Optuna study over the prior parameters (the loop of `sme search`), run in the
background; candidates are sorted safe first, then by score (fidelity + distance − margin).

**Simulate** — Bayesian learners starting from the prior; long-run action frequencies and
the shares over time.
"""


def phases_table() -> str:
    """The phases as a Markdown table."""
    rows = [f"| `{PHASE_GLYPH[p]}` | **{p.value}** | {p.meaning} |" for p in Phase]
    return "| | phase | meaning |\n| --- | --- | --- |\n" + "\n".join(rows)


class HelpScreen(ModalScreen[None]):
    """Keys, screens and phases."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("SME — help (escape closes)", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Markdown(f"{KEYS}\n{SCREENS}\n{phases_table()}")
