"""``--workers K``: K local processes running the ask/tell loop on one study.

Each worker is a fresh process (the ``spawn`` start method: nothing is shared with the parent
but the :class:`~search.job.SearchJob`), loads the scenario itself, opens the same study and
runs :func:`search.study.run_trials` for its share of the remaining trials.  The storage
serialises them: Optuna's journal file takes a lock for every append and a database commits
each change, so no trial is lost or numbered twice (Optuna, "Easy parallelization",
https://optuna.readthedocs.io/en/stable/tutorial/10_key_features/004_distributed.html).

The parent only watches the study.  Workers run in their own process group, so Ctrl-C at the
terminal reaches the parent alone: the first press asks every worker to stop after its
current batch, a second press makes them fail their current batch and exit at once.

Workers end with their parent, whatever ends it (SIGTERM, SIGKILL, a crash): on Linux each
worker asks the kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and
everywhere a thread of the worker watches its parent's process id and kills the worker when
the parent is gone (:func:`die_with_parent`).  A trial a killed worker was running is left
RUNNING and is failed and retried by the next search, as after ``kill -9``.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from search.job import SearchJob
from sme.runtime.errors import SMEError
from sme.runtime.threads import threads_for

#: seconds between two looks at the study while workers run
POLL_SECONDS = 0.5
#: seconds between two looks of a worker at its parent (where the kernel does not signal)
PARENT_WATCH_SECONDS = 0.5
#: ``PR_SET_PDEATHSIG`` of Linux's ``prctl`` (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def _kill_self() -> None:
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    os._exit(1)


def die_with_parent(parent: int) -> bool:
    """Make this process end when the process ``parent`` ends: ``PR_SET_PDEATHSIG``
    (SIGKILL) on Linux, and a daemon thread that checks every :data:`PARENT_WATCH_SECONDS`
    that ``os.getppid()`` is still ``parent``.  Ends this process at once if ``parent`` is
    already gone.  Returns True when the kernel will signal (Linux)."""
    kernel = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            kernel = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            kernel = False
    if os.getppid() != parent:  # died before the request took effect
        _kill_self()

    def watch() -> None:
        while True:
            time.sleep(PARENT_WATCH_SECONDS)
            if os.getppid() != parent:
                _kill_self()

    threading.Thread(target=watch, name="sme-parent-watch", daemon=True).start()
    return kernel


@dataclass
class WorkerReport:
    """What a worker said when it ended."""

    index: int
    status: str  # "done", "stopped", "interrupted" or "error"
    told: int = 0
    message: str = ""


def _worker_main(job: SearchJob, index: int, quota: int, threads: int, reports: Any,
                 stop_event: Any, parent: int | None = None) -> None:
    """Entry point of a worker process (``parent``: the process id it ends with)."""
    import warnings

    if parent is not None:
        die_with_parent(parent)

    setpgrp = getattr(os, "setpgrp", None)
    if setpgrp is not None:  # Ctrl-C at the terminal goes to the parent, which relays it
        with contextlib.suppress(OSError):
            setpgrp()
    import torch

    from search.job import prepare
    from search.study import StopFlag, quiet_optuna, run_trials
    from sme.runtime.errors import USER_ERRORS

    torch.set_num_threads(threads)
    warnings.simplefilter("ignore")
    told = 0
    try:
        with quiet_optuna(), StopFlag(event=stop_event) as stop:
            ready = prepare(job, worker=index, clean_stale=False)

            def count(stats: Any) -> None:
                nonlocal told
                told = stats.told

            stats = run_trials(ready.study, ready.space, ready.evaluator, job.objective,
                               target=job.trials, batch=job.batch, quota=quota, stop=stop,
                               on_batch=count)
        reports.put(WorkerReport(index, "stopped" if stats.stopped else "done", stats.told))
    except KeyboardInterrupt:
        reports.put(WorkerReport(index, "interrupted", told))
    except USER_ERRORS as exc:
        reports.put(WorkerReport(index, "error", told, (str(exc).splitlines() or [""])[0]))
    except Exception as exc:  # reported to the parent, which shows one line
        reports.put(WorkerReport(index, "error", told, f"{type(exc).__name__}: {exc}"))


def run_workers(job: SearchJob, quotas: list[int],
                watch: Callable[[], None] | None = None,
                notice: Callable[[], None] | None = None) -> list[WorkerReport]:
    """Run one worker per positive entry of ``quotas`` (its number of trials) and wait for
    them; ``watch`` is called every :data:`POLL_SECONDS` meanwhile and ``notice`` on the
    first Ctrl-C.  Returns the workers' reports (status ``stopped`` or ``interrupted`` after
    Ctrl-C).

    Raises:
        SMEError: a worker failed (its message, naming the worker).
    """
    context = multiprocessing.get_context("spawn")
    reports: Any = context.Queue()
    stop_event = context.Event()
    share = [(k, q) for k, q in enumerate(quotas) if q > 0]
    threads = threads_for(job.threads, workers=len(share))  # never more than the cores
    processes = {k: context.Process(target=_worker_main,
                                    args=(job, k, q, threads, reports, stop_event,
                                          os.getpid()),
                                    name=f"sme-search-worker-{k}")
                 for k, q in share}
    presses = 0

    def relay(signum: int, frame: Any) -> None:
        nonlocal presses
        presses += 1
        stop_event.set()
        if presses == 1 and notice is not None:
            notice()
        if presses > 1:
            for process in processes.values():
                if process.is_alive() and process.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGINT)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, relay) if main else None
    collected: list[WorkerReport] = []
    try:
        for process in processes.values():
            process.start()
        while any(p.is_alive() for p in processes.values()):
            _drain(reports, collected)
            if watch is not None:
                watch()
            time.sleep(POLL_SECONDS)
    finally:
        for process in processes.values():
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()
        if main:
            signal.signal(signal.SIGINT, previous)
    time.sleep(0.05)
    _drain(reports, collected)
    if watch is not None:
        watch()
    errors = [r for r in collected if r.status == "error"]
    if errors:
        raise SMEError(f"worker {errors[0].index}: {errors[0].message}")
    reported = {r.index for r in collected}
    for k, process in processes.items():
        if k not in reported:
            raise SMEError(f"worker {k} exited with status {process.exitcode}")
    return sorted(collected, key=lambda r: r.index)


def _drain(reports: Any, into: list[WorkerReport]) -> None:
    while True:
        try:
            into.append(reports.get_nowait())
        except (queue.Empty, OSError, ValueError):
            return
