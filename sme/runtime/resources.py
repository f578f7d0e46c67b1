"""Memory estimates for work whose size the user sets, checked before anything is allocated.

One analysed configuration is checked inside the compiler (:mod:`priors.budget`: ``--points``
and ``--mc-samples`` against ``--memory-budget``); many configurations are split into passes
sized to the budget.  What cannot be split is checked here: the learners of a simulation and
the history of their actions, which are kept for the whole run.
"""

from __future__ import annotations

from priors.budget import format_bytes
from sme.runtime.errors import ResourceError

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


#: bytes per configuration a search batch holds at once (the parameter mapping and its
#: results), and per trial (Optuna's trial object, its parameters and attributes)
BYTES_PER_SEARCH_CONFIG = 1024
BYTES_PER_TRIAL = 4096
#: resident memory of one worker process before any work (Python, torch, Pyro, Optuna)
BYTES_PER_WORKER_PROCESS = 400 * 1024 * 1024


def check_search_batch(batch: int, configs_per_trial: int, budget: int) -> None:
    """Refuse a search batch whose trials and configurations (``batch`` trials, each analysed
    with ``configs_per_trial`` configurations) are estimated above ``budget`` bytes.

    Raises:
        ResourceError: one line naming ``--batch``, the estimate and ``--memory-budget``.
    """
    estimate = batch * (configs_per_trial * BYTES_PER_SEARCH_CONFIG + BYTES_PER_TRIAL)
    if estimate <= budget:
        return
    raise ResourceError(
        f"--batch {batch}: {batch} trials × {configs_per_trial} configurations need about "
        f"{format_bytes(estimate)} of memory, above --memory-budget {format_bytes(budget)}; "
        "lower --batch (or --margin-directions) or raise --memory-budget (in MB)")


def check_margin_directions(directions: int, levels: int, batch: int, budget: int) -> None:
    """Refuse ``directions`` margin directions (each analysed at ``levels`` radii for each of
    ``batch`` trials) estimated above ``budget`` bytes, before the directions are drawn.

    Raises:
        ResourceError: one line naming ``--margin-directions``, the estimate and
            ``--memory-budget``.
    """
    configs = 1 + directions * levels
    estimate = batch * (configs * BYTES_PER_SEARCH_CONFIG + BYTES_PER_TRIAL)
    if estimate <= budget:
        return
    raise ResourceError(
        f"--margin-directions {directions}: {batch} trials × {configs} neighbour "
        f"configurations need about {format_bytes(estimate)} of memory, above --memory-budget "
        f"{format_bytes(budget)}; lower --margin-directions (or --batch) or raise "
        "--memory-budget (in MB)")


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, when the system says."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_workers(workers: int, budget: int) -> None:
    """Refuse ``workers`` processes that, each with its own ``budget`` of working memory,
    would need more than this machine's physical memory.

    Raises:
        ResourceError: one line naming ``--workers``, the estimate and the machine's memory.
    """
    memory = physical_memory()
    estimate = workers * (BYTES_PER_WORKER_PROCESS + budget)
    if memory is None or workers == 1 or estimate <= memory:
        return
    raise ResourceError(
        f"--workers {workers}: {workers} processes with --memory-budget "
        f"{format_bytes(budget)} each need about {format_bytes(estimate)}, above this "
        f"machine's {format_bytes(memory)} of memory; lower --workers or --memory-budget")
