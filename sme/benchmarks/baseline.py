"""The plain computation a user would write without SME's batching: one configuration at a
time, the Pyro programs traced once per Θ point and action.  Same points, same KL and payoff
rules and the same set computation as the batched engine — used by ``sme bench`` as the
baseline, and by the tests as an independent cross-check of the batched tensors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from priors.compile import (
    compile_models,
    expected_payoff,
    quiet_validation,
    site_kl,
    trace_program,
)
from sme.analysis import Settings
from sme.engine.berk_nash import GammaOperator, pure_equilibria, rationalizable_set
from sme.engine.phases import Phase, classify
from sme.scenario.declaration import Scenario


def plain_tensors(scenario: Scenario, values: Mapping[str, Any], settings: Settings
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """``K`` and ``U`` of shape ``(1, N, A)`` by a loop over points and actions."""
    prior, world, reward = scenario.split(scenario.values(values))
    dtype = settings.dtype
    points = compile_models(scenario.programs, prior, world, reward, 1, settings.resolution,
                            "cpu", dtype).points  # the grid only: same points as batched
    n = next(iter(points.values())).shape[1]
    scalars = {k: torch.tensor(float(v), dtype=dtype) if isinstance(v, int | float) else v
               for k, v in {**prior, **world, **reward}.items()}
    prior_s = {k: scalars[k] for k in prior}
    world_s = {k: scalars[k] for k in world}
    reward_s = {k: scalars[k] for k in reward}
    kl = torch.zeros(1, n, len(scenario.actions), dtype=dtype)
    utility = torch.zeros_like(kl)
    with quiet_validation(), torch.no_grad():
        for a in range(len(scenario.actions)):
            action = torch.tensor(a)
            world_sites = trace_program("world", scenario.world, action, **world_s)
            for i in range(n):
                pinned = {site: value[0, i] for site, value in points.items()}
                belief_sites = trace_program("belief", scenario.belief, action, data=pinned,
                                             **prior_s)
                fns = {}
                for k, site in enumerate(scenario.observed):
                    wfn, bfn = world_sites[site]["fn"], belief_sites[site]["fn"]
                    value, _ = site_kl(site, wfn, bfn, (), settings.resolution,
                                       settings.resolution.seed + k)
                    kl[0, i, a] += value
                    fns[site] = bfn
                u, _ = expected_payoff(scenario.payoff, action, fns, reward_s, (),
                                       settings.resolution, settings.resolution.seed + 1000)
                utility[0, i, a] = u
    return kl, utility


def plain_phase(scenario: Scenario, values: Mapping[str, Any], settings: Settings) -> Phase:
    """The phase of one configuration computed the plain way."""
    kl, utility = plain_tensors(scenario, values, settings)
    gamma = GammaOperator(kl, utility, settings.tolerance)
    safe = torch.tensor(scenario.safe_mask)
    code = classify(rationalizable_set(gamma), safe, pure_equilibria(gamma))
    return Phase.from_code(int(code[0]))
