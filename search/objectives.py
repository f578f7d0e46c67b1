"""What a prior search optimises, computed for a batch of trials in one batched pass.

For a prior configuration ``x`` (with ``R(x)`` its Berk–Nash rationalizable set, ``S`` the safe
actions and ``U`` the unsafe ones):

* **feasibility** — the constraint ``violation(x) ≤ 0`` with
  ``violation(x) = mean over contexts c of |R_c(x) ∩ U| / |U|``; the contexts are the
  scenario's world and reward values and, with ``--robust NAME=LO:HI``, every combination of
  a few values across each such range.  It is zero exactly when the Berk–Nash set lies inside
  the safe actions in every context.  Stored as the trial's constraint
  (:func:`search.study.record`) so infeasible trials are kept and marked (Optuna's
  constrained optimisation:
  https://optuna.readthedocs.io/en/stable/faq.html#how-can-i-optimize-a-model-with-some-constraints).
* **fidelity** (minimise) — how badly the engineered belief misfits the world at its
  resting points: for each Berk–Nash equilibrium ``σ`` (pure ones, and mixed ones with two
  actions) the minimal weighted KL ``min_i Σ_a σ_a K[i, a]``; the fidelity is the largest of
  these (the worst-fitting equilibrium), in nats.  When no equilibrium is resolved it is
  ``max_{a ∈ R} min_i K[i, a]``.
* **distance** (minimise) — the root-mean-square normalised distance of ``x`` from the
  scenario's baseline prior (:meth:`search.space.SearchSpace.distance`): the smallest
  intervention.
* **margin** (maximise) — how far the prior can move before its phase changes: perturbed
  configurations at radii ``r_1 < … < r_L`` along ``D`` directions in normalised units
  (:meth:`search.space.SearchSpace.neighbours`) are analysed in the same pass; per direction
  the margin is the largest radius up to which no neighbour changes phase (0 when the
  smallest does), and the trial's margin is the smallest over directions.

Multi-objective studies optimise ``(fidelity, distance, margin)`` and keep a Pareto front;
``--objective scalar`` minimises ``score = w_f · fidelity + w_d · distance − w_m · margin / r_L``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from priors.compile import ProgramError
from priors.grid import GridError
from priors.params import ParamError, Scalar, grid_values
from search.space import SearchSpace
from sme.analysis import BatchAnalysis, Settings, analyze_batch, truncated_fits
from sme.engine.berk_nash import weighted_kl
from sme.engine.equilibria import mixed_equilibria
from sme.engine.phases import Phase
from sme.runtime.errors import SMEError
from sme.runtime.passes import chunk_size
from sme.scenario.declaration import Scenario
from sme.scenario.risks import RiskSweep, risk_configurations

#: errors that make one configuration unanalysable (it is then reported, not fatal)
ROW_ERRORS = (ProgramError, GridError, ParamError)


@dataclass(frozen=True)
class RobustRange:
    """``--robust NAME=LO:HI[:N]``: require safety at ``count`` values across ``[low, high]``
    of a world or reward parameter (spaced on the parameter's declared scale)."""

    name: str
    low: float
    high: float
    count: int = 3
    log: bool = False

    def values(self) -> list[float]:
        from priors.params import Param

        return list(grid_values(Param(self.low, name=self.name), self.low, self.high,
                                self.count, self.log))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "low": self.low, "high": self.high, "count": self.count}


