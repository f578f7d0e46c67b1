"""The parameter values of a configuration file, plain or an exported prior.

An exported prior (:mod:`sme.files.export`, a file with ``schema_version``) is validated
strictly; a plain file (:mod:`sme.files.configfile`) gives its values as they stand.  Either
way, with a scenario every value is checked against its declarations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from priors.params import ParamError, resolve
from sme.files.configfile import parameter_values, read_config
from sme.files.export import typed_value, validate
from sme.runtime.errors import ConfigError

if TYPE_CHECKING:
    from sme.scenario.declaration import Scenario


def read_values(path: str | Path, scenario: Scenario | None = None
                ) -> tuple[dict[str, Any], list[str]]:
    """The parameter values of a config file, and warnings.

    An exported prior (a file with ``schema_version``) is validated strictly first, and a
    warning notes one exported for another scenario or from another version of its file.
    With ``scenario`` every value is checked against its declarations.

    Raises:
        ConfigError: one line naming the file and the key or parameter at fault.
    """
    data = read_config(path)
    notes: list[str] = []
    exported = "schema_version" in data
    if exported:
        document = validate(data, str(path))
        groups = document.parameters
        values: dict[str, Any] = {**groups.prior, **groups.world, **groups.reward}
        ref = document.scenario
        if scenario is not None and ref.name != scenario.name:
            notes.append(f"{path} was exported for scenario {ref.name!r}, not "
                         f"{scenario.name!r}")
        elif scenario is not None and scenario.source_sha256() not in (None, ref.sha256):
            notes.append(f"the scenario file changed since {path} was exported")
    else:
        values = parameter_values(path, data)
    if scenario is None:
        return values, notes
    try:
        if exported:  # typed as written: no string where a number belongs
            for name, value in values.items():
                if name in scenario.all_params:
                    typed_value(name, scenario.all_params[name], value)
        checked = resolve(scenario.all_params, values)
    except ParamError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return {name: checked[name] for name in values}, notes
