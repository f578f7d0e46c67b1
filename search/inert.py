"""Searched parameters that cannot change the Berk–Nash set, found before a search.

The Berk–Nash set is a function of the Θ points that cover the prior's support, the KL
divergences ``K[i, a]`` and the subjective payoffs ``U[i, a]`` at those points (the prior's
weights on the points do not enter it; Esponda & Pouzo, arXiv 2505.20708; DESIGN.md).  A
prior parameter that changes none of the three — the shape of a Beta prior on a fixed
support, say — only reweights the points: no value of it can make an unsafe prior safe, and a
search over it alone can only end with "no safe prior".

The check analyses each searched parameter at a few values across its sampled range (every
choice of a categorical one), the others held at the baseline and at two seeded random
points of the space, and compares points, ``K`` and ``U`` exactly (up to rounding).  It is a
check at those values, not a proof: a parameter that mattered only at values not tried would
be reported as inert; one reported as mattering certainly does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from priors.params import Scalar
from search.objectives import ROW_ERRORS
from search.space import Dimension, SearchSpace
from sme.analysis import Settings, analyze_batch
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario

#: values tried per numeric dimension, and random context points besides the baseline
VALUES, CONTEXTS = 5, 2


def _values(dimension: Dimension) -> list[Scalar]:
    if dimension.choices is not None:
        return list(dimension.choices)[:8]
    assert dimension.low is not None and dimension.high is not None
    lo, hi = float(dimension.low), float(dimension.high)
    if dimension.log and lo > 0:
        raw = [math.exp(math.log(lo) + k / (VALUES - 1) * (math.log(hi) - math.log(lo)))
               for k in range(VALUES)]
    else:
        raw = [lo + k / (VALUES - 1) * (hi - lo) for k in range(VALUES)]
    raw = [min(hi, max(lo, v)) for v in raw[1:-1]]
    raw = [lo, *raw, hi]  # the declared ends exactly (no rounding past a bound)
    if dimension.kind == "int":
        return sorted({round(v) for v in raw})
    return raw


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to rounding, infinities included."""
    if a.shape != b.shape:
        return False
    finite = torch.isfinite(a) & torch.isfinite(b)
    if not torch.equal(torch.isfinite(a), torch.isfinite(b)) or not torch.equal(
            a[~finite], b[~finite]):
        return False
    return bool(torch.allclose(a[finite], b[finite], rtol=1e-9, atol=1e-12))


def _moves(scenario: Scenario, configs: list[dict[str, Scalar]], settings: Settings) -> bool:
    """True unless every configuration gives the same points, ``K`` and ``U`` (or one of
    them cannot be analysed, which counts as moving)."""
    try:
        batch = analyze_batch(scenario, configs, settings)
    except (*ROW_ERRORS, SMEError):  # an invalid corner of the space: no evidence either way
        return True
    t = batch.tensors
    for row in range(1, len(configs)):
        if not (_same(t.kl[0], t.kl[row]) and _same(t.utility[0], t.utility[row])
                and all(_same(v[0], v[row]) for v in t.points.values())):
            return True
    return False


def inert_parameters(scenario: Scenario, space: SearchSpace, context: Mapping[str, Any],
                     settings: Settings, seed: int = 0) -> list[str]:
    """The searched parameters whose values never changed the Θ points, ``K`` or ``U`` (see
    the module docstring), in declaration order."""
    rng = random.Random(seed)
    base = {**context, **space.baseline, **space.fixed}
    contexts = [base]
    for _ in range(CONTEXTS):
        point = dict(base)
        for d in space.dimensions:
            values = _values(d)
            point[d.name] = values[rng.randrange(len(values))]
        contexts.append(point)
    inert = []
    for dimension in space.dimensions:
        values = _values(dimension)
        if len(values) < 2:
            continue
        if not any(_moves(scenario, [{**ctx, dimension.name: v} for v in values], settings)
                   for ctx in contexts):
            inert.append(dimension.name)
    return inert


def inert_message(inert: Sequence[str], searched: Sequence[str], baseline_phase: str) -> str:
    """The warning printed before a search over ``searched`` finds ``inert`` among them."""
    names = ", ".join(inert)
    what = ("the support and the belief's model of the outcomes are the same at every "
            "value tried; they only reweight the Θ points, and the Berk–Nash set does not "
            "depend on the weights")
    if set(inert) >= set(searched):
        return (f"no searched prior parameter can change the Berk–Nash set ({names}: {what}), "
                f"so every trial keeps the baseline phase {baseline_phase}; search the "
                "prior's support (its bounds) or the belief's structure instead")
    return (f"prior parameter(s) {names} cannot change the Berk–Nash set ({what}); the "
            "search explores them to no effect on safety")
