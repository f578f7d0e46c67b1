"""The candidates of a search as a table: one row per completed trial, best first, each
coloured by its phase."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from tui.services import OBJECTIVES, Candidate
from tui.widgets.phase_badge import phase_chip

#: at most this many rows are shown (the best ones)
MAX_ROWS = 500


def _number(value: object) -> Text:
    if isinstance(value, int | float) and math.isfinite(value):
        return Text(f"{value:.3g}", justify="right")
    return Text("—", justify="right", style="dim")


class CandidatesTable(DataTable[object]):
    """Trials sorted by feasibility, then by score; the cursor follows its trial across
    updates."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.candidates: dict[int, Candidate] = {}

    def on_mount(self) -> None:
        self.add_column("trial", key="trial")
        self.add_column("ph", key="phase")
        for name in OBJECTIVES:
            self.add_column(name, key=name)

    def set_candidates(self, candidates: Sequence[Candidate]) -> None:
        """Replace the rows, keeping the cursor on the same trial when it is still shown."""
        current = self.selected
        shown = list(candidates)[:MAX_ROWS]
        self.candidates = {c.trial: c for c in shown}
        self.clear()
        for cand in shown:
            self.add_row(
                Text(f"#{cand.trial}", justify="right"),
                phase_chip(cand.phase),
                *(_number(cand.objectives.get(name)) for name in OBJECTIVES),
                key=str(cand.trial),
            )
        if current is not None and current.trial in self.candidates:
            self.move_cursor(row=self.get_row_index(str(current.trial)))

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
