"""SME — Subjective Model Engineering.

Describe an agent's beliefs as a Pyro program, compute which actions it can settle on in the
long run (its Berk–Nash rationalizable set), label the safety phase, and find priors that
make it safe.

Scenario files use ``from sme import Action, Param, Scenario``; notebooks use the functions
of :mod:`sme.api` (``sme.analyze``, ``sme.phase_diagram``, ``sme.simulate``, ``sme.search``).
Every name is imported on first use, so ``import sme`` (and ``sme --help``) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from sme.runtime.version import __version__

#: public name → the module that defines it (imported on first access)
_EXPORTS = {
    "Action": "sme.scenario.declaration",
    "Scenario": "sme.scenario.declaration",
    "load_scenario": "sme.scenario.declaration",
    "Param": "priors.params",
    "Phase": "sme.engine.phases",
    "Prompt": "sme.scenario.prompt",
    "Resolution": "priors.compile",
    "Tolerance": "sme.engine.berk_nash",
    "analyze": "sme.api",
    "phase_diagram": "sme.api",
    "simulate": "sme.api",
    "search": "sme.api",
    "params": "sme.api",
    "analyze_batch": "sme.analysis",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sme' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
