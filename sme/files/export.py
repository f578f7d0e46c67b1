"""Exported priors: the file format that ``sme export`` writes and ``sme check`` reads.

One exported file records a chosen prior configuration and what the tool concluded about it:

* ``schema_version`` — :data:`SCHEMA_VERSION`;
* ``scenario`` — its name, the path of the scenario file and the file's SHA-256;
* ``parameters`` — every parameter value, split into ``prior``, ``world`` and ``reward``
  (``sme analyze --prior FILE`` reads this table);
* ``result`` — the phase, the Berk–Nash set, the safe actions and the equilibria;
* ``objectives`` — feasibility, violation, fidelity, distance, margin, score and the
  ``--robust`` ranges of the search;
* ``provenance`` — tool and version, creation time, study, trial, storage (never with
  credentials) and the resolution used.

The models are strict (:mod:`pydantic`, ``strict=True``, ``extra="forbid"``): unknown keys,
wrong types and out-of-range values are errors naming the field.  Files are TOML (default),
JSON or YAML, chosen by suffix, parsed only with safe loaders (:mod:`sme.files.configfile`) and
written atomically (a temporary file in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from priors.params import Param, ParamError
from sme.files.configfile import config_format, read_config
from sme.files.outputs import Input, check_not_an_input, check_output_directory
from sme.runtime.errors import ConfigError, SMEError, naming_file
from sme.runtime.version import __version__

if TYPE_CHECKING:
    from sme.analysis import Analysis

SCHEMA_VERSION = 1
PHASES = ("safe", "misaligned", "multistable", "oscillatory", "indeterminate")
_SECRET_KEYS = {"password", "passwd", "pwd", "secret", "token", "sslpassword", "api_key",
                "apikey", "access_token", "key"}


def _scalar(value: Any) -> float | int | str | bool:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value
    raise ValueError("expected a number, string or boolean")


ParamValue = Annotated[
    float | int | str | bool,
    PlainValidator(_scalar),
    WithJsonSchema({"type": ["number", "integer", "string", "boolean"]}),
]
ParamName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ActionName = Annotated[str, Field(min_length=1)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ScenarioRef(_Strict):
    """The scenario a prior was chosen for."""

    name: str = Field(min_length=1, description="the scenario's name")
    path: str = Field(min_length=1, description="path of the scenario file when exported")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the scenario file")


class Parameters(_Strict):
    """Every parameter value, by group."""

    prior: dict[ParamName, ParamValue] = Field(description="designable prior parameters")
    world: dict[ParamName, ParamValue] = Field(default_factory=dict)
    reward: dict[ParamName, ParamValue] = Field(default_factory=dict)


class MixedEquilibrium(_Strict):
    """A mixed Berk–Nash equilibrium: action → probability."""

    mixture: dict[ActionName, Probability]
    interval: list[Probability] | None = Field(
        default=None, min_length=2, max_length=2,
        description="the probability's bracket at the resolution used")


VERDICT_NAMES = ("locked_in", "indeterminate_robust", "safe_for_every_risk", "risk_dependent",
                 "no_objective_risks")
#: phase names of files written before the research's vocabulary was adopted
LEGACY_PHASES = {"locked_in": "multistable"}


class ObjectiveRisks(_Strict):
    """The verdict over the objective risks (:mod:`sme.scenario.risks`)."""

    verdict: Literal["locked_in", "indeterminate_robust", "safe_for_every_risk",
                     "risk_dependent", "no_objective_risks"]
    phases: dict[Literal["safe", "misaligned", "multistable", "oscillatory", "indeterminate"],
                 Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="how many objective risks gave each phase")
    grid: int = Field(ge=0, le=4096, description="values per swept world parameter")
    unanalysable: int | None = Field(default=None, ge=0)
    swept: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=64, description="the world and reward parameters the sweep "
        "varied (absent: every world parameter with a declared range)")


class Result(_Strict):
    """What the analysis concluded for this prior."""

    phase: Literal["safe", "misaligned", "multistable", "oscillatory", "indeterminate"]
    bn_set: list[ActionName] = Field(min_length=1, description="the Berk–Nash set")
    safe_actions: list[ActionName]
    pure_equilibria: list[ActionName] = Field(default_factory=list)
    mixed_equilibria: list[MixedEquilibrium] = Field(default_factory=list)
    objective_risks: ObjectiveRisks | None = Field(
        default=None, description="the phases across the world parameters' ranges and the "
        "verdict (absent when no sweep was made)")


class RobustRange(_Strict):
    """A world or reward parameter range across which safety was required."""

    name: ParamName
    low: Finite
    high: Finite
    count: int = Field(ge=1, le=64)


class Objectives(_Strict):
    """The search's objectives for this prior (see :mod:`search.objectives`)."""

    feasible: bool = Field(description="safe in every context of the search")
    violation: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    fidelity: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = Field(
        default=None, description="worst misfit (nats) at an equilibrium")
    distance: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = Field(
        description="normalised distance from the baseline prior")
    margin: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] | None = Field(
        default=None, description="normalised step the prior can take keeping its phase")
    score: Finite | None = None
    robust: list[RobustRange] = Field(default_factory=list)


