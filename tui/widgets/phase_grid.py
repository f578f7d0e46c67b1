"""A phase diagram as a grid of coloured letters with a movable cursor.

Arrow keys move the cursor (``shift`` moves by five cells, ``home``/``end`` to the row's
ends); ``enter`` announces the cell (:class:`PhaseGrid.Selected`).  The current prior is
marked ``◆``.  A grid larger than the widget scrolls so the cursor stays in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from sme.engine.phases import Phase
from sme.figures.report import INVALID_GLYPH, PHASE_GLYPH

#: characters left of the cells: y labels and the axis line
LABEL_WIDTH = 10
#: lines below the cells: axis, tick labels, axis name
FOOT_LINES = 3


@dataclass(frozen=True)
class GridData:
    """What the grid shows: ``phases[j][i]`` at ``y_values[j]``, ``x_values[i]``."""

    x_name: str
    y_name: str
    x_values: Sequence[float]
    y_values: Sequence[float]
    phases: Sequence[Sequence[Phase | None]]  # None: an invalid cell


def _window(cursor: int, count: int, visible: int, offset: int) -> int:
    """The first visible index so that ``cursor`` lies in the window."""
    if count <= visible:
        return 0
    offset = min(offset, cursor)
    offset = max(offset, cursor - visible + 1)
    return max(0, min(offset, count - visible))


class PhaseGrid(Widget, can_focus=True):
    """The cells of a phase diagram with a cursor (row ``j`` counts up from the bottom)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(0, 1)", "move", show=False),
        Binding("down", "move(0, -1)", "move", show=False),
        Binding("left", "move(-1, 0)", "move", show=False),
        Binding("right", "move(1, 0)", "move", show=False),
        Binding("shift+up", "move(0, 5)", "move", show=False),
        Binding("shift+down", "move(0, -5)", "move", show=False),
        Binding("shift+left", "move(-5, 0)", "move", show=False),
        Binding("shift+right", "move(5, 0)", "move", show=False),
        Binding("home", "move(-100000, 0)", "first", show=False),
        Binding("end", "move(100000, 0)", "last", show=False),
        Binding("enter", "select", "Load cell"),
    ]

    cursor: reactive[tuple[int, int]] = reactive((0, 0))

    class Moved(Message):
        """The cursor is now on cell ``(row, column)``."""

        def __init__(self, row: int, column: int) -> None:
            super().__init__()
            self.row = row
            self.column = column

    class Selected(Message):
        """``enter`` on cell ``(row, column)``."""

        def __init__(self, row: int, column: int) -> None:
            super().__init__()
            self.row = row
            self.column = column

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.data: GridData | None = None
        self.mark: tuple[int, int] | None = None
        self._offset = (0, 0)

    def show(self, data: GridData, mark: tuple[int, int] | None) -> None:
        """Display ``data``; put the cursor on ``mark`` (or the middle) and mark it ``◆``."""
        self.data = data
        self.mark = mark
        ny, nx = len(data.y_values), len(data.x_values)
        self.cursor = mark if mark is not None else (ny // 2, nx // 2)
        self.refresh()

    def set_mark(self, mark: tuple[int, int] | None) -> None:
        """Move the ``◆`` marking the current prior."""
        self.mark = mark
        self.refresh()

    def watch_cursor(self, cursor: tuple[int, int]) -> None:
        if self.data is not None:
            self.post_message(self.Moved(*cursor))

    def action_move(self, dx: int, dy: int) -> None:
        """Move the cursor by ``dx`` columns and ``dy`` rows (clipped to the grid)."""
        if self.data is None:
            return
        j, i = self.cursor
        ny, nx = len(self.data.y_values), len(self.data.x_values)
        self.cursor = (min(ny - 1, max(0, j + dy)), min(nx - 1, max(0, i + dx)))
        self.refresh()

    def action_select(self) -> None:
        """Announce the cell under the cursor."""
        if self.data is not None:
            self.post_message(self.Selected(*self.cursor))

    def render(self) -> Text:
        data = self.data
        if data is None:
            return Text("no diagram yet: choose the axes and compute", style="italic")
        width, height = self.size
        ny, nx = len(data.y_values), len(data.x_values)
        rows_visible = max(1, height - FOOT_LINES)
        cols_visible = max(1, (width - LABEL_WIDTH - 1) // 2)
        j, i = self.cursor
        top = _window(ny - 1 - j, ny, rows_visible, self._offset[0])
        left = _window(i, nx, cols_visible, self._offset[1])
        self._offset = (top, left)
        shown_rows = range(top, min(ny, top + rows_visible))
        shown_cols = range(left, min(nx, left + cols_visible))
        out = Text(no_wrap=True, overflow="crop")
        label_rows = {shown_rows.start, shown_rows.stop - 1,
                      (shown_rows.start + shown_rows.stop) // 2}
        for r in shown_rows:
            row = ny - 1 - r
            label = f"{data.y_values[row]:.3g}" if r in label_rows else ""
            out.append(f"{label:>{LABEL_WIDTH - 1}}│")
            for col in shown_cols:
                phase = data.phases[row][col]
                if phase is None:  # violates a constraint of the scenario
                    glyph, colour = INVALID_GLYPH, "grey50"
                else:
                    glyph, colour = PHASE_GLYPH[phase], phase.colour
                glyph = "◆" if self.mark == (row, col) else glyph
                if (row, col) == (j, i):
                    out.append(f"{glyph}◂", style=f"bold {colour} on black")
                elif phase is None:
                    out.append(f"{glyph} ", style=colour)
                else:
                    out.append(f"{glyph} ", style=f"black on {colour}")
            out.append("\n")
        span = 2 * len(shown_cols)
        out.append(" " * (LABEL_WIDTH - 1) + "└" + "─" * span + "\n")
        lo = f"{data.x_values[shown_cols.start]:.3g}"
        hi = f"{data.x_values[shown_cols.stop - 1]:.3g}"
        gap = max(1, span - len(lo) - len(hi))
        out.append(" " * LABEL_WIDTH + lo + " " * gap + hi + "\n")
        title = f"{data.x_name} →   ↑ {data.y_name}"
        out.append(" " * LABEL_WIDTH + title, style="bold")
        return out
