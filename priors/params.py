"""Declared parameters of a scenario: what users design, sweep and search over.

A :class:`Param` declares one named input of a belief, world or payoff program: its default
value and the values it may take.  Four kinds exist, mirroring Optuna's distributions so that a
search space can be built from declarations alone:

* ``float``  – a real value, optionally bounded by ``low``/``high``, optionally on a log scale;
* ``int``    – an integer value (declared by an ``int`` default or ``integer=True``);
* ``categorical`` – one of ``choices`` (numbers, strings or booleans).

Values are validated with :meth:`Param.validate`, which raises :class:`ParamError` with a
message naming the parameter; nothing here executes text coming from a user.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Scalar = float | int | str | bool
UNNAMED = "(unnamed)"  # how a declaration not yet given its name is called in messages


class ParamError(ValueError):
    """A parameter value or declaration is invalid; the message names the parameter."""


@dataclass(frozen=True)
class Param:
    """Declaration of one named scenario parameter.

    Args:
        default: the baseline value; its type decides the kind unless ``choices`` is given
            (``int`` → integer, ``float`` → real).
        low, high: inclusive bounds (both optional for reals and integers).
        log: sample and sweep on a log scale (requires ``low > 0``).
        choices: a finite set of allowed values; makes the parameter categorical.
        integer: force the integer kind even for a float default.
        help: one line shown in help texts and the terminal UI.
        label: the axis label in figures (default: ``help`` with the name, else the name).
    """

    default: Scalar
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Scalar, ...] | None = None
    integer: bool = False
    help: str = ""
    label: str = ""
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
            if not self.choices:
                raise ParamError(f"parameter {self._label}: 'choices' is empty")
            if self.default not in self.choices:
                raise ParamError(
                    f"parameter {self._label}: default {self.default!r} is not one of "
                    f"{list(self.choices)}"
                )
            return
        if isinstance(self.default, bool) or not isinstance(self.default, int | float):
            raise ParamError(
                f"parameter {self._label}: default must be a number "
                f"(or give 'choices'), got {self.default!r}"
            )
        if isinstance(self.default, int):
            object.__setattr__(self, "integer", True)
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ParamError(f"parameter {self._label}: low {self.low} > high {self.high}")
        if self.log and (self.low is None or self.low <= 0):
            raise ParamError(f"parameter {self._label}: log scale needs low > 0")
        try:
            self.validate(self.default)
        except ParamError as exc:
            prefix = f"parameter {self._label}: "
            raise ParamError(prefix + "default " + str(exc).removeprefix(prefix)) from None

    @property
    def _label(self) -> str:
        return repr(self.name) if self.name else UNNAMED

    def named(self, name: str) -> Param:
        """Return a copy that knows its own name (used in error messages)."""
        return Param(
            self.default, self.low, self.high, self.log, self.choices, self.integer,
            self.help, self.label, name,
        )

    @property
    def kind(self) -> str:
        """``"categorical"``, ``"int"`` or ``"float"``."""
        if self.choices is not None:
            return "categorical"
        return "int" if self.integer else "float"

    @property
    def is_numeric(self) -> bool:
        """True when every allowed value is a number (so it can travel as a tensor)."""
        if self.choices is None:
            return True
        return all(isinstance(c, int | float) and not isinstance(c, bool) for c in self.choices)

    @property
    def bounded(self) -> bool:
        """True when both ``low`` and ``high`` are declared (needed to sweep or search)."""
        return self.choices is not None or (self.low is not None and self.high is not None)

    def validate(self, value: Any) -> Scalar:
        """Check ``value`` against the declaration and return it in canonical form.

        Raises:
            ParamError: naming the parameter and what was expected.
        """
        if (type(value) is float and self.choices is None and not self.integer
                and math.isfinite(value) and (self.low is None or value >= self.low)
                and (self.high is None or value <= self.high)):
            return value  # the common case, already canonical
        if self.choices is not None:
            for choice in self.choices:
                if value == choice and type(value) is type(choice):
                    return choice
            # accept "2" for choice 2 and 2 for choice 2.0 (text from a command line)
            for choice in self.choices:
                if str(value) == str(choice) or (
                    isinstance(choice, int | float) and not isinstance(choice, bool)
                    and _as_number(value) == choice
                ):
                    return choice
            raise ParamError(
                f"parameter {self._label}: {value!r} is not one of {list(self.choices)}"
            )
        number = _as_number(value)
        if number is None:
            raise ParamError(f"parameter {self._label}: expected a number, got {value!r}")
        if not math.isfinite(number):
            raise ParamError(f"parameter {self._label}: expected a finite number, got {value!r}")
        if self.integer:
            if number != int(number):
                raise ParamError(f"parameter {self._label}: expected an integer, got {value!r}")
            number = int(number)
        if self.low is not None and number < self.low:
            raise ParamError(f"parameter {self._label}: {number} is below its low bound {self.low}")
        if self.high is not None and number > self.high:
            raise ParamError(
                f"parameter {self._label}: {number} is above its high bound {self.high}"
            )
        return number if self.integer else float(number)

    def describe(self) -> str:
        """A short human description of the allowed values, e.g. ``float in [0, 3] (log)``."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{self.kind} in [{lo}, {hi}]" + (" (log)" if self.log else "")


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer beyond the float range
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def declare(params: Mapping[str, Param] | None, group: str) -> dict[str, Param]:
    """Validate a mapping of declarations and return it with each :class:`Param` named.

    Raises:
        ParamError: when a key is not an identifier or a value is not a :class:`Param`.
    """
    result: dict[str, Param] = {}
    for name, param in (params or {}).items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ParamError(f"{group}: parameter name {name!r} is not a Python identifier")
        if not isinstance(param, Param):
            raise ParamError(f"{group}: parameter {name!r} must be a Param, got {param!r}")
        result[name] = param.named(name)
    return result


def resolve(
    declared: Mapping[str, Param], overrides: Mapping[str, Any] | None = None
) -> dict[str, Scalar]:
    """Defaults of ``declared`` updated by ``overrides``, each validated.

    Raises:
        ParamError: for an unknown name (listing the known ones) or an invalid value.
    """
    values = {name: p.default for name, p in declared.items()}
    for name, value in (overrides or {}).items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ParamError(f"unknown parameter {name!r} (known: {known})")
        values[name] = declared[name].validate(value)
    return values


def grid_values(param: Param, low: float, high: float, count: int, log: bool) -> Sequence[float]:
    """``count`` evenly spaced values from ``low`` to ``high`` (geometrically when ``log``)."""
    if count < 1:
        raise ParamError(f"parameter {param._label}: a sweep needs at least one value")
    if count == 1:
        return [low]
    if log:
        if low <= 0 or high <= 0:
            raise ParamError(f"parameter {param._label}: a log sweep needs positive bounds")
        a, b = math.log(low), math.log(high)
        inner = [math.exp(a + (b - a) * k / (count - 1)) for k in range(1, count - 1)]
    else:
        inner = [low + (high - low) * k / (count - 1) for k in range(1, count - 1)]
    return [low, *inner, high]  # exact ends: rounding must not step outside the bounds