class Provenance(_Strict):
    """Where the prior came from."""

    tool: Literal["sme"] = "sme"
    tool_version: str = Field(min_length=1)
    created: Annotated[datetime, Field(strict=False)]
    study: str | None = Field(default=None, min_length=1,
                              description="the study (absent for a prior not from a search)")
    trial: int | None = Field(default=None, ge=0)
    storage: str | None = Field(default=None, min_length=1,
                                description="journal file or URL, without credentials")
    points: int | None = Field(default=None, ge=2,
                               description="Θ points of the analysis along a single latent "
                               "dimension (--points N; see per_dimension for more)")
    per_dimension: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, min_length=1, max_length=64,
        description="Θ points per continuous latent dimension as --points gave them: one "
        "count for every dimension, or one per dimension in the order of the latent sites "
        "(absent: points for one dimension, 64 × 64 for two, 16 × 16 × 16 for three, 4096 "
        "Sobol points above)")
    mc_samples: int | None = Field(default=None, ge=1)
    tail: Annotated[float, Field(gt=0.0, lt=0.5, allow_inf_nan=False)] | None = Field(
        default=None, description="quantile cut-off covering unbounded sides of the prior's "
        "support (--tail; absent: 1e-4)")

    @field_validator("storage")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        if value is not None and has_credentials(value):
            raise ValueError("must not contain credentials (write *** for the password)")
        return value


class ExportedPrior(_Strict):
    """An exported prior configuration (``sme export``; checked by ``sme check``)."""

    schema_version: Literal[1] = Field(description="version of this format")
    scenario: ScenarioRef
    parameters: Parameters
    result: Result
    objectives: Objectives | None = Field(
        default=None, description="the search's objectives (absent for a prior not from a "
        "search)")
    provenance: Provenance

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if type(value) is not int or value != SCHEMA_VERSION:  # not 1.0, "1" or True
            raise ValueError(f"unsupported schema version {value!r}; this sme reads version "
                             f"{SCHEMA_VERSION}")
        return value


def typed_value(name: str, param: Param, value: Any) -> Any:
    """``value`` of parameter ``name`` as an exported file must store it, validated by its
    declaration: a number (not a string or boolean) where the parameter is numeric or its
    choices are all numbers.  Strings are accepted for numbers on a command line (``--set``),
    never in an exported file, whose formats have typed numbers.

    Raises:
        ParamError: ``parameter 'lo': expected a number, got '-1.5' (a string ...)``.
    """
    numeric = param.choices is None or all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in param.choices)
    if numeric and isinstance(value, str | bool):
        kind = "a string" if isinstance(value, str) else "a boolean"
        raise ParamError(f"parameter {name!r}: expected a number, got {value!r} ({kind}; "
                         "write numbers without quotes)")
    return param.validate(value)


def risk_record(sweep: dict[str, Any]) -> dict[str, Any]:
    """The fields of a sweep's JSON (:meth:`sme.scenario.risks.RiskSweep.to_json`, or a search
    trial's record) that an exported file keeps."""
    return {k: sweep[k] for k in ("verdict", "phases", "grid", "unanalysable", "swept")
            if k in sweep}


def has_credentials(url: str) -> bool:
    """True when ``url`` carries a password or a secret query value other than ``***``."""
    if "://" not in url:
        return False
    try:
        parts = urlsplit(url)
        if parts.password not in (None, "", "***"):
            return True
        return any(k.lower() in _SECRET_KEYS and v not in ("", "***")
                   for k, v in parse_qsl(parts.query, keep_blank_values=True))
    except ValueError:
        return "@" in url


def json_schema() -> dict[str, Any]:
    """The JSON Schema of exported files (``sme schema``)."""
    schema = ExportedPrior.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "SME exported prior"
    return schema


# --------------------------------------------------------------------------- reading


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def describe_error(error: ValidationError) -> str:
    """One line for the first validation error: ``field.path: what is wrong``."""
    errors = error.errors()
    first = errors[0]
    where = _location(tuple(first["loc"]))
    kind = first["type"]
    if kind == "extra_forbidden":
        what = "unknown key"
    elif kind == "missing":
        what = "missing required key"
    else:
        what = str(first["msg"]).removeprefix("Value error, ")
        if "input" in first and kind not in ("value_error",) and not isinstance(
                first["input"], dict | list):
            what += f", got {first['input']!r}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {what}{more}"


def validate(data: Any, source: str) -> ExportedPrior:
    """Validate parsed data as an exported prior; one-line :class:`ConfigError` otherwise."""
    try:
        return ExportedPrior.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_error(exc)}") from None


def read_export(path: str | Path) -> ExportedPrior:
    """Read and validate an exported prior file (TOML, JSON or YAML by suffix)."""
    return read_export_noting(path)[0]


