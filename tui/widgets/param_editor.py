"""The parameter editor: one validated input per declared parameter, grouped by role.

Values are checked as they are typed (an invalid one shows an inline message) and applied
with ``enter`` or on leaving the field (:class:`ParamEditor.Changed`); an invalid value
changes nothing (``enter`` also raises :class:`ParamEditor.Invalid`, leaving the field
restores the last valid value).  ``↑``/``↓`` nudge the focused value by one step of its
declared range (``shift`` for ten), on a log scale where the parameter is declared ``log``
and by whole units for integers (see :mod:`tui.values`).  ``escape`` restores the last valid
value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantFocus
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from priors.params import Param, ParamError, Scalar
from sme.runtime.errors import escape_line
from tui.values import format_value, nudge, parse_value, range_hint

#: widest parameter-name column (longer names are cut; the help line shows them in full)
MAX_NAME_WIDTH = 14

GROUP_TITLES = {"prior": "prior · designable", "world": "world · context",
                "reward": "reward · context"}


class ParamInput(Input):
    """An input for one parameter, with nudge keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "nudge(1)", "nudge", key_display="↑↓", show=False),
        Binding("down", "nudge(-1)", "nudge", show=False),
        Binding("shift+up", "nudge(10)", "×10", show=False),
        Binding("shift+down", "nudge(-10)", "×10", show=False),
        Binding("escape", "revert", "revert", show=False),
    ]

    def __init__(self, param: Param, value: Scalar, **kwargs: object) -> None:
        super().__init__(format_value(value), compact=True, select_on_focus=False,
                         **kwargs)  # type: ignore[arg-type]
        self.param = param
        self.current: Scalar = value

    def action_nudge(self, steps: int) -> None:
        """Move the value by ``steps`` steps (from the last valid value); applies at once.

        The new value becomes current here, before any message is handled, so that keys
        sent in a burst each move it one step further."""
        moved = nudge(self.param, self.current, steps)
        if moved == self.current:
            return
        self.current = moved
        self.value = format_value(moved)
        self.cursor_position = len(self.value)
        self.post_message(ParamEditor.Changed(self.param.name, moved, nudged=True))

    def action_revert(self) -> None:
        """Restore the last valid value."""
        self.value = format_value(self.current)


class ParamRow(Horizontal):
    """Name, input and allowed range of one parameter, with an inline error line."""

    def __init__(self, param: Param, value: Scalar, name_width: int) -> None:
        super().__init__(classes="param-row", id=f"row-{param.name}")
        self.param = param
        self._value = value
        self._name_width = name_width

    def compose(self) -> ComposeResult:
        name = Label(self.param.name, classes="param-name")
        name.styles.width = self._name_width
        yield name
        if self.param.choices is not None:  # categorical: pick one of its choices
            yield Select([(format_value(c), c) for c in self.param.choices], value=self._value,
                         allow_blank=False, compact=True, id=f"param-{self.param.name}",
                         classes="param-select")
        else:
            yield ParamInput(self.param, self._value, id=f"param-{self.param.name}",
                             classes="param-input")
        yield Label(range_hint(self.param), classes="param-range")


