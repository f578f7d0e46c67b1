"""The one place that checks seeds, thread counts and devices, whether they come from a flag,
the environment or the Python API.

* A seed is an integer from 0 to :data:`MAX_SEED` (``2**32 - 1``): the range NumPy's
  legacy seeding (Optuna's samplers) accepts; torch accepts it too.
* A thread count is at least 1 and at most the CPUs this process may run on: more threads
  than cores only compete for them, and far more (``--threads 100000``) cannot be created
  at all (OpenBLAS then ends the process with a segmentation fault).  Larger counts are
  lowered to the core count with a warning.  The environment variables that OpenMP,
  OpenBLAS and MKL read when they are first imported (:data:`THREAD_VARIABLES`) are lowered
  the same way by :func:`sanitize_thread_environment`, which the command line calls before
  it imports NumPy or torch.
* A device is ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` with ``N`` below the number of CUDA
  devices present.

Every check raises :class:`~sme.runtime.errors.SMEError` with one line that says what was
expected and names nothing else (the caller adds the flag or field).  Nothing heavy is
imported when this module loads (the errors module imports torch), so that
:func:`sanitize_thread_environment` runs before NumPy does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, MutableMapping

#: the largest seed (NumPy's legacy ``RandomState`` seeds are 32-bit)
MAX_SEED = 2**32 - 1
#: environment variables read by OpenMP, OpenBLAS, MKL and friends when first loaded
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def check_seed(value: int | str) -> int:
    """``value`` as a seed: an integer from 0 to :data:`MAX_SEED`.

    Raises:
        SMEError: ``expected a seed from 0 to 4294967295, got '-1'``.
    """
    from sme.runtime.errors import SMEError

    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d{1,30}", text) \
            or not 0 <= int(text) <= MAX_SEED:
        shown = text if len(text) <= 40 else f"{text[:20]}…{text[-10:]}"
        raise SMEError(f"expected a seed from 0 to {MAX_SEED}, got {shown!r}")
    return int(text)


def check_threads(value: int, cores: int | None = None,
                  warn: Callable[[str], None] | None = None, what: str = "--threads") -> int:
    """``value`` threads, lowered to ``cores`` (default: the CPUs this process may run on)
    with a warning through ``warn`` when larger.

    Raises:
        SMEError: ``value`` is not a positive integer.
    """
    from sme.runtime.errors import SMEError
    from sme.runtime.threads import usable_cores

    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SMEError(f"{what}: expected a positive integer, got {value!r}")
    cores = usable_cores() if cores is None else cores
    if value > cores:
        if warn is not None:
            warn(f"{what} {value} is more than the {cores} CPUs this process may use; "
                 f"using {cores}")
        return cores
    return value


def sanitize_thread_environment(environ: MutableMapping[str, str] | None = None,
                                warn: Callable[[str], None] | None = None) -> None:
    """Lower every thread-count variable of :data:`THREAD_VARIABLES` above the core count
    to the core count (with a warning), before OpenBLAS or OpenMP read it at import.  Values
    that are not positive integers are left to the libraries, which ignore them."""
    from sme.runtime.threads import usable_cores

    environ = os.environ if environ is None else environ
    cores = usable_cores()
    for name in THREAD_VARIABLES:
        text = environ.get(name, "").strip()
        if text.isdigit() and int(text) > cores:
            environ[name] = str(cores)
            if warn is not None:
                shown = text if len(text) <= 20 else f"{text[:20]}…"
                warn(f"{name}={shown} is more than the {cores} CPUs this process may use; "
                     f"using {cores}")


def check_device(name: str) -> str:
    """``name`` as a torch device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` where that CUDA
    device exists (torch is imported only for a CUDA device).

    Raises:
        SMEError: an unknown name, CUDA absent, or ``N`` not below the device count.
    """
    from sme.runtime.errors import SMEError

    text = str(name).strip().lower()
    if text in ("auto", "cpu"):
        return text
    match = re.fullmatch(r"cuda(?::(\d{1,9}))?", text)
    if match is None:
        raise SMEError(f"expected auto, cpu, cuda or cuda:N, got {str(name)[:40]!r}")
    import torch

    if not torch.cuda.is_available():
        raise SMEError(f"{text}: no CUDA device is available (use auto or cpu)")
    count = torch.cuda.device_count()
    if match.group(1) is not None and int(match.group(1)) >= count:
        present = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        raise SMEError(f"{text}: no such CUDA device (this machine has {present})")
    return text