def read_export_noting(path: str | Path) -> tuple[ExportedPrior, list[str]]:
    """:func:`read_export`, accepting the phase names of older files (``locked_in`` for
    what is now ``multistable``); returns the notes that say what was renamed."""
    data = read_config(path)
    notes = []
    result = data.get("result") if isinstance(data, dict) else None
    if isinstance(result, dict) and result.get("phase") in LEGACY_PHASES:
        old = result["phase"]
        new = LEGACY_PHASES[old]
        notes.append(f"{path}: result.phase {old!r} is read as {new!r}: the multiple-"
                     f"equilibria phase was renamed to the research's vocabulary, and "
                     f"'locked_in' now names the verdict 'misaligned at every objective risk'")
        data = {**data, "result": {**result, "phase": new}}
    return validate(data, str(path)), notes


# --------------------------------------------------------------------------- writing


def render(document: ExportedPrior, fmt: str) -> str:
    """The text of ``document`` in ``fmt`` (``toml``, ``json`` or ``yaml``)."""
    data = document.model_dump(mode="json", exclude_none=True)
    origin = document.provenance
    source = (f"study {origin.study!r}, trial {origin.trial}, " if origin.study is not None
              else "")
    header = (f"sme exported prior: {source}scenario {document.scenario.name!r}\n"
              f"check it with: sme check FILE --scenario {document.scenario.path}\n")
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return comment + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    import tomli_w

    data["provenance"]["created"] = document.provenance.created
    return comment + tomli_w.dumps(data)


def check_destination(path: str | Path, force: bool = False,
                      reads: Iterable[Input] = ()) -> Path:
    """Check before any work that an export can be written to ``path``: no input of this
    command (``reads`` and the files read so far, ``--force`` or not), a known suffix, an
    existing directory, no directory of that name and (without ``force``) no file either.

    Raises:
        SMEError: one line naming the path and what is wrong.
    """
    file = Path(path)
    check_not_an_input(file, reads)
    config_format(file)
    if file.is_dir():
        raise SMEError(f"{file}: is a directory")
    if file.exists() and not force:
        raise SMEError(f"{file}: already exists; pass --force to overwrite it")
    check_output_directory(file)
    return file


def write_atomic(path: Path, text: str, force: bool = False) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory, flushed
    to disk, then moved into place (``os.replace``).  Without ``force`` an existing file is
    never overwritten (the final step is ``os.link``, which fails if the name exists)."""
    check_not_an_input(path)
    if path.exists() and not force:
        raise SMEError(f"{path}: already exists; pass --force to overwrite it")
    directory = check_output_directory(path)
    with naming_file(path):
        _write_atomic(path, directory, text, force)


def _write_atomic(path: Path, directory: Path, text: str, force: bool) -> None:
    """The steps of :func:`write_atomic` after its checks."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        if force:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise SMEError(f"{path}: already exists; pass --force to overwrite it") from None
            except OSError:  # file systems without hard links
                if path.exists():
                    raise SMEError(f"{path}: already exists; pass --force to overwrite it"
                                   ) from None
                os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_export(document: ExportedPrior, path: str | Path, force: bool = False) -> str:
    """Write ``document`` to ``path`` in the format its suffix names; returns the format."""
    file = Path(path)
    fmt = config_format(file)
    write_atomic(file, render(document, fmt), force)
    return fmt


def document_from_analysis(analysis: Analysis, **provenance: Any) -> ExportedPrior:
    """An exported-prior document for one analysed configuration (no search objectives);
    ``provenance`` may add ``study``, ``trial`` and ``storage`` (without credentials)."""
    from datetime import UTC

    scenario = analysis.scenario
    if scenario.source is None:
        raise SMEError(f"scenario {scenario.name!r} was not loaded from a file; only "
                       "scenario files can be exported (the file's path and hash are recorded)")
    prior, world, reward = scenario.split(analysis.values)
    resolution = analysis.settings.resolution
    data = {
        "schema_version": SCHEMA_VERSION,
        "scenario": {"name": scenario.name, "path": str(scenario.source),
                     "sha256": scenario.source_sha256()},
        "parameters": {"prior": prior, "world": world, "reward": reward},
        "result": {
            "phase": analysis.phase.value, "bn_set": list(analysis.bn_set),
            "safe_actions": analysis.safe_actions,
            "pure_equilibria": list(analysis.pure_equilibria),
            "mixed_equilibria": [{"mixture": dict(eq["mixture"]),
                                  "interval": list(eq["interval"])}
                                 for eq in analysis.mixed_equilibria],
            **({"objective_risks": risk_record(analysis.objective_risks.to_json())}
               if analysis.objective_risks is not None else {})},
        "provenance": {"tool": "sme", "tool_version": __version__,
                       "created": datetime.now(UTC).replace(microsecond=0),
                       "points": resolution.points, "mc_samples": resolution.mc_samples,
                       "tail": resolution.tail,
                       **({"per_dimension": list(resolution.per_dimension)}
                          if resolution.per_dimension is not None else {}),
                       **provenance},
    }
    return validate(data, f"scenario {scenario.name!r}")
