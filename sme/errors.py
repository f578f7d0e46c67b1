"""User-facing errors: each carries one line naming the file, field or site at fault."""

from __future__ import annotations

from priors.compile import ProgramError
from priors.grid import GridError
from priors.params import ParamError


class SMEError(ValueError):
    """Bad input to the tool; the message is one line and says what was expected."""


class ScenarioError(SMEError):
    """A scenario file or object is malformed."""


class ConfigError(SMEError):
    """A configuration file (exported prior, settings) is malformed."""


#: every exception class whose message is meant for the user as it stands
USER_ERRORS: tuple[type[Exception], ...] = (SMEError, ParamError, ProgramError, GridError)
