"""Scenarios: the actions, the three programs and their declared parameters.

A scenario file is an ordinary Python module that defines ``scenario = Scenario(...)``.  It is
*run* when loaded — scenario files are code, by design; load only files you trust.

Program signatures (parameters are passed by keyword, as tensors that broadcast over a batch):

* ``world(action, **world_params)`` samples every observed site from the true law ``Q(y | a)``;
* ``belief(action, **prior_params)`` samples latent sites from the prior, then the observed
  sites from the agent's model ``Q_θ(y | a)``;
* ``payoff(action, **observed_values, **reward_params)`` returns the reward ``π(a, y)``.

``action`` is an integer tensor of action indices (positions in ``actions``).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from priors.compile import Programs
from priors.constraints import Constraint, ConstraintError, violated
from priors.params import UNNAMED, Param, ParamError, Scalar, declare, resolve
from sme.runtime.errors import ScenarioError
from sme.runtime.reading import note_read
from sme.scenario.prompt import Prompt


@dataclass(frozen=True)
class Action:
    """One action the agent can take; ``safe`` marks the actions an engineer accepts."""

    name: str
    safe: bool = False
    help: str = ""


@dataclass
class Scenario:
    """Everything the tool needs about one agent and its environment.

    Attributes:
        name: a short identifier (used to name studies and files).
        actions: the finite action set, each labelled safe or unsafe.
        world, belief, payoff: the programs (see the module docstring).
        observed: names of the sample sites the agent observes after acting.
        prior_params: designable parameters of the belief program (prior hyperparameters
            and structural beliefs); what searches explore and exports record.
        world_params, reward_params: context parameters of the world and the payoff.
        description: free text shown in reports.
        constraints: relations the parameters must satisfy (``"lo < hi"``, or functions of
            parameters returning a truth value; :mod:`priors.constraints`): searches sample
            within them and phase diagrams show cells outside them as invalid.
        prompt: how the scenario is told to an agent in behavioural experiments
            (``sme experiment``); optional.
    """

    name: str
    actions: Sequence[Action]
    world: Callable[..., Any]
    belief: Callable[..., Any]
    payoff: Callable[..., Any]
    observed: Sequence[str]
    prior_params: Mapping[str, Param] = field(default_factory=dict)
    world_params: Mapping[str, Param] = field(default_factory=dict)
    reward_params: Mapping[str, Param] = field(default_factory=dict)
    description: str = ""
    constraints: Sequence[str | Callable[..., Any] | Constraint] = ()
    source: Path | None = None
    prompt: Prompt | None = None

    def __post_init__(self) -> None:
        label = f"scenario {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ScenarioError("scenario: 'name' must be a non-empty string")
        self.actions = list(self.actions)
        if not self.actions:
            raise ScenarioError(f"{label}: 'actions' is empty; declare at least one Action")
        for action in self.actions:
            if not isinstance(action, Action):
                raise ScenarioError(f"{label}: actions must be Action(...), got {action!r}")
            if not isinstance(action.name, str) or not action.name.strip():
                raise ScenarioError(f"{label}: action name {action.name!r} must be a "
                                    "non-empty string")
        names = [a.name for a in self.actions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"{label}: duplicate action name {dupes[0]!r}")
        if isinstance(self.observed, str):
            self.observed = [self.observed]
        self.observed = list(self.observed)
        if not self.observed or not all(isinstance(o, str) and o for o in self.observed):
            raise ScenarioError(f"{label}: 'observed' must list the observed site names")
        for role in ("world", "belief", "payoff"):
            if not callable(getattr(self, role)):
                raise ScenarioError(f"{label}: '{role}' must be a function")
        try:
            self.prior_params = declare(self.prior_params, f"{label} prior_params")
            self.world_params = declare(self.world_params, f"{label} world_params")
            self.reward_params = declare(self.reward_params, f"{label} reward_params")
        except ParamError as exc:
            raise ScenarioError(str(exc)) from exc
        groups = [self.prior_params, self.world_params, self.reward_params]
        seen: dict[str, str] = {}
        for group_name, group in zip(("prior", "world", "reward"), groups, strict=True):
            for pname in group:
                if pname in seen:
                    raise ScenarioError(
                        f"{label}: parameter {pname!r} is declared as both {seen[pname]} and "
                        f"{group_name}; names must be unique"
                    )
                seen[pname] = group_name
        self.constraints = self._parse_constraints(label)
        self._check_signature("belief", self.belief, self.prior_params, ())
        self._check_signature("world", self.world, self.world_params, ())
        self._check_signature("payoff", self.payoff, self.reward_params, tuple(self.observed))
        if self.prompt is not None:
            if not isinstance(self.prompt, Prompt):
                raise ScenarioError(f"{label}: 'prompt' must be a Prompt(...), got "
                                    f"{type(self.prompt).__name__}")
            try:
                self.prompt.check(list(self.all_params), list(self.observed))
            except ValueError as exc:
                raise ScenarioError(f"{label}: {exc}") from None

    def _parse_constraints(self, label: str) -> list[Constraint]:
        """The declared constraints, parsed, over declared names, holding at the defaults."""
        if isinstance(self.constraints, str | Constraint) or callable(self.constraints):
            self.constraints = [self.constraints]  # type: ignore[list-item]
        parsed = []
        declared = self.all_params
        for spec in self.constraints:
            try:
                constraint = Constraint.parse(spec)
            except ConstraintError as exc:
                raise ScenarioError(f"{label}: {exc}") from None
            unknown = [n for n in constraint.names if n not in declared]
            if unknown:
                raise ScenarioError(f"{label}: constraint {constraint.text!r} names "
                                    f"{unknown[0]!r}, which is not a declared parameter "
                                    f"(declared: {', '.join(declared) or 'none'})")
            parsed.append(constraint)
        defaults = {name: p.default for name, p in declared.items()}
        for constraint in parsed:
            try:
                ok = constraint.holds(defaults)
            except ConstraintError as exc:
                raise ScenarioError(f"{label}: {exc}") from None
            if not ok:
                raise ScenarioError(f"{label}: the declared defaults violate constraint "
                                    f"{constraint.text!r}")
        return parsed

    @property
    def parsed_constraints(self) -> list[Constraint]:
        """The constraints as :class:`~priors.constraints.Constraint` objects."""
        return cast(list[Constraint], self.constraints)

    def violated(self, values: Mapping[str, Any]) -> list[str]:
        """The constraints (their texts) that the full configuration ``values`` violates."""
        return violated(self.parsed_constraints, values)

    def check_constraints(self, overrides: Mapping[str, Any] | None = None) -> None:
        """Raise :class:`ScenarioError` naming the first constraint that the defaults updated
        by ``overrides`` violate, with the values it reads."""
        if not self.constraints:
            return
        values = self.values(overrides)
        for constraint in self.parsed_constraints:
            if violated([constraint], values):
                shown = ", ".join(f"{n}={values[n]!r}" for n in constraint.names)
                raise ScenarioError(f"the values violate the scenario's constraint "
                                    f"{constraint.text!r} ({shown})")

    def _check_signature(self, role: str, fn: Callable[..., Any], params: Mapping[str, Param],
                         extra: tuple[str, ...]) -> None:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return
        accepted = list(sig.parameters.values())
        if not accepted:
            raise ScenarioError(f"scenario {self.name!r}: {role}() must take the action first")
        rest = accepted[1:]
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in rest)
        names = {p.name for p in rest if p.kind is not p.VAR_POSITIONAL}
        for pname in (*params, *extra):
            if pname not in names and not takes_kwargs:
                raise ScenarioError(
                    f"scenario {self.name!r}: {role}() has no argument {pname!r} "
                    f"(its arguments: {', '.join(p.name for p in accepted)})"
                )
        for p in rest:
            if (p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                    and p.default is p.empty and p.name not in params and p.name not in extra):
                raise ScenarioError(
                    f"scenario {self.name!r}: {role}() argument {p.name!r} is not declared "
                    "(add it to the matching *_params or give it a default)"
                )

    # ------------------------------------------------------------------ parameters

    @property
    def action_names(self) -> list[str]:
        return [a.name for a in self.actions]

    @property
    def safe_mask(self) -> list[bool]:
        return [a.safe for a in self.actions]

    @property
    def all_params(self) -> dict[str, Param]:
        """Every declared parameter, prior first, then world, then reward."""
        return {**self.prior_params, **self.world_params, **self.reward_params}

    def group_of(self, name: str) -> str:
        """``"prior"``, ``"world"`` or ``"reward"``."""
        if name in self.prior_params:
            return "prior"
        if name in self.world_params:
            return "world"
        if name in self.reward_params:
            return "reward"
        raise ParamError(f"unknown parameter {name!r} (known: {', '.join(self.all_params)})")

    def values(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Scalar]:
        """Defaults updated by ``overrides`` (any group), each validated."""
        return resolve(self.all_params, overrides)

    def split(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                         dict[str, Any]]:
        """Split a mapping of values into (prior, world, reward) mappings."""
        prior = {k: values[k] for k in self.prior_params}
        world = {k: values[k] for k in self.world_params}
        reward = {k: values[k] for k in self.reward_params}
        return prior, world, reward

    @property
    def programs(self) -> Programs:
        return Programs(self.belief, self.world, self.payoff, tuple(self.observed),
                        len(self.actions))

    def action_index(self, name: str) -> int:
        try:
            return self.action_names.index(name)
        except ValueError:
            raise ScenarioError(
                f"scenario {self.name!r}: unknown action {name!r} "
                f"(actions: {', '.join(self.action_names)})"
            ) from None

    def source_sha256(self) -> str | None:
        """SHA-256 of the scenario file, when it was loaded from one."""
        if self.source is None:
            return None
        return hashlib.sha256(self.source.read_bytes()).hexdigest()


def load_scenario(path: str | Path) -> Scenario:
    """Run the Python file at ``path`` and return its ``scenario``.

    Raises:
        ScenarioError: one line naming the file (and line) for a missing file, a syntax
            error, an exception while running it, or a missing/invalid ``scenario``.
    """
    file = Path(path)
    if file.is_dir():
        raise ScenarioError(f"{file}: is a directory; expected a scenario file (.py)")
    if not file.is_file():
        raise ScenarioError(f"{file}: no such scenario file")
    if file.suffix != ".py":
        raise ScenarioError(f"{file}: a scenario file must be a Python file (.py)")
    note_read(file, "the scenario file")
    module_name = f"sme_scenario_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ScenarioError(f"{file}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = f"{file}:{exc.lineno}" if exc.lineno else str(file)
        raise ScenarioError(f"{where}: syntax error: {exc.msg}") from exc
    except ScenarioError as exc:
        raise ScenarioError(f"{file}: {exc}") from exc
    except ParamError as exc:  # a declaration is invalid before it knows its own name
        line = _user_line(exc, file)
        where = f"{file}:{line}" if line else str(file)
        name = _declared_name_at(file, line) if line else None
        message = str(exc)
        if name is not None:
            message = message.replace(f"parameter {UNNAMED}", f"parameter {name!r}", 1)
        raise ScenarioError(f"{where}: {message}") from exc
    except (Exception, SystemExit) as exc:  # the file's own code: report, never exit
        line = _user_line(exc, file)
        where = f"{file}:{line}" if line else str(file)
        msg = (str(exc).strip().splitlines() or [""])[0]
        raise ScenarioError(f"{where}: raised {type(exc).__name__} while loading: {msg}") \
            from exc
    finally:
        sys.modules.pop(module_name, None)
    scenario = getattr(module, "scenario", None)
    if scenario is None:
        raise ScenarioError(f"{file}: defines no 'scenario' (expected scenario = Scenario(...))")
    if not isinstance(scenario, Scenario):
        raise ScenarioError(
            f"{file}: 'scenario' must be a Scenario, got {type(scenario).__name__}")
    scenario.source = file.resolve()
    return scenario


def _declared_name_at(file: Path, line: int) -> str | None:
    """The key of the innermost ``"name": Param(...)`` dictionary entry spanning ``line``.

    Read from the file's syntax tree (nothing is run), so an error raised while a
    :class:`Param` is built, before it is given its name, can still name it.
    """
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, SyntaxError, ValueError):
        return None
    best: tuple[int, str] | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            end = value.end_lineno or value.lineno
            if value.lineno <= line <= end and (best is None or end - value.lineno < best[0]):
                best = (end - value.lineno, key.value)
    return None if best is None else best[1]


def _user_line(exc: BaseException, file: Path) -> int | None:
    tb = exc.__traceback__
    line = None
    target = str(file.resolve())
    while tb is not None:
        if str(Path(tb.tb_frame.f_code.co_filename).resolve()) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
