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
| `F2` `F3` `F4` `F5` | anywhere | design · phase diagram · search · simulate (or click the tabs) |
| `ctrl+p` | anywhere | command palette: every action by name with its key, and the themes |
| `ctrl+s` | anywhere | export the current prior (format, path, overwrite check) |
| `ctrl+o` | anywhere | open an exported prior into the editor |
| `ctrl+n` | anywhere | open another scenario (asks first; its values are remembered) |
| `ctrl+z` `ctrl+y` | anywhere | undo · redo a change of values (edits, loads, resets) |
| `ctrl+t` | anywhere | every parameter back to its default (asks first) |
| `ctrl+q` | anywhere | quit (values, forms and theme are remembered for next time) |
| `tab` `shift+tab` | forms | next / previous field |
| `enter`, leaving it | parameter | apply the typed value (an invalid one changes nothing) |
| `↑` `↓` | parameter | nudge by 1/100 of its range (log-scale aware, whole units for integers) |
| `shift+↑` `shift+↓` | parameter | nudge by ten steps |
| `escape` | parameter | restore the last valid value |
| `ctrl+r` | diagram · search · simulate | compute · start · run |
| `ctrl+b` | diagram · search · simulate | stop now |
| arrows, click | diagram grid | move the cursor |
| `enter`, double click | diagram grid | load the cell's values into the editor |
| `z` | diagram grid | whole grid / window around the cursor |
| `ctrl+l` | search | open the study named in the form and show its candidates |
| `l` / `enter`, `x` | candidates | load into the editor, export |
| `s`, header click · `b` | candidates | sort by a column · back to the best trial |
"""

SCREENS = """\
**Design** — every declared parameter: *prior* ones are what you design, *world* and
*reward* ones are context. A valid value is analysed at once: the phase and the Berk–Nash
set first (the status line says previous phase → new phase), then the equilibria, the
explanation and the objective risks; a newer edit abandons the older one. An invalid value
is shown in red and changes nothing. The panel shows the phase, the Berk–Nash set
(✓ safe, ✗ unsafe; *in R*: the agent can keep playing it), the equilibria, an
explanation, the belief program's dependency graph and the best-response graph
(`a ─▶ b`: a belief fitted to always playing `a` makes `b` optimal; `⟲`: the action
confirms itself).

**Phase diagram** — the phase over two parameters, the others at their current values;
`◆` marks the current prior (`◇` and a yellow line when the other values changed since the
diagram was computed); cells that violate a constraint or cannot be analysed are invalid.
Long work — diagrams, searches, simulations — never holds up the design screen, and
`ctrl+b` stops it at once.

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
