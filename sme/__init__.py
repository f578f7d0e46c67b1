"""SME — Subjective Model Engineering.

Describe an agent's beliefs as a Pyro program, compute which actions it can settle on in the
long run (its Berk–Nash rationalizable set), label the safety phase, and find priors that
make it safe.
"""

from priors.compile import Resolution
from priors.params import Param
from sme.berk_nash import Tolerance
from sme.phases import Phase
from sme.scenario import Action, Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Param",
    "Phase",
    "Resolution",
    "Scenario",
    "Tolerance",
    "__version__",
    "analyze",
    "analyze_batch",
    "load_scenario",
]


def __getattr__(name: str):  # lazy: keep `import sme` light for scenario files
    if name in ("analyze", "analyze_batch"):
        from sme import analysis

        return getattr(analysis, name)
    raise AttributeError(name)
