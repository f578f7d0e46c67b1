"""Freed memory kept for reuse by the C allocator.

A batched analysis allocates and frees thousands of tensors of a few megabytes
(:mod:`sme.runtime.passes`).  glibc's allocator serves such blocks with fresh ``mmap`` mappings, or
trims the freed top of its heap, so that the next pass faults every page in again (measured
on 4,096 configurations: 6,000–43,000 page faults and up to 0.1 s of system time per
analysis).  :func:`keep_freed_memory` raises the two thresholds so that blocks up to
:data:`MMAP_THRESHOLD` bytes come from the heap and up to :data:`TRIM_THRESHOLD` bytes of
freed heap stay for reuse; the peak memory is unchanged.  The command line applies it once
at start; it does nothing off glibc, or when the user set the allocator's own
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` variables.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: blocks up to this size come from the heap rather than from their own mapping
MMAP_THRESHOLD = 32 << 20
#: freed memory at the top of the heap kept before it is returned to the kernel
TRIM_THRESHOLD = 256 << 20
#: ``mallopt`` parameters (glibc's ``malloc.h``)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (module docstring); whether they were set."""
    if not sys.platform.startswith("linux"):
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, say)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
