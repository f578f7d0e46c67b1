"""Episodes judged against the prediction as the theory states it.

Every action a Bayesian learner plays infinitely often lies in the Berk–Nash rationalizable
set ``R`` (Esponda & Pouzo, arXiv 2505.20708), and where its behaviour settles it settles on a
Berk–Nash equilibrium (Esponda & Pouzo, Econometrica 2016) — a pure one (a self-confirming
resting point) or a mixed one (it keeps alternating).  A finite episode is read through its
**late period** (the last ``late`` share of its rounds, unreadable replies left out):

* every action played late lies in ``R`` — otherwise the episode played **outside R**;
* the late frequencies are those of a predicted equilibrium: an episode that **settled**
  (one action throughout the late period) settled on a pure equilibrium, or on an action
  of a mixed one whose interval allows so few rounds of its other actions; an episode that
  keeps **switching** has late frequencies compatible with a predicted mixed equilibrium.
  Compatible means that some mixture ``σ`` of the equilibrium (its interval, or with three
  or more actions its region, the convex hull of its corners) has, for every action ``b``,
  ``σ_b`` inside the Wilson interval (Wilson 1927) of ``b``'s late frequency at the stated
  confidence (``σ_b = 0`` off the equilibrium's support: an action played late but not in it
  rules it out).  The interval is that of ``n`` independent draws, ``n`` the late rounds
  read: an episode's length sets how closely it must match.

An episode consistent with the prediction has a **resting point**: the pure equilibrium it
settled on (its action's name) or the mixed one its frequencies fit (``mixed(a, b)``).  A
condition **agrees** with its prediction when its episodes are consistent: at most the
tolerated share ``ν`` of the episodes read are not (``ν = 0.1`` by default, so with fewer
than ten episodes every one must be).  This is a statement about consistency, not a phase
estimate: six episodes that all settle on ``solve`` agree with a multistable prediction
whose pure equilibria include ``solve``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from sme.analysis import Settings, analyze_batch
from sme.engine.equilibria import mixed_equilibria
from sme.engine.phases import Phase
from sme.experiments.observed import EpisodeBehaviour, wilson_interval
from sme.scenario.declaration import Scenario

#: the one line the report prints, writes in its JSON and draws under its figure
RULE = ("agreement = consistency: a condition agrees when its episodes' late actions lie in "
        "the Berk–Nash set R and each episode rests at a predicted equilibrium (settled on a "
        "pure one, or late frequencies within the Wilson intervals of a mixed one); the "
        "observed phase is shown for reference")


@dataclass(frozen=True)
class MixedPrediction:
    """One predicted mixed equilibrium: its support and the mixtures it spans, as corners
    (two for an interval of two actions, the region's vertices for three or more, one for a
    single mixture); every convex combination of the corners is an equilibrium."""

    support: tuple[str, ...]
    corners: tuple[dict[str, float], ...]

    @property
    def label(self) -> str:
        return f"mixed({', '.join(self.support)})"

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each support action's least and greatest weight over the corners."""
        return {a: (min(c[a] for c in self.corners), max(c[a] for c in self.corners))
                for a in self.support}

    def to_json(self) -> dict[str, Any]:
        return {"support": list(self.support),
                "ranges": {a: list(r) for a, r in self.ranges().items()}}


@dataclass
class Prediction:
    """What SME predicts for one condition's long-run behaviour.

    The mixed equilibria are found when first asked for (:attr:`mixed`): an episode that
    settled on a pure equilibrium, or played outside ``R``, is judged without them, and with
    thousands of Θ points they cost seconds a condition.  ``to_json`` writes them as
    ``null`` when no episode needed them."""

    phase: Phase
    rationalizable: tuple[str, ...]
    pure: tuple[str, ...]
    computed_mixed: tuple[MixedPrediction, ...] | None = None
    solver: Callable[[], tuple[MixedPrediction, ...]] | None = field(default=None,
                                                                      repr=False)

    @property
    def mixed(self) -> tuple[MixedPrediction, ...]:
        """The mixed equilibria supported on ``R``."""
        if self.computed_mixed is None:
            self.computed_mixed = self.solver() if self.solver is not None else ()
        return self.computed_mixed

    def to_json(self) -> dict[str, Any]:
        mixed = None if self.computed_mixed is None else \
            [m.to_json() for m in self.computed_mixed]
        return {"phase": self.phase.value, "rationalizable": list(self.rationalizable),
                "pure_equilibria": list(self.pure), "mixed_equilibria": mixed}