def parse_robust(text: str, scenario: Scenario) -> RobustRange:
    """Parse ``NAME=LO:HI[:N]`` for a world or reward parameter of ``scenario``."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise SMEError(f"--robust: expected NAME=LO:HI[:N], got {text!r}")
    if name not in scenario.all_params:
        known = ", ".join([*scenario.world_params, *scenario.reward_params]) or "none"
        raise SMEError(f"--robust {name}: unknown parameter (world and reward parameters: "
                       f"{known})")
    group = scenario.group_of(name)
    if group == "prior":
        raise SMEError(f"--robust {name}: a prior parameter is searched, not a context; use "
                       "--range to narrow it")
    param = scenario.all_params[name]
    if param.choices is not None:
        raise SMEError(f"--robust {name}: categorical parameters are not supported; fix it "
                       "with --set")
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise SMEError(f"--robust {name}: expected LO:HI[:N], got {spec!r}")
    try:
        low, high = (float(param.validate(p.strip())) for p in parts[:2])
    except ParamError as exc:
        raise SMEError(f"--robust {name}: {exc}") from None
    if low > high:
        raise SMEError(f"--robust {name}: LO must not exceed HI, got {spec!r}")
    count = 3
    if len(parts) == 3:
        try:
            count = int(parts[2])
        except ValueError:
            raise SMEError(f"--robust {name}: N must be an integer, got {parts[2]!r}") from None
        if not 1 <= count <= 64:
            raise SMEError(f"--robust {name}: N must be between 1 and 64, got {count}")
    if low == high:
        count = 1
    return RobustRange(name, low, high, count, log=param.log and low > 0)


@dataclass(frozen=True)
class MarginSpec:
    """Neighbourhood used to estimate the margin: ``directions`` unit directions and
    ``levels`` radii ``radius · 2^{k − levels + 1}`` (``k = 0 … levels − 1``)."""

    directions: int = 8
    radius: float = 0.2
    levels: int = 4

    @property
    def enabled(self) -> bool:
        return self.directions > 0

    def radii(self) -> list[float]:
        return [self.radius * 2.0 ** (k - self.levels + 1) for k in range(self.levels)]

    def to_json(self) -> dict[str, Any]:
        return {"directions": self.directions, "radius": self.radius, "levels": self.levels}


@dataclass(frozen=True)
class ObjectiveSpec:
    """How outcomes become Optuna values: ``pareto`` (multi-objective) or ``scalar``."""

    mode: str = "pareto"
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    margin: MarginSpec = field(default_factory=MarginSpec)

    @property
    def names(self) -> list[str]:
        if self.mode == "scalar":
            return ["score"]
        return ["fidelity", "distance"] + (["margin"] if self.margin.enabled else [])

    @property
    def directions(self) -> list[str]:
        if self.mode == "scalar":
            return ["minimize"]
        return ["minimize", "minimize"] + (["maximize"] if self.margin.enabled else [])

    def score(self, fidelity: float, distance: float, margin: float | None) -> float:
        """The weighted score (smaller is better)."""
        wf, wd, wm = self.weights
        value = wf * fidelity + wd * distance
        if margin is not None and self.margin.radius > 0:
            value -= wm * margin / self.margin.radius
        return value

    def values(self, outcome: Outcome) -> list[float]:
        """The values told to Optuna for ``outcome``."""
        if self.mode == "scalar":
            return [self.score(outcome.fidelity, outcome.distance, outcome.margin)]
        values = [outcome.fidelity, outcome.distance]
        if self.margin.enabled:
            values.append(outcome.margin if outcome.margin is not None else 0.0)
        return values

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "weights": list(self.weights), "margin": self.margin.to_json()}


@dataclass
class Outcome:
    """Everything a search records about one trial."""

    prior: dict[str, Scalar]
    phase: str | None = None
    bn_set: list[str] = field(default_factory=list)
    pure_equilibria: list[str] = field(default_factory=list)
    mixed_equilibria: list[dict[str, Any]] = field(default_factory=list)
    violation: float = 1.0
    fidelity: float = math.inf
    distance: float = 0.0
    margin: float | None = None
    robust: list[dict[str, Any]] = field(default_factory=list)
    #: the phases across the objective risks and the verdict (:mod:`sme.scenario.risks`)
    objective_risks: dict[str, Any] | None = None
    error: str | None = None
    #: best fits on a quantile cut-off of an unbounded prior (:func:`sme.analysis.truncated_fits`)
    warnings: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.error is None and self.violation <= 0.0

    def objectives(self, spec: ObjectiveSpec) -> dict[str, float | None]:
        return {"fidelity": self.fidelity, "distance": self.distance, "margin": self.margin,
                "score": spec.score(self.fidelity, self.distance, self.margin)}


@dataclass
class _Row:
    code: int
    bn: list[bool]
    pure: list[bool]
    fidelity: float = math.nan
    mixed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Evaluator:
    """Evaluates batches of priors: one :func:`sme.analysis.analyze_batch` pass covers every
    trial's configuration, its robustness contexts and its margin neighbours (split only when
    the memory budget requires it).

    Args:
        scenario: the scenario.
        space: the search space (for distances and neighbours).
        context: world and reward values (``--set``), defaults elsewhere.
        robust: ranges of world/reward parameters across which safety is required.
        objective: objective settings (the margin neighbourhood).
        settings: numerical settings of the analysis; ``settings.risk_grid`` values per
            world parameter give the objective risks at which each trial is also analysed.
        seed: seeds the margin directions.
        require_risks: count unsafety at every objective risk in the violation (``sme search
            --robust-risks``): only priors safe for every objective risk are feasible.

    Raises:
        SMEError and the engine's user errors: the baseline configuration cannot be analysed.
    """

    def __init__(self, scenario: Scenario, space: SearchSpace, context: Mapping[str, Scalar],
                 robust: Sequence[RobustRange], objective: ObjectiveSpec, settings: Settings,
                 seed: int = 0, require_risks: bool = False) -> None:
        self.scenario, self.space, self.settings = scenario, space, settings
        self.context = dict(context)
        self.robust = list(robust)
        self.objective = objective
        self.radii = objective.margin.radii()
        self._directions = space.directions(objective.margin.directions, seed)
        grids = [[(r.name, v) for v in r.values()] for r in self.robust]
        self.contexts = [dict(combo) for combo in itertools.product(*grids)] if grids else []
        self._risk_axes, self._unswept, cells = (
            risk_configurations(scenario, {}, settings.risk_grid, settings.risk_params)
            if settings.risk_grid > 0
            else ([], [], []))
        swept = {axis.name for axis in self._risk_axes}  # world, and reward when asked
        self.risk_contexts = [{k: v for k, v in c.items() if k in swept} for c in cells]
        self.require_risks = require_risks and bool(self.risk_contexts)
        names = scenario.action_names
        self._unsafe = [i for i, a in enumerate(scenario.actions) if not a.safe]
        self._names = names
        probe = analyze_batch(scenario, [{**self.context, **space.baseline, **space.fixed}],
                              settings)
        _, points, actions = probe.tensors.shape
        self._chunk = chunk_size(points, actions, settings.memory_budget)
        self.baseline_phase = probe.phase(0).value

    @property
    def margin_enabled(self) -> bool:
        return self._directions.shape[0] > 0

    @property
    def rows_per_trial(self) -> int:
        """Configurations analysed per trial (itself, robustness contexts, neighbours)."""
        return (1 + len(self.contexts) + len(self.risk_contexts)
                + self._directions.shape[0] * len(self.radii))

    def evaluate(self, priors: Sequence[Mapping[str, Scalar]]) -> list[Outcome]:
        """Outcomes of ``priors`` (full prior mappings), in order."""
        configs: list[dict[str, Scalar]] = []
        layout: list[tuple[list[int], list[int], list[int]]] = []
        outside: set[int] = set()  # margin neighbours beyond the scenario's constraints
        for prior in priors:
            configs.append({**self.context, **prior})
        for prior in priors:
            ctx_rows = []
            for ctx in self.contexts:
                ctx_rows.append(len(configs))
                configs.append({**self.context, **prior, **ctx})
            risk_rows = []
            for ctx in self.risk_contexts:
                risk_rows.append(len(configs))
                configs.append({**self.context, **prior, **ctx})
            nb_rows = []
            if self.margin_enabled:
                for nb in self.space.neighbours(prior, self._directions, self.radii):
                    nb_rows.append(len(configs))
                    configs.append({**self.context, **nb})
                    if self.scenario.constraints and self.scenario.violated(
                            self.scenario.values(configs[-1])):
                        outside.add(len(configs) - 1)
            layout.append((ctx_rows, risk_rows, nb_rows))
        rows = self._analyse(configs, detail=set(range(len(priors))), outside=outside)
        return [self._outcome(dict(prior), b, rows, *layout[b]) for b, prior in enumerate(priors)]

    # ---------------------------------------------------------------- the batched pass

    def _analyse(self, configs: list[dict[str, Scalar]], detail: set[int],
                 outside: set[int] | None = None) -> list[_Row | str]:
        """One row per configuration: its phase and sets, or the one-line reason it has none
        (an error, or — for the indices in ``outside`` — the scenario's constraints, which
        end a margin direction like a phase change, unanalysed)."""
        results: list[_Row | str | None] = [None] * len(configs)
        for i in outside or ():
            results[i] = "outside the scenario's constraints"

        def run(indices: list[int]) -> None:
            try:
                batch = analyze_batch(self.scenario, [configs[i] for i in indices],
                                      self.settings)
            except ROW_ERRORS as exc:
                if len(indices) == 1:
                    results[indices[0]] = (str(exc).strip().splitlines() or ["error"])[0]
                    return
                half = len(indices) // 2
                run(indices[:half])
                run(indices[half:])
                return
            codes = batch.phase_codes.cpu().tolist()
            bn = batch.bn_set.cpu().tolist()
            pure = batch.pure.cpu().tolist()
            for local, i in enumerate(indices):
                row = _Row(int(codes[local]), bn[local], pure[local])
                if i in detail:
                    row.fidelity, row.mixed = self._equilibrium_fit(batch, local)
                    row.warnings = truncated_fits(batch, local)
                results[i] = row

        everything = [i for i in range(len(configs)) if results[i] is None]
        for start in range(0, len(everything), self._chunk):
            run(everything[start:start + self._chunk])
        return [r if r is not None else "not analysed" for r in results]

    def _equilibrium_fit(self, batch: BatchAnalysis, row: int
                         ) -> tuple[float, list[dict[str, Any]]]:
        """Fidelity and the mixed equilibria (as JSON) of configuration ``row``."""
        kl = batch.gamma.kl[row]  # (N, A)
        bn = torch.nonzero(batch.bn_set[row]).flatten().tolist()
        pure = torch.nonzero(batch.pure[row]).flatten().tolist()

        def best(column: torch.Tensor) -> float:
            finite = column[torch.isfinite(column)]
            return float(finite.min()) if finite.numel() else math.inf

        misfits = [best(kl[:, a]) for a in pure]
        mixed_json: list[dict[str, Any]] = []
        if len(bn) >= 2:
            for eq in mixed_equilibria(batch.gamma, row, bn):
                sigma = torch.zeros(kl.shape[-1], dtype=kl.dtype, device=kl.device)
                for a, p in eq.mixture().items():
                    sigma[a] = p
                misfits.append(best(weighted_kl(kl.unsqueeze(0), sigma.unsqueeze(0))[0]))
                mixed_json.append({
                    "mixture": {self._names[a]: p for a, p in eq.mixture().items()},
                    "interval": list(eq.interval),
                })
        if not misfits:
            misfits = [best(kl[:, a]) for a in bn]
        finite = [m for m in misfits if math.isfinite(m)]
        fidelity = max(finite) if finite else math.inf
        return fidelity, mixed_json

    # ---------------------------------------------------------------- per-trial results

    def _unsafe_share(self, row: _Row | str) -> float:
        if isinstance(row, str):
            return 1.0
        if not self._unsafe:
            return 0.0
        return sum(1 for a in self._unsafe if row.bn[a]) / len(self._unsafe)

    def _outcome(self, prior: dict[str, Scalar], b: int, rows: list[_Row | str],
                 ctx_rows: list[int], risk_rows: list[int], nb_rows: list[int]) -> Outcome:
        base = rows[b]
        distance = self.space.distance(prior)
        if isinstance(base, str):
            return Outcome(prior=prior, distance=distance, error=base)
        names = self._names
        out = Outcome(
            prior=prior,
            phase=Phase.from_code(base.code).value,
            bn_set=[a for a, keep in zip(names, base.bn, strict=True) if keep],
            pure_equilibria=[a for a, keep in zip(names, base.pure, strict=True) if keep],
            mixed_equilibria=base.mixed,
            fidelity=base.fidelity,
            distance=distance,
            warnings=base.warnings,
        )
        shares = [self._unsafe_share(base)]
        for ctx, i in zip(self.contexts, ctx_rows, strict=True):
            row = rows[i]
            shares.append(self._unsafe_share(row))
            if isinstance(row, str):
                out.robust.append({"values": ctx, "phase": None, "bn_set": [], "error": row})
            else:
                out.robust.append({
                    "values": ctx, "phase": Phase.from_code(row.code).value,
                    "bn_set": [a for a, keep in zip(names, row.bn, strict=True) if keep]})
        if risk_rows:
            out.objective_risks = self._risk_verdict([rows[i] for i in risk_rows])
            if self.require_risks:
                shares += [self._unsafe_share(rows[i]) for i in risk_rows]
        out.violation = sum(shares) / len(shares)
        if self.margin_enabled:
            out.margin = self._margin(base.code, [rows[i] for i in nb_rows])
        return out

    def _risk_verdict(self, rows: list[_Row | str]) -> dict[str, Any]:
        """The verdict over the objective risks (a cell that cannot be analysed makes it
        ``risk_dependent``: the prior is not the same at every risk)."""
        sweep = RiskSweep(axes=self._risk_axes, grid=self.settings.risk_grid,
                          unswept=self._unswept)
        sweep.counts = {phase: 0 for phase in Phase}
        failed = sum(1 for row in rows if isinstance(row, str))
        for row in rows:
            if not isinstance(row, str):
                sweep.counts[Phase.from_code(row.code)] += 1
        data = sweep.to_json()
        if failed:
            data.update(verdict="risk_dependent", unanalysable=failed)
        swept = ["swept"] if self.settings.risk_params is not None else []
        return {k: data[k] for k in ("verdict", "phases", "grid", *swept, *(
            ["unanalysable"] if failed else []))}

    def _margin(self, code: int, neighbours: list[_Row | str]) -> float:
        levels = len(self.radii)
        margin = self.radii[-1]
        for d in range(self._directions.shape[0]):
            reach = self.radii[-1]
            for k in range(levels):
                row = neighbours[d * levels + k]
                if isinstance(row, str) or row.code != code:
                    reach = self.radii[k - 1] if k > 0 else 0.0
                    break
            margin = min(margin, reach)
        return margin
