"""The memory budget of one compilation, checked before the large tensors are allocated.

:func:`priors.compile.compile_models` sets the budget (``memory_budget`` bytes) for the
duration of a compilation; the places that allocate in proportion to a resolution setting
ask :func:`require` first, so that ``--points 1000000000`` or ``--mc-samples 10**12`` is
refused with one line naming the setting, the estimate and the budget instead of failing
inside the allocator.  Configurations are already processed in chunks sized to the budget;
what is checked here is the part that cannot be split: one configuration.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from contextvars import ContextVar

#: bytes per Θ point and action of one configuration while it is compiled (K, U, masks and
#: intermediates, float64; the figure compile_models sizes its chunks with)
BYTES_PER_POINT_ACTION = 8 * 16 * 4
#: bytes per Monte Carlo draw and cell: the world's and the belief's log-densities (float64)
BYTES_PER_DRAW = 8 * 2

_BUDGET: ContextVar[int | None] = ContextVar("memory_budget", default=None)


class BudgetError(ValueError):
    """One configuration needs more working memory than the budget; the message names the
    setting to lower, the estimate and the budget."""


def format_bytes(count: float) -> str:
    """``count`` bytes in binary units: ``512 MB``, ``1.5 GB``, ``8 TB``."""
    units = ("bytes", "KB", "MB", "GB", "TB", "PB", "EB")
    power = 0 if count < 1024 else min(len(units) - 1, int(math.log(count, 1024)))
    value = count / 1024 ** power
    return f"{value:.3g} {units[power]}" if power else f"{int(count)} bytes"


@contextlib.contextmanager
def memory_budget(budget: int | None) -> Iterator[None]:
    """Make ``budget`` bytes the limit that :func:`require` checks inside the block."""
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def require(estimate: float, setting: str, what: str) -> None:
    """Refuse work estimated at ``estimate`` bytes when a budget is set and it is smaller.

    Raises:
        BudgetError: ``SETTING: WHAT need about X, above --memory-budget B; lower it or
            raise --memory-budget``.
    """
    budget = _BUDGET.get()
    if budget is None or estimate <= budget:
        return
    raise BudgetError(
        f"{setting}: {what} need about {format_bytes(estimate)} of working memory for one "
        f"configuration, above --memory-budget {format_bytes(budget)}; lower "
        f"{setting.split()[0]} or raise --memory-budget (in MB)")
