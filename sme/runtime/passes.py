"""Passes of a batched analysis: how many configurations go together, and running the
passes on the chosen threads.

A batched analysis is a long sequence of whole-batch tensor operations (sorts, running
minima, searches, gathers, elementwise maps).  On a CPU each runs fastest on tensors that
fit in the cache, and one operation on a large tensor uses the cores poorly; so the
configurations are analysed in passes of about :data:`CPU_PASS_CELLS` (Θ point, action)
cells, and the passes run side by side on ``torch.get_num_threads()`` Python threads, each
with one intra-op thread (torch releases the interpreter lock inside its operations).  The
results do not depend on how the batch is split: every configuration is computed on its
own row.  On a CUDA device one pass takes as much as the memory budget allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

from priors.compile import quiet_validation

T = TypeVar("T")

#: bytes of working memory per configuration, per Θ point and action (K, U, masks and the
#: envelope's intermediates, measured with float64 tensors)
BYTES_PER_POINT_ACTION = 8 * 24
#: (Θ point, action) cells per pass on a CPU: about 4 MB per float64 tensor, so that the
#: operations of a pass stay near the cache while a batch still gives each thread several
#: passes (measured on two idle cores, 4,096 configurations of 401 points and two actions,
#: medians of 7 interleaved runs: 2¹⁸ cells 27,300 priors/s, 2¹⁹ 32,400, 2²⁰ 30,000, 2²¹
#: 30,700; one pass of all 4,096 runs a third slower per element)
CPU_PASS_CELLS = 1 << 19


def chunk_size(points: int, actions: int, budget: int) -> int:
    """Configurations per pass so that one pass stays within ``budget`` bytes."""
    return max(1, budget // max(1, points * actions * BYTES_PER_POINT_ACTION))


def rows_per_pass(points: int, actions: int, budget: int, device: str) -> int:
    """Configurations per pass: within ``budget`` bytes, and on a CPU within
    :data:`CPU_PASS_CELLS` cells."""
    rows = chunk_size(points, actions, budget)
    if not device.startswith("cuda"):
        rows = min(rows, max(1, CPU_PASS_CELLS // max(1, points * actions)))
    return rows


def spans(start: int, stop: int, step: int) -> Iterator[tuple[int, int]]:
    """``[start, stop)`` cut into consecutive ``(begin, end)`` spans of ``step`` rows."""
    for begin in range(start, stop, max(1, step)):
        yield begin, min(stop, begin + step)


def pass_workers(device: str) -> int:
    """Threads that run passes at once: torch's intra-op threads on a CPU, one on CUDA."""
    return 1 if device.startswith("cuda") else max(1, torch.get_num_threads())


def run_passes(work: Callable[[int, int], T], parts: Sequence[tuple[int, int]],
               workers: int, done: Callable[[int], None] | None = None) -> list[T]:
    """``work(begin, end)`` for every span of ``parts``, in order, on up to ``workers``
    threads with one intra-op thread each (torch's thread count is restored afterwards).
    ``done(rows)`` is called in the calling thread as each span finishes, in order.  The
    first span that raises stops the rest and its exception is raised."""
    report = done or (lambda _rows: None)
    if workers <= 1 or len(parts) <= 1:
        out = []
        for begin, end in parts:
            out.append(work(begin, end))
            report(end - begin)
        return out
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with quiet_validation():  # one switch for every thread (it is process-wide)
            pool = ThreadPoolExecutor(min(workers, len(parts)),
                                      initializer=torch.set_num_threads, initargs=(1,),
                                      thread_name_prefix="sme-pass")
            try:
                futures = [pool.submit(work, begin, end) for begin, end in parts]
                results = []
                for future, (begin, end) in zip(futures, parts, strict=True):
                    results.append(future.result())
                    report(end - begin)
                return results
            finally:  # every thread has stopped before the switch is restored
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        torch.set_num_threads(threads)
