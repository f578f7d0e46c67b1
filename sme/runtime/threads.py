"""How many intra-op threads torch should use: chosen from the cores and the load, not inherited.

torch starts one intra-op thread per core.  On a machine busy with other work those threads
compete with it for the same cores, and every parallel operation waits for its slowest
thread, so a loaded machine slows SME by far more than the load (on two cores at load 7 a
phase diagram took five times as long as with one thread).  The rule here:

    threads = max(1, ⌊(cores − busy) / workers⌋), never more than ⌊cores / workers⌋,

where ``cores`` are the CPUs this process may run on (``os.sched_getaffinity``), ``busy``
the processes already running on them (the kernel's count of runnable tasks, less this
one: the most seen in a few samples, since a thread that shares a core slows every parallel
operation far more than a missing thread would; the one-minute load average where that
count is unavailable),
and ``workers`` the processes of this run that compute at the same time (``--workers K``).
A user's choice wins: ``--threads N`` or the ``OMP_NUM_THREADS`` environment variable, up to
the core count (:mod:`sme.runtime.limits`: more threads than cores only compete for them, and
far more cannot be created).
"""

from __future__ import annotations

import os
import time

#: samples of the runnable-task count, and seconds between them
LOAD_SAMPLES, LOAD_SAMPLE_GAP = 5, 0.005


def usable_cores() -> int:
    """The number of CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def _runnable_others() -> float | None:
    """The most runnable tasks other than this one seen in :data:`LOAD_SAMPLES` samples
    (``/proc/loadavg``'s fourth field counts the reader itself), or ``None`` where the
    kernel does not say."""
    counts = []
    for k in range(LOAD_SAMPLES):
        try:
            with open("/proc/loadavg", encoding="ascii") as handle:
                running = handle.read().split()[3].split("/")[0]
            counts.append(max(0, int(running) - 1))
        except (OSError, IndexError, ValueError):
            return None
        if k + 1 < LOAD_SAMPLES:
            time.sleep(LOAD_SAMPLE_GAP)
    return float(max(counts))


def current_load() -> float:
    """Processes competing for the CPUs now (see the module docstring)."""
    others = _runnable_others()
    if others is not None:
        return others
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def choose_threads(workers: int = 1, cores: int | None = None, load: float | None = None
                   ) -> int:
    """Intra-op threads for each of ``workers`` processes computing at once: the free cores
    (``cores − load``) shared among them, at least one, at most their share of the cores."""
    cores = usable_cores() if cores is None else cores
    load = current_load() if load is None else load
    workers = max(1, workers)
    share = max(1, cores // workers)
    free = int(max(0.0, cores - load) // workers)
    return max(1, min(share, free))


def user_threads() -> int | None:
    """The thread count the user set through ``OMP_NUM_THREADS`` (``None`` if unset or not a
    positive integer, in which case torch ignores it too)."""
    text = os.environ.get("OMP_NUM_THREADS", "").strip()
    if text.isdigit() and int(text) > 0:
        return min(int(text), usable_cores())
    return None


def threads_for(requested: int | None = None, workers: int = 1) -> int:
    """The threads per process: ``requested`` (``--threads``) if given, else the user's
    ``OMP_NUM_THREADS``, else :func:`choose_threads`; never more than the cores."""
    if requested is not None:
        return max(1, min(requested, usable_cores()))
    return user_threads() or choose_threads(workers)


def apply_threads(requested: int | None = None, workers: int = 1) -> int:
    """Set torch's intra-op threads to :func:`threads_for` and return the count."""
    import torch

    count = threads_for(requested, workers)
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count
