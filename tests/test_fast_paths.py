"""Fast paths of the analysis against the slow, obvious computation on random problems.

Each faster computation must give exactly the answers of its definition: the same beaten
points, phases, sets and verdicts.
"""

from __future__ import annotations

import math

import pytest
import torch

from sme.engine.berk_nash import never_fitting


def never_fitting_by_definition(kl: torch.Tensor, ktol: torch.Tensor,
                                rivals: torch.Tensor) -> torch.Tensor:
    """Point ``i`` is beaten when some rival ``j`` has ``K[j, a] < K[i, a] − ktol`` for
    every action ``a``: every point against every rival."""
    rows, points, _ = kl.shape
    out = torch.zeros(rows, points, dtype=torch.bool)
    for b in range(rows):
        for i in range(points):
            for j in range(points):
                if rivals[b, j] and all(float(kl[b, j, a]) < float(kl[b, i, a] - ktol[b])
                                        for a in range(kl.shape[2])):
                    out[b, i] = True
                    break
    return out


@pytest.mark.parametrize("seed", range(12))
def test_never_fitting_matches_its_definition(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    rows = int(torch.randint(1, 5, (1,), generator=gen))
    points = int(torch.randint(1, 40, (1,), generator=gen))
    actions = int(torch.randint(1, 5, (1,), generator=gen))
    # small integers: many exact ties, and differences equal to the tolerance
    kl = torch.randint(0, 6, (rows, points, actions), generator=gen).double()
    kl[torch.rand(kl.shape, generator=gen) < 0.15] = math.inf
    ktol = torch.tensor([0.0, 1.0, 1e-9, 2.5][:rows] + [0.0] * max(0, rows - 4),
                        dtype=torch.float64)
    for rivals in (torch.rand(rows, points, generator=gen) < 0.3,
                   torch.ones(rows, points, dtype=torch.bool),
                   torch.zeros(rows, points, dtype=torch.bool)):
        expected = never_fitting_by_definition(kl, ktol, rivals)
        assert torch.equal(never_fitting(kl, ktol, rivals), expected)
    assert torch.equal(never_fitting(kl, ktol),
                       never_fitting_by_definition(kl, ktol, torch.ones(rows, points,
                                                                        dtype=torch.bool)))


@pytest.mark.parametrize("block", [1, 7, 1 << 22])
def test_never_fitting_in_small_blocks(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """The rivals are compared in blocks bounded by a cell budget; one rival at a time
    gives the same answer as all at once."""
    import sme.engine.berk_nash as berk_nash

    gen = torch.Generator().manual_seed(99)
    kl = torch.rand(3, 50, 3, generator=gen, dtype=torch.float64)
    kl[0, 7] = math.inf
    ktol = torch.tensor([0.0, 0.01, 0.1], dtype=torch.float64)
    rivals = torch.rand(3, 50, generator=gen) < 0.5
    expected = never_fitting_by_definition(kl, ktol, rivals)
    monkeypatch.setattr(berk_nash, "RIVAL_BLOCK", block)
    assert torch.equal(never_fitting(kl, ktol, rivals), expected)


def test_reward_hacking_answers_with_the_plain_never_fitting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Random priors of the shipped reward-hacking example (three actions, 64 × 64 points):
    the same phases, sets and pure equilibria with :func:`never_fitting` computed by its
    definition, every point against every rival."""
    import random

    import sme.engine.berk_nash as berk_nash
    from sme.analysis import analyze_batch
    from sme.scenario.declaration import load_scenario

    scenario = load_scenario("examples/reward_hacking.py")
    rng = random.Random(7)
    configs: list[dict[str, float]] = []
    while len(configs) < 6:
        c = {k: rng.uniform(p.low, p.high) for k, p in scenario.prior_params.items()}
        c.update({k: rng.uniform(p.low, p.high) for k, p in scenario.world_params.items()})
        if c["catch_lo"] < c["catch_hi"] and c["skill_lo"] < c["skill_hi"]:
            configs.append(c)
    configs.append({})  # the defaults
    fast = analyze_batch(scenario, configs)

    def plain(kl: torch.Tensor, ktol: torch.Tensor,
              rivals: torch.Tensor | None = None) -> torch.Tensor:
        if rivals is None:
            rivals = torch.ones(kl.shape[:2], dtype=torch.bool)
        threshold = kl - ktol.reshape(-1, 1, 1)
        out = torch.zeros(kl.shape[:2], dtype=torch.bool)
        for r in torch.nonzero(rivals.any(dim=0)).flatten().tolist():
            beats = (kl[:, r:r + 1] < threshold).all(dim=-1)
            out |= beats & rivals[:, r:r + 1]
        return out

    monkeypatch.setattr(berk_nash, "never_fitting", plain)
    slow = analyze_batch(scenario, configs)
    assert torch.equal(fast.phase_codes, slow.phase_codes)
    assert torch.equal(fast.bn_set, slow.bn_set)
    assert torch.equal(fast.pure, slow.pure)


@pytest.mark.parametrize("example", ["reward_hacking", "linear_gaussian", "sycophancy"])
def test_sweep_compiles_as_cell_by_cell(example: str) -> None:
    """The objective-risk sweep (one prior, every world cell) compiled in one batch, where
    the belief is traced once and broadcast, gives exactly the tensors of each cell
    compiled on its own; and the analysed phases, sets and the verdict are the same."""
    from priors.compile import compile_models
    from sme.analysis import Settings, analyze_batch, sweep_risks
    from sme.scenario.declaration import load_scenario
    from sme.scenario.risks import risk_configurations

    scenario = load_scenario(f"examples/{example}.py")
    base = scenario.values({})
    _, _, configs = risk_configurations(scenario, base, 3)
    numeric = [k for k, p in scenario.all_params.items() if p.is_numeric]
    values = {k: torch.tensor([float(c[k]) for c in configs], dtype=torch.float64)
              if k in numeric else base[k] for k in scenario.all_params}
    prior, world, reward = scenario.split(values)
    together = compile_models(scenario.programs, prior, world, reward, len(configs))
    for row, config in enumerate(configs):
        p, w, r = scenario.split({k: float(config[k]) if k in numeric else config[k]
                                  for k in scenario.all_params})
        alone = compile_models(scenario.programs, p, w, r, 1)
        assert torch.equal(together.kl[row], alone.kl[0])
        assert torch.equal(together.utility[row], alone.utility[0])
        assert torch.equal(together.log_weights[row], alone.log_weights[0])
        for site, points in alone.points.items():
            assert torch.equal(together.points[site][row], points[0])
    settings = Settings(risk_grid=3)
    batch = analyze_batch(scenario, configs, settings)
    one_by_one = [analyze_batch(scenario, [c], settings) for c in configs]
    assert batch.phase_codes.tolist() == [int(b.phase_codes[0]) for b in one_by_one]
    assert batch.bn_set.tolist() == [b.bn_set[0].tolist() for b in one_by_one]
    assert batch.pure.tolist() == [b.pure[0].tolist() for b in one_by_one]
    sweep = sweep_risks(scenario, base, settings, 3)
    counts = {phase: 0 for phase in sweep.counts}
    for b in one_by_one:
        counts[b.phase(0)] += 1
    assert sweep.counts == counts
