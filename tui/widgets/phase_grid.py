"""A phase diagram as a grid of coloured letters with a movable cursor.

Arrow keys move the cursor (``shift`` moves by five cells, ``home``/``end`` to the row's
ends) and a click puts it on the cell clicked; ``enter`` or a double click announces the
cell (:class:`PhaseGrid.Selected`).  The current prior is marked ``◆`` (``◇`` when the
diagram is stale).  A grid larger than the widget shows a window that follows the cursor,
or (``whole``) the whole grid with one character per cell, sampled evenly when the cells
outnumber the characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Click
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
    #: the whole grid (sampled to fit) instead of a window around the cursor
    whole: reactive[bool] = reactive(False)

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
        self.stale = False
        self._offset = (0, 0)
        #: where the last render put the cells: rows (top first), columns, cell width
        self._layout: tuple[list[int], list[int], int] = ([], [], 2)

    def show(self, data: GridData, mark: tuple[int, int] | None) -> None:
        """Display ``data``; put the cursor on ``mark`` (or the middle) and mark it ``◆``."""
        self.data = data
        self.mark = mark
        ny, nx = len(data.y_values), len(data.x_values)
        self.cursor = mark if mark is not None else (ny // 2, nx // 2)
        self.refresh()

    def set_mark(self, mark: tuple[int, int] | None, stale: bool = False) -> None:
        """Move the ``◆`` marking the current prior (``◇`` for a stale diagram)."""
        self.mark = mark
        self.stale = stale
        self.refresh()

    def watch_whole(self) -> None:
        self.refresh()

    def on_click(self, event: Click) -> None:
        """Put the cursor on the cell clicked; a double click announces it."""
        rows, cols, width = self._layout
        if self.data is None or not rows or not cols:
            return
        line, column = event.y, event.x - LABEL_WIDTH
        if not 0 <= line < len(rows) or column < 0 or column // width >= len(cols):
            return
        self.cursor = (rows[line], cols[column // width])
        self.refresh()
        if event.chain >= 2:
            self.post_message(self.Selected(*self.cursor))

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
        room = max(1, width - LABEL_WIDTH - 1)
        j, i = self.cursor
        if self.whole:
            cell = 2 if 2 * nx <= room else 1
            step_x, step_y = max(1, math.ceil(nx * cell / room)), max(1, math.ceil(ny /
                                                                               rows_visible))
            cols = sorted({*range(0, nx, step_x), nx - 1})
            cols = _thinned(cols, room // cell)
            rows_up = _thinned(sorted({*range(0, ny, step_y), ny - 1}), rows_visible)
            rows = rows_up[::-1]
            cursor_cell = (_nearest(rows, j), _nearest(cols, i))
            mark = None if self.mark is None else (_nearest(rows, self.mark[0]),
                                                   _nearest(cols, self.mark[1]))
        else:
            cell = 2
            top = _window(ny - 1 - j, ny, rows_visible, self._offset[0])
            left = _window(i, nx, room // cell, self._offset[1])
            self._offset = (top, left)
            rows = [ny - 1 - r for r in range(top, min(ny, top + rows_visible))]
            cols = list(range(left, min(nx, left + room // cell)))
            cursor_cell = (j, i)
            mark = self.mark
        self._layout = (rows, cols, cell)
        out = Text(no_wrap=True, overflow="crop")
        label_rows = {0, len(rows) - 1, (len(rows) - 1) // 2}
        mark_glyph = "◇" if self.stale else "◆"
        for line, row in enumerate(rows):
            label = f"{data.y_values[row]:.3g}" if line in label_rows else ""
            out.append(f"{label:>{LABEL_WIDTH - 1}}│")
            for col in cols:
                phase = data.phases[row][col]
                if phase is None:  # violates a constraint, or cannot be analysed
                    glyph, colour = INVALID_GLYPH, "grey50"
                else:
                    glyph, colour = PHASE_GLYPH[phase], phase.colour
                glyph = mark_glyph if mark == (row, col) else glyph
                pad = " " if cell == 2 else ""
                if (row, col) == cursor_cell:
                    out.append(f"{glyph}◂" if cell == 2 else glyph,
                               style=f"bold {colour} on black" if cell == 2 else
                               "bold reverse")
                elif phase is None:
                    out.append(f"{glyph}{pad}", style=colour)
                else:
                    out.append(f"{glyph}{pad}", style=f"black on {colour}")
            out.append("\n")
        span = cell * len(cols)
        out.append(" " * (LABEL_WIDTH - 1) + "└" + "─" * span + "\n")
        lo = f"{data.x_values[cols[0]]:.3g}"
        hi = f"{data.x_values[cols[-1]]:.3g}"
        gap = max(1, span - len(lo) - len(hi))
        out.append(" " * LABEL_WIDTH + lo + " " * gap + hi + "\n")
        sampled = " (whole grid" + (", sampled" if len(cols) < nx or len(rows) < ny else "") \
            + "; z: window)" if self.whole else ""
        title = f"{data.x_name} →   ↑ {data.y_name}{sampled}"
        out.append(" " * LABEL_WIDTH + title, style="bold")
        return out


def _thinned(indices: list[int], room: int) -> list[int]:
    """At most ``room`` of ``indices``, evenly spread, first and last kept."""
    if len(indices) <= room or room < 2:
        return indices[:max(1, room)] if len(indices) > room else indices
    picks = {round(k * (len(indices) - 1) / (room - 1)) for k in range(room)}
    return [indices[k] for k in sorted(picks)]


def _nearest(values: list[int], target: int) -> int:
    """The element of ``values`` nearest ``target``."""
    return min(values, key=lambda v: abs(v - target))
