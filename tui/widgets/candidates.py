"""The candidates of a search as a table: one row per completed trial, coloured by its phase,
with its Pareto rank, objectives, objective-risk verdict and prior values.

Rows come best first (safe before unsafe, then by Pareto rank and score: the order of
``sme candidates``); ``s`` sorts by the next column in turn (after the last one: best first
again), and clicking a column header sorts by it (again: the other way; a third time: best
first).  While
``follow`` is on, the cursor moves to the best trial after every update (the first row in
the best-first order); moving the cursor yourself turns it off, ``b`` turns it on again.
At most :data:`MAX_ROWS` rows are shown: the first ones of the order chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.widgets import DataTable

from tui.services import OBJECTIVES, Candidate
from tui.values import format_value
from tui.widgets.phase_badge import phase_chip

#: at most this many rows are shown (the first ones of the chosen order)
MAX_ROWS = 2000
#: keys that move the cursor (they turn ``follow`` off)
MOVES = {"up", "down", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end"}


def _number(value: object) -> Text:
    if isinstance(value, int | float) and math.isfinite(value):
        return Text(f"{value:.3g}", justify="right")
    return Text("—", justify="right", style="dim")


def _sort_value(candidate: Candidate, column: str) -> tuple[int, Any]:
    """A key for sorting by ``column`` (missing values last)."""
    if column == "trial":
        value: Any = candidate.trial
    elif column == "phase":
        value = candidate.phase
    elif column == "rank":
        value = candidate.rank if candidate.feasible else None
    elif column == "risks":
        value = candidate.risk_verdict
    elif column in OBJECTIVES:
        value = candidate.objectives.get(column)
    else:
        value = candidate.params.get(column.removeprefix("p:"))
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if value is None:
        return (1, 0)
    return (0, value if isinstance(value, int | float) else str(value))


class CandidatesTable(DataTable[object]):
    """Trials best first (or sorted by a column); the cursor follows the best trial or
    stays on the trial you chose."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort", "Sort"),
        Binding("b", "best", "Best"),
    ]

    def __init__(self, prior_names: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.prior_names = list(prior_names)
        self.candidates: dict[int, Candidate] = {}
        self.ordered: list[Candidate] = []  # best first, as given
        self.follow = True
        self.sort_column: str | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        self.add_column("trial", key="trial")
        self.add_column("ph", key="phase")
        self.add_column("pareto", key="rank")
        for name in OBJECTIVES:
            self.add_column(name, key=name)
        self.add_column("risks", key="risks")
        for name in self.prior_names:
            self.add_column(name, key=f"p:{name}")

    @property
    def best(self) -> Candidate | None:
        """The best trial (first in the best-first order)."""
        return self.ordered[0] if self.ordered else None

    def set_candidates(self, candidates: Sequence[Candidate]) -> None:
        """Replace the rows; the cursor goes to the best trial while following, else stays
        on the same trial when it is still shown."""
        current = self.selected
        self.ordered = list(candidates)
        self._fill()
        if self.follow and self.best is not None:
            self._go(self.best.trial)
        elif current is not None and current.trial in self.candidates:
            self._go(current.trial)

    def _rows(self) -> list[Candidate]:
        if self.sort_column is None:
            return self.ordered[:MAX_ROWS]
        column = self.sort_column
        present = [c for c in self.ordered if _sort_value(c, column)[0] == 0]
        missing = [c for c in self.ordered if _sort_value(c, column)[0] == 1]
        present.sort(key=lambda c: _sort_value(c, column)[1], reverse=self.sort_reverse)
        return (present + missing)[:MAX_ROWS]

    def _fill(self) -> None:
        shown = self._rows()
        self.candidates = {c.trial: c for c in shown}
        self.clear()
        for cand in shown:
            self.add_row(
                Text(f"#{cand.trial}", justify="right"),
                phase_chip(cand.phase),
                Text(str(cand.rank), justify="right") if cand.feasible
                else Text("—", justify="right", style="dim"),
                *(_number(cand.objectives.get(name)) for name in OBJECTIVES),
                Text(cand.risk_verdict or "—", style="" if cand.risk_verdict else "dim"),
                *(Text(format_value(cand.params[n]), justify="right") if n in cand.params
                  else Text("—", style="dim") for n in self.prior_names),
                key=str(cand.trial),
            )

    def _go(self, trial: int) -> None:
        if str(trial) in self.rows:
            self.move_cursor(row=self.get_row_index(str(trial)))

    def on_key(self, event: Key) -> None:
        if event.key in MOVES:
            self.follow = False

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def action_sort(self) -> None:
        """Sort by the next column (best first after the last one)."""
        keys = [str(k.value) for k in self.columns if k.value not in ("trial",)]
        keys.append("trial")
        if self.sort_column is None:
            column: str | None = keys[0]
        else:
            at = keys.index(self.sort_column) if self.sort_column in keys else -1
            column = keys[at + 1] if at + 1 < len(keys) else None
        self.sort_column, self.sort_reverse = column, False
        current = self.selected
        self._fill()
        if current is not None:
            self._go(current.trial)

    def sort_by(self, column: str) -> None:
        """Sort by ``column`` (its key), cycling ascending, descending, best first."""
        if self.sort_column != column:
            self.sort_column, self.sort_reverse = column, False
        elif not self.sort_reverse:
            self.sort_reverse = True
        else:
            self.sort_column, self.sort_reverse = None, False
        current = self.selected
        self._fill()
        if current is not None:
            self._go(current.trial)

    def action_best(self) -> None:
        """Put the cursor on the best trial and follow it from now on."""
        self.follow = True
        if self.best is not None:
            self._go(self.best.trial)

    @property
    def order_text(self) -> str:
        """How the rows are sorted, in words."""
        if self.sort_column is None:
            return "best first"
        name = self.sort_column.removeprefix("p:")
        return f"by {name}, {'descending' if self.sort_reverse else 'ascending'}"

    @property
    def selected(self) -> Candidate | None:
        """The candidate under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return self.candidates.get(int(str(key.value))) if key.value is not None else None
