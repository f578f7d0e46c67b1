"""``sme check``: is an exported prior still what it was?

The exported file records the scenario's path, but a path read from a file is never run on
its own: scenario files are Python and are executed when loaded, so the caller names the
scenario (``--scenario PATH``) or explicitly confirms the recorded one
(``--trust-scenario-path``).

The check re-validates every parameter value against the scenario's declarations, analyses
the recorded configuration at the recorded resolution and compares the phase, the
Berk–Nash set and (when recorded) the verdict over objective risks with the recorded ones.
A different SHA-256 of the scenario file is reported as a warning (the verdict rests on the
recomputed phase and set).

As a gate (the default) a file passes only when the recomputed phase is ``safe`` and nothing
changed; ``unchanged`` passes any phase that is as recorded (``sme check --unchanged``), and
``robust`` also requires the verdict "safe for every objective risk".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from priors.params import ParamError
from sme.analysis import Settings, analyze
from sme.files.export import ExportedPrior, typed_value
from sme.runtime.errors import ConfigError, SMEError
from sme.scenario.declaration import Scenario


@dataclass
class CheckResult:
    """The outcome of checking one exported file."""

    file: str
    scenario: str
    recorded_phase: str
    recorded_bn_set: list[str]
    phase: str | None = None
    bn_set: list[str] = field(default_factory=list)
    recorded_verdict: str | None = None
    verdict: str | None = None
    sha256_matches: bool = True
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Θ points of the re-analysis, and per latent coordinate (``[64, 64]``; ``[]``: Sobol)
    theta_points: int = 0
    grid: list[int] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """True when the phase, the Berk–Nash set and a recorded verdict are unchanged."""
        return (not self.problems and self.phase == self.recorded_phase
                and sorted(self.bn_set) == sorted(self.recorded_bn_set)
                and (self.recorded_verdict is None or self.verdict == self.recorded_verdict))

    def passes(self, gate: str) -> bool:
        """Whether the file passes ``gate``: ``safe`` (safe now and unchanged),
        ``unchanged`` (any phase, as recorded) or ``robust`` (also safe for every objective
        risk)."""
        if gate == "unchanged":
            return self.same
        if gate == "robust":
            return self.same and self.phase == "safe" and self.verdict == "safe_for_every_risk"
        return self.same and self.phase == "safe"

    def to_json(self, gate: str = "safe") -> dict[str, Any]:
        return {"file": self.file, "scenario": self.scenario, "same": self.same,
                "gate": gate, "passed": self.passes(gate),
                "recorded": {"phase": self.recorded_phase, "bn_set": self.recorded_bn_set,
                             "objective_risks": self.recorded_verdict},
                "now": {"phase": self.phase, "bn_set": self.bn_set,
                        "objective_risks": self.verdict},
                "sha256_matches": self.sha256_matches, "problems": self.problems,
                "warnings": self.warnings}


def scenario_path(document: ExportedPrior, file: str, given: str | None, trust: bool) -> Path:
    """The scenario file to run: ``given``, or the recorded path when ``trust`` is set.

    Raises:
        SMEError: neither was given (the message shows the recorded path), or both.
    """
    recorded = document.scenario.path
    if given and trust:
        raise SMEError("give either --scenario PATH or --trust-scenario-path, not both")
    if given:
        return Path(given)
    if trust:
        return Path(recorded)
    raise SMEError(
        f"{file}: name the scenario to check against with --scenario PATH (the file records "
        f"{recorded}; --trust-scenario-path runs that file — scenario files are Python and "
        "are run)")


def _check_actions(document: ExportedPrior, scenario: Scenario, file: str) -> None:
    """Every action the file's result names must be one of the scenario's actions.

    Raises:
        ConfigError: naming the field and the unknown action.
    """
    result = document.result
    fields: list[tuple[str, list[str]]] = [
        ("result.bn_set", list(result.bn_set)),
        ("result.safe_actions", list(result.safe_actions)),
        ("result.pure_equilibria", list(result.pure_equilibria)),
        *((f"result.mixed_equilibria[{i}].mixture", list(eq.mixture))
          for i, eq in enumerate(result.mixed_equilibria)),
    ]
    known = scenario.action_names
    for where, names in fields:
        for name in names:
            if name not in known:
                raise ConfigError(f"{file}: {where}: unknown action {name!r} (scenario "
                                  f"{scenario.name!r} has actions {', '.join(known)})")


def _parameter_values(document: ExportedPrior, scenario: Scenario, file: str
                      ) -> tuple[dict[str, Any], list[str]]:
    """Validated values by name, and mismatches with the scenario's declarations."""
    groups = {"prior": scenario.prior_params, "world": scenario.world_params,
              "reward": scenario.reward_params}
    recorded = {"prior": document.parameters.prior, "world": document.parameters.world,
                "reward": document.parameters.reward}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for group, declared in groups.items():
        for name, value in recorded[group].items():
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise ConfigError(f"{file}: parameters.{group}.{name}: unknown key: the "
                                  f"scenario declares no {group} parameter {name!r} "
                                  f"(its {group} parameters: {known})")
            try:
                values[name] = typed_value(name, declared[name], value)
            except ParamError as exc:
                message = str(exc).removeprefix(f"parameter {name!r}: ")
                raise ConfigError(f"{file}: parameters.{group}.{name}: {message}") from None
        for name in declared:
            if name not in recorded[group]:
                problems.append(f"the scenario declares {group} parameter {name!r}, which "
                                "the file does not record")
    return values, problems


def check_document(document: ExportedPrior, scenario: Scenario, settings: Settings,
                   file: str) -> CheckResult:
    """Recompute the recorded configuration and compare (see the module docstring).

    Raises:
        ConfigError: a parameter value is invalid for the scenario, or the result names an
            action the scenario does not have (naming the field).
    """
    risks = document.result.objective_risks
    result = CheckResult(file=file, scenario=str(scenario.source or scenario.name),
                         recorded_phase=document.result.phase,
                         recorded_bn_set=list(document.result.bn_set),
                         recorded_verdict=risks.verdict if risks is not None else None)
    actual = scenario.source_sha256()
    if actual is not None and actual != document.scenario.sha256:
        result.sha256_matches = False
        result.warnings.append(
            f"the scenario file {scenario.source} differs from the one exported "
            f"(sha256 {actual[:12]}… now, {document.scenario.sha256[:12]}… recorded)")
    if scenario.name != document.scenario.name:
        result.warnings.append(f"the scenario is named {scenario.name!r}; the file was "
                               f"exported for {document.scenario.name!r}")
    _check_actions(document, scenario, file)
    values, problems = _parameter_values(document, scenario, file)
    result.problems += problems
    if problems:
        return result
    if risks is not None and risks.grid > 0:
        # the sweep as recorded: its grid, and the parameters it varied (files written before
        # --risk-params record none: every world parameter, as then)
        swept = tuple(risks.swept) if risks.swept is not None else None
        settings = replace(settings, risk_grid=risks.grid, risk_params=swept)
    analysis = analyze(scenario, values, settings)
    result.phase = analysis.phase.value
    result.bn_set = list(analysis.bn_set)
    result.theta_points, result.grid = analysis.theta_points, list(analysis.grid)
    if analysis.objective_risks is not None:
        result.verdict = analysis.objective_risks.verdict
    return result
