"""Progress that a log can follow: plain lines on a stream that is not a terminal.

On a terminal the commands draw a rich progress bar; written to a file or a pipe that bar
shows nothing, so :class:`PlainProgress` prints instead

* once the first part of the work is measured (for ``MEASURE`` seconds, or 5 % of it, from
  the first update on: start-up is not counted) and what is left is estimated at more than
  ``LONG_WORK`` seconds, the estimate:
  ``search: 300 trials, about 1 min 50 s in all (measured on 16 trials in 6 s)``;
* at most every ``interval`` seconds, where the work stands:
  ``search: 120/300 trials, 41 s, ~62 s left``;
* at the end, when it printed anything before: ``search: 300/300 trials in 1 min 43 s``.

Short work prints nothing.  The interval is ``SME_PROGRESS_SECONDS`` seconds when that is set
(``0``: every update), 5 otherwise.  The time left is the rate of this run's work so far
applied to what is left (work already done before it started, a resumed study's trials,
counts towards ``done`` but not towards the rate).  Long work is announced as soon as it
can be measured: a search after its first batch, a diagram after its first pass.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

#: seconds between two progress lines, unless ``SME_PROGRESS_SECONDS`` says otherwise
DEFAULT_INTERVAL = 5.0
#: work estimated to take longer than this (seconds) is announced with its estimate
LONG_WORK = 10.0
#: the estimate is made once this many seconds of work (or 5 % of it) are measured
MEASURE = 2.0


def progress_interval() -> float:
    """Seconds between progress lines: ``SME_PROGRESS_SECONDS`` (a number ≥ 0), else 5."""
    text = os.environ.get("SME_PROGRESS_SECONDS", "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_INTERVAL
    return value if math.isfinite(value) and value >= 0 else DEFAULT_INTERVAL


def duration(seconds: float) -> str:
    """``41 s``, ``2 min 5 s``, ``1 h 3 min`` (rounded to the second)."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class PlainProgress:
    """Plain progress lines for ``label`` counting ``unit`` (see the module docstring);
    ``already`` is the work done before this run (``None``: what the first update says)."""

    def __init__(self, label: str, unit: str = "", stream: TextIO | None = None,
                 interval: float | None = None, clock: Callable[[], float] = time.monotonic,
                 already: int | None = 0) -> None:
        self.label, self.unit = label, unit
        self.stream = stream
        self.interval = progress_interval() if interval is None else interval
        self.clock = clock
        self.start = clock()
        #: ``done`` when this run began (``None``: the first update's)
        self.first: int | None = already
        self.last_line: float | None = None
        self.mark: tuple[float, int] | None = None  # (time, done) of the first update
        self.estimated = False
        self.printed = False
        self.done, self.total = 0, 0

    def _print(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self.stream or sys.stderr, flush=True)
        self.printed = True

    def _count(self, done: int, total: int | None = None) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{done}{unit}" if total is None else f"{done}/{total}{unit}"

    def update(self, done: int, total: int, note: str = "") -> None:
        """The work stands at ``done`` of ``total``; ``note`` is added to a progress line."""
        now = self.clock()
        if self.first is None:
            self.first = done
        if self.mark is None:  # the rate is measured from here: start-up is not work
            self.mark = (now, done)
        self.done, self.total = done, total
        elapsed = now - self.start
        measured, ran = now - self.mark[0], done - self.mark[1]
        left = total - done
        rate = ran / measured if ran > 0 and measured > 0 else None
        if (not self.estimated and rate is not None and left > 0
                and (measured >= MEASURE or ran >= 0.05 * max(1, total - self.first))):
            self.estimated = True
            if left / rate > LONG_WORK:
                self._print(f"{self._count(total - self.first)}, about "
                            f"{duration(elapsed + left / rate)} in all (measured on "
                            f"{self._count(ran)} in {duration(measured)})")
                self.last_line = now
        if left <= 0:
            return
        since = now - (self.start if self.last_line is None else self.last_line)
        if since < self.interval:
            return
        eta = f", ~{duration(left / rate)} left" if rate else ""
        extra = f" ({note})" if note else ""
        self._print(f"{self._count(done, total)}{extra}, {duration(elapsed)}{eta}")
        self.last_line = now

    def finish(self) -> None:
        """The closing line, when any line was printed before."""
        if self.printed and self.first is not None:
            self._print(f"{self._count(self.done, self.total)} in "
                        f"{duration(self.clock() - self.start)}")
