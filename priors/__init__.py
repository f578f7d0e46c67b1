"""Pyro-facing layer: parameters, points covering priors, programs compiled into tensors.

Declares parameters, covers priors with points and compiles belief, world and payoff programs
into the tensors of the Berk–Nash engine.  Imports nothing else of this project."""

from priors.compile import (
    ModelTensors,
    ProgramError,
    Programs,
    Resolution,
    SlowPathWarning,
    compile_models,
)
from priors.grid import GridError
from priors.params import Param, ParamError

__all__ = [
    "GridError",
    "ModelTensors",
    "Param",
    "ParamError",
    "ProgramError",
    "Programs",
    "Resolution",
    "SlowPathWarning",
    "compile_models",
]