class ParamEditor(VerticalScroll, can_focus=False):
    """Every declared parameter of a scenario, grouped as prior, world and reward (the
    inputs take the focus; the editor scrolls to the focused one)."""

    class Changed(Message):
        """A parameter now holds a new valid value (``nudged``: by a nudge key)."""

        def __init__(self, name: str, value: Scalar, nudged: bool = False) -> None:
            super().__init__()
            self.name = name
            self.value = value
            self.nudged = nudged

    class Invalid(Message):
        """An entered value was rejected; ``error`` says why."""

        def __init__(self, name: str, error: str) -> None:
            super().__init__()
            self.name = name
            self.error = error

    def __init__(self, groups: Mapping[str, Mapping[str, Param]],
                 values: Mapping[str, Scalar], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._groups = groups
        self._values = dict(values)

    def compose(self) -> ComposeResult:
        longest = max((len(n) for params in self._groups.values() for n in params), default=1)
        width = min(MAX_NAME_WIDTH, longest) + 1
        for group, params in self._groups.items():
            if not params:
                continue
            yield Label(GROUP_TITLES.get(group, group), classes="group-title")
            for name, param in params.items():
                yield ParamRow(param, self._values[name], width)
                yield Static("", classes="param-error", id=f"error-{name}")
        yield Static("", id="param-help")

    def _input(self, name: str) -> ParamInput:
        return self.query_one(f"#param-{name}", ParamInput)

    def _error(self, name: str, message: str) -> None:
        line = self.query_one(f"#error-{name}", Static)
        line.update(message)
        line.set_class(bool(message), "-shown")
        self.query_one(f"#param-{name}").set_class(bool(message), "-invalid")

    def set_values(self, values: Mapping[str, Scalar]) -> None:
        """Show ``values`` (already valid) without announcing them as edits."""
        for name, value in values.items():
            if name not in self._values:
                continue
            self._values[name] = value
            widget = self.query_one(f"#param-{name}")
            if isinstance(widget, Select):
                if widget.value != value:
                    widget.value = value
                continue
            assert isinstance(widget, ParamInput)
            if widget.current == value and type(widget.current) is type(value):
                continue  # shown already (keeps what is being typed)
            widget.current = value
            widget.value = format_value(value)
            self._error(name, "")

    @on(Select.Changed, ".param-select")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        name = (event.select.id or "").removeprefix("param-")
        if name in self._values and event.value != self._values[name] \
                and event.value is not Select.NULL:
            self._values[name] = event.value  # type: ignore[assignment]
            self.post_message(self.Changed(name, event.value))  # type: ignore[arg-type]

    def _commit(self, box: ParamInput, text: str) -> str | None:
        """Apply ``text`` to ``box``'s parameter; returns the error when it is invalid."""
        name = box.param.name
        if text == format_value(box.current):
            self._error(name, "")  # shown as it is: keep the full-precision value
            return None
        try:
            value = parse_value(box.param, text)
        except ParamError as exc:
            self._error(name, _short(str(exc), name))
            return escape_line(str(exc))
        self._apply(box, value)
        return None

    def _apply(self, box: ParamInput, value: Scalar) -> None:
        """Make ``value`` (valid) the parameter's value and announce it when it changed."""
        name = box.param.name
        self._error(name, "")
        if value != box.current or type(value) is not type(box.current):
            box.current = value
            self._values[name] = value
            self.post_message(self.Changed(name, value))

    @on(Input.Changed, ".param-input")
    def _typed(self, event: Input.Changed) -> None:
        """Check as you type (nudges have applied their value already)."""
        event.stop()
        box = event.input
        assert isinstance(box, ParamInput)
        self._values[box.param.name] = box.current
        if event.value == format_value(box.current):
            self._error(box.param.name, "")
            return
        try:
            parse_value(box.param, event.value)
        except ParamError as exc:
            self._error(box.param.name, _short(str(exc), box.param.name))
        else:
            self._error(box.param.name, "")

    @on(Input.Submitted, ".param-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = event.input
        assert isinstance(box, ParamInput)
        error = self._commit(box, event.value)
        if error is not None:
            self.post_message(self.Invalid(box.param.name, error))

    @on(Input.Blurred, ".param-input")
    def _left(self, event: Input.Blurred) -> None:
        box = event.input
        assert isinstance(box, ParamInput)
        if self._commit(box, box.value) is not None:
            box.action_revert()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        widget = event.widget
        if isinstance(widget, ParamInput):
            param = widget.param
            text = f"{param.name}: {param.help or 'no description'} ({param.describe()})"
            self.query_one("#param-help", Static).update(text)


def _short(message: str, name: str) -> str:
    """The validation message without the ``parameter 'name':`` prefix."""
    prefix = f"parameter {name!r}: "
    return escape_line(message[len(prefix):] if message.startswith(prefix) else message)
