"""Parameter values as the editor shows them: formatting, parsing and nudging.

Nudging moves a value by one step of its declared range: a hundredth of ``[low, high]`` on a
linear scale, a hundredth of ``[log low, log high]`` on a log scale (so a step multiplies the
value), one unit for integers and the next choice for categorical parameters.  Results are
clipped to the declared bounds.
"""

from __future__ import annotations

import math

from priors.params import Param, Scalar

#: steps per declared range
STEPS_PER_RANGE = 100
#: relative step for a log-scale parameter declared without an upper bound
LOG_FACTOR_UNBOUNDED = 1.05


def format_value(value: Scalar) -> str:
    """Text shown in an input: floats with six significant digits, others as they are."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.6g}"
        return "0" if text == "-0" else text
    return str(value)


def range_hint(param: Param) -> str:
    """A short description of the allowed values, e.g. ``[0, 3] log`` or ``a|b|c``."""
    if param.choices is not None:
        return "|".join(map(str, param.choices))
    lo = "-∞" if param.low is None else f"{param.low:g}"
    hi = "∞" if param.high is None else f"{param.high:g}"
    suffix = " log" if param.log else (" int" if param.kind == "int" else "")
    return f"[{lo}, {hi}]{suffix}"


def parse_value(param: Param, text: str) -> Scalar:
    """The validated value typed as ``text`` (raises :class:`priors.params.ParamError`)."""
    return param.validate(text.strip())


def _clip(param: Param, value: float) -> float:
    if param.low is not None:
        value = max(param.low, value)
    if param.high is not None:
        value = min(param.high, value)
    return value


def _tidy(value: float) -> float:
    """Drop accumulated floating-point noise (12 significant digits)."""
    return float(f"{value:.12g}")


def _linear_step(param: Param, value: float) -> float:
    if param.low is not None and param.high is not None and param.high > param.low:
        return (param.high - param.low) / STEPS_PER_RANGE
    if value == 0:
        return 0.1
    return 10.0 ** (math.floor(math.log10(abs(value))) - 1)


def _log_factor(param: Param) -> float:
    if param.low is not None and param.high is not None and param.high > param.low > 0:
        return (param.high / param.low) ** (1.0 / STEPS_PER_RANGE)
    return LOG_FACTOR_UNBOUNDED


def nudge(param: Param, value: Scalar, steps: int) -> Scalar:
    """``value`` moved by ``steps`` steps (negative: down), within the declared bounds."""
    if param.choices is not None:
        index = param.choices.index(value) if value in param.choices else 0
        index = min(len(param.choices) - 1, max(0, index + steps))
        return param.choices[index]
    number = float(value)
    if param.log and number > 0:
        moved = number * _log_factor(param) ** steps
    else:
        moved = number + steps * _linear_step(param, number)
    if param.kind == "int":
        whole = round(moved)
        if whole == round(number) and steps:
            whole += 1 if steps > 0 else -1
        return int(_clip(param, whole))
    return _tidy(_clip(param, moved))