def mixed_prediction(mixture: Mapping[str, float], interval: tuple[float, float],
                     vertices: Sequence[Mapping[str, float]]) -> MixedPrediction:
    """A :class:`MixedPrediction` from an engine equilibrium's mixture (action → weight),
    its interval (the last action's weight, for two actions) and its region's vertices."""
    support = tuple(mixture)
    if vertices:
        corners = tuple({a: float(v[a]) for a in support} for v in vertices)
    elif len(support) == 2:
        first, last = support
        low, high = (float(t) for t in interval)
        corners = ({first: 1.0 - low, last: low}, {first: 1.0 - high, last: high})
    else:
        corners = ({a: float(w) for a, w in mixture.items()},)
    return MixedPrediction(support, corners)


@dataclass(frozen=True)
class EpisodeJudgement:
    """One episode against its condition's prediction."""

    resting: str | None  # the equilibrium it rests at: an action, "mixed(a, b)", or None
    consistent: bool | None  # None when no late round was read
    outside: tuple[str, ...]  # late actions outside R
    late_rounds: int
    settled: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"resting": self.resting, "consistent": self.consistent,
                "outside_R": list(self.outside), "late_rounds": self.late_rounds,
                "settled": self.settled, "reason": self.reason}


def judge_episode(behaviour: EpisodeBehaviour, prediction: Prediction,
                  confidence: float = 0.95) -> EpisodeJudgement:
    """Judge one episode's late period (see the module docstring for the rule)."""
    n = behaviour.late_rounds
    if behaviour.pattern is None or n == 0:
        return EpisodeJudgement(None, None, (), 0, None, "no late round was read")
    played = [a for a, k in behaviour.counts.items() if k > 0]
    outside = tuple(a for a in played if a not in prediction.rationalizable)
    if outside:
        return EpisodeJudgement(None, False, outside, n, behaviour.settled,
                                f"played {', '.join(outside)} late, outside R")
    if behaviour.settled is not None and behaviour.settled in prediction.pure:
        return EpisodeJudgement(behaviour.settled, True, (), n, behaviour.settled,
                                f"settled on the pure equilibrium {behaviour.settled}")
    bounds = {a: wilson_interval(k, n, confidence) for a, k in behaviour.counts.items()}
    for mixed in prediction.mixed:
        if compatible(mixed, bounds):
            return EpisodeJudgement(mixed.label, True, (), n, behaviour.settled,
                                    f"late frequencies fit {mixed.label} at "
                                    f"{confidence:.0%}")
    what = f"settled on {behaviour.settled}" if behaviour.settled is not None else \
        "kept switching"
    return EpisodeJudgement(None, False, (), n, behaviour.settled,
                            f"{what}; no predicted equilibrium fits its late frequencies")


