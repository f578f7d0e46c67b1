"""``never_fitting`` compares rivals in blocks; the reference tries one rival at a time."""

from __future__ import annotations

import math

import pytest
import torch

import sme.engine.berk_nash
from sme.engine.berk_nash import never_fitting
from sme.engine.envelope import compact

F64 = torch.float64


def reference_never_fitting(kl: torch.Tensor, ktol: torch.Tensor, rivals: torch.Tensor | None
                            ) -> torch.Tensor:
    """Points beaten by more than ``ktol`` on every action by some rival, rival by rival."""
    if rivals is None:
        rivals = torch.ones(kl.shape[:2], dtype=torch.bool)
    index, valid, _ = compact(rivals)
    rival_kl = torch.gather(kl, 1, index.unsqueeze(-1).expand(-1, -1, kl.shape[-1]))
    threshold = kl - ktol.reshape(-1, 1, 1)
    out = torch.zeros(kl.shape[:2], dtype=torch.bool)
    for r in range(index.shape[1]):
        out |= (rival_kl[:, r:r + 1] < threshold).all(dim=-1) & valid[:, r:r + 1]
    return out


@pytest.mark.parametrize("block", [1, 7, 1 << 22])
@pytest.mark.parametrize("seed", range(12))
def test_blocks_of_rivals_find_the_same_beaten_points(
        seed: int, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = torch.Generator().manual_seed(seed)
    rows, points, actions = 1 + seed % 4, [1, 3, 17, 90, 250][seed % 5], 3 + seed % 3
    kl = torch.rand(rows, points, actions, generator=gen, dtype=F64) * 3
    if seed % 2:
        kl = (kl * 2).round() / 2  # ties: a rival equal to a point minus ktol beats nothing
    kl[torch.rand(rows, points, actions, generator=gen) < 0.1] = math.inf
    ktol = torch.tensor([0.0, 1e-9, 0.5, 0.25][: rows], dtype=F64)
    monkeypatch.setattr(sme.engine.berk_nash, "RIVAL_BLOCK", block)
    for rivals in (None, torch.rand(rows, points, generator=gen) < 0.3,
                   torch.zeros(rows, points, dtype=torch.bool)):
        assert torch.equal(never_fitting(kl, ktol, rivals),
                           reference_never_fitting(kl, ktol, rivals))


@pytest.mark.parametrize("seed", range(6))
def test_vertex_tie_sets_are_the_distinct_sets_in_order(seed: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicates among the vertex tie sets are dropped through packed bits, with the order
    and rows of ``np.unique(sets, axis=0)``."""
    import numpy as np

    import sme.engine.tie_sets as tie_sets

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    rows = rng.random((int(rng.integers(1, 30)), n)) < rng.random()
    rows = rows[rng.integers(0, rows.shape[0], size=2 * rows.shape[0])]  # with copies
    monkeypatch.setattr(tie_sets, "vertex_mixtures",
                        lambda kl, ktol: [(np.zeros(2), row) for row in rows])
    found = tie_sets.vertex_tie_sets(np.zeros((n, 2)), 0.0)
    assert np.array_equal(found, np.unique(rows, axis=0))


def test_bisection_for_two_rivals_gives_the_values_of_the_general_form() -> None:
    """``_bisect_two`` writes ``τ · gain`` out for two actions; the reference bisects with the
    general ``_upper`` (a sum over ``τ``) and must agree to the bit."""
    from sme.engine.mixed_beliefs import BISECTION_STEPS, _bisect_two, _upper

    def reference(gain: torch.Tensor, members: torch.Tensor) -> torch.Tensor:
        lo = torch.zeros(gain.shape[0], dtype=gain.dtype)
        hi = torch.ones_like(lo)
        slope = gain[..., 0] - gain[..., 1]
        arange = torch.arange(gain.shape[0])
        for _ in range(BISECTION_STEPS):
            mid = (lo + hi) / 2
            _, active = _upper(gain, members, torch.stack([mid, 1 - mid], dim=1))
            rising = slope[arange, active] > 0
            hi, lo = torch.where(rising, mid, hi), torch.where(rising, lo, mid)
        ends = [_upper(gain, members, torch.stack([t, 1 - t], dim=1))[0] for t in (lo, hi)]
        return torch.minimum(*ends)

    gen = torch.Generator().manual_seed(4)
    for trial in range(60):
        m, n = 1 + trial % 7, 1 + (5 * trial) % 41
        gain = torch.randn(m, n, 2, generator=gen, dtype=F64)
        if trial % 2:
            gain = (gain * 2).round() / 2  # ties between the lines
        members = torch.rand(m, n, generator=gen) < 0.6
        members[:, 0] = True
        assert torch.equal(_bisect_two(gain, members), reference(gain, members)), trial
