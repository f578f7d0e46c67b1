"""Memory estimates for work whose size the user sets, checked before anything is allocated.

One analysed configuration is checked inside the compiler (:mod:`priors.budget`: ``--points``
and ``--mc-samples`` against ``--memory-budget``); many configurations are split into passes
sized to the budget.  What cannot be split is checked here: the learners of a simulation and
the history of their actions, which are kept for the whole run.
"""

from __future__ import annotations

from priors.budget import format_bytes
from sme.errors import ResourceError

#: bytes per learner, Θ point and configuration: log-posterior, weights, update and the
#: likelihood of the outcome (float64), with the per-action likelihood table
BYTES_PER_LEARNER_POINT = 8 * 6
#: bytes per learner, action and configuration (expected payoffs, ties, noise)
BYTES_PER_LEARNER_ACTION = 8 * 6
#: bytes per learner, step and configuration: the recorded action (int8)
BYTES_PER_LEARNER_STEP = 1


def simulation_bytes(learners: int, steps: int, configs: int, points: int, actions: int
                     ) -> tuple[int, int]:
    """Estimated bytes of a simulation: the action history kept for the whole run, and the
    learners' working tensors of one step."""
    history = learners * steps * configs * BYTES_PER_LEARNER_STEP
    working = learners * configs * (points * (BYTES_PER_LEARNER_POINT + 16 * actions)
                                    + actions * BYTES_PER_LEARNER_ACTION)
    return history, working


def check_simulation(learners: int, steps: int, configs: int, points: int, actions: int,
                     budget: int) -> None:
    """Refuse a simulation whose estimate (:func:`simulation_bytes`) is above ``budget``.

    Raises:
        ResourceError: one line naming ``--learners`` and ``--steps``, the estimate and
            ``--memory-budget``.
    """
    history, working = simulation_bytes(learners, steps, configs, points, actions)
    if history + working <= budget:
        return
    raise ResourceError(
        f"--learners {learners} × --steps {steps}: need about "
        f"{format_bytes(history + working)} of memory ({format_bytes(history)} of action "
        f"history, {format_bytes(working)} of beliefs over {points} Θ points), above "
        f"--memory-budget {format_bytes(budget)}; lower --learners or --steps, or raise "
        "--memory-budget (in MB)")