def compatible(mixed: MixedPrediction, bounds: Mapping[str, tuple[float, float]]) -> bool:
    """Whether some mixture of ``mixed`` (a convex combination of its corners) gives every
    action a weight inside its bounds (``0`` off the support).

    Decided exactly: the mixtures form a polytope of at most a few corners, and the bounds a
    box, so a linear feasibility problem (solved by :func:`scipy.optimize.linprog`) decides;
    one corner or two are checked directly."""
    for action, (low, _) in bounds.items():
        if action not in mixed.support and low > 0.0:
            return False
    box = {a: bounds.get(a, (0.0, 1.0)) for a in mixed.support}
    corners = mixed.corners
    if len(corners) == 1:
        return all(lo - 1e-12 <= corners[0][a] <= hi + 1e-12 for a, (lo, hi) in box.items())
    if len(corners) == 2:  # a segment: intersect the parameter ranges each action allows
        start, end = 0.0, 1.0
        for a, (lo, hi) in box.items():
            c0, c1 = corners[0][a], corners[1][a]
            slope = c1 - c0
            if abs(slope) < 1e-15:
                if not lo - 1e-12 <= c0 <= hi + 1e-12:
                    return False
                continue
            t0, t1 = sorted(((lo - c0) / slope, (hi - c0) / slope))
            start, end = max(start, t0), min(end, t1)
        return start <= end + 1e-12
    from scipy.optimize import linprog

    support = list(mixed.support)
    rows, limits = [], []
    for a in support:
        lo, hi = box[a]
        rows.append([c[a] for c in corners])
        limits.append(hi)
        rows.append([-c[a] for c in corners])
        limits.append(-lo)
    result = linprog(c=[0.0] * len(corners), A_ub=rows, b_ub=limits,
                     A_eq=[[1.0] * len(corners)], b_eq=[1.0],
                     bounds=[(0.0, None)] * len(corners), method="highs")
    return bool(result.status == 0)


@dataclass(frozen=True)
class Consistency:
    """A condition's episodes against its prediction."""

    episodes: list[EpisodeJudgement]
    tolerance: float
    resting: dict[str, int] = field(default_factory=dict)

    @property
    def judged(self) -> int:
        return sum(e.consistent is not None for e in self.episodes)

    @property
    def consistent(self) -> int:
        return sum(e.consistent is True for e in self.episodes)

    @property
    def inconsistent(self) -> int:
        return sum(e.consistent is False for e in self.episodes)

    @property
    def outside(self) -> int:
        """Episodes that played an action outside R in their late period."""
        return sum(bool(e.outside) for e in self.episodes)

    @property
    def agrees(self) -> bool:
        return self.judged > 0 and self.inconsistent <= self.tolerance * self.judged

    def to_json(self) -> dict[str, Any]:
        return {"agrees": self.agrees, "episodes_judged": self.judged,
                "consistent": self.consistent, "inconsistent": self.inconsistent,
                "outside_R": self.outside, "resting_points": self.resting,
                "episodes": [e.to_json() for e in self.episodes]}


def judge_condition(behaviours: Sequence[EpisodeBehaviour], prediction: Prediction,
                    tolerance: float = 0.1, confidence: float = 0.95) -> Consistency:
    """Judge every episode of a condition; ``resting`` counts the episodes per resting point
    (``none`` for the inconsistent ones)."""
    judged = [judge_episode(b, prediction, confidence) for b in behaviours]
    resting: dict[str, int] = {}
    for j in judged:
        if j.consistent is None:
            continue
        key = j.resting or "none"
        resting[key] = resting.get(key, 0) + 1
    order = {name: k for k, name in enumerate(itertools.chain(
        prediction.pure, (m.label for m in prediction.computed_mixed or ()), ["none"]))}
    resting = dict(sorted(resting.items(), key=lambda kv: order.get(kv[0], len(order))))
    return Consistency(judged, tolerance, resting)


def predict(scenario: Scenario, conditions: Sequence[Mapping[str, Any]], settings: Settings
            ) -> list[Prediction]:
    """SME's prediction for each condition (every one inside the scenario's constraints):
    phase, ``R``, pure equilibria, and the mixed equilibria supported on ``R`` when asked."""
    batch = analyze_batch(scenario, conditions, settings)
    names = scenario.action_names

    def solver(row: int) -> Callable[[], tuple[MixedPrediction, ...]]:
        def solve() -> tuple[MixedPrediction, ...]:
            rows = torch.nonzero(batch.bn_set[row]).flatten().tolist()
            found = []
            for eq in mixed_equilibria(batch.gamma, row, rows):
                mixture = {names[a]: w for a, w in eq.mixture().items()}
                vertices = [dict(zip((names[a] for a in eq.actions), v, strict=True))
                            for v in eq.vertices]
                found.append(mixed_prediction(mixture, eq.interval, vertices))
            return tuple(found)

        return solve

    return [Prediction(batch.phase(row), tuple(batch.bn_names(row)),
                       tuple(batch.pure_names(row)), solver=solver(row))
            for row in range(len(batch))]
