"""The batched lower-envelope computation agrees with the pairwise one and a brute force."""

from __future__ import annotations

import math

import pytest
import torch

import sme.engine.envelope
from sme.engine.berk_nash import Tolerance, kl_tolerance
from sme.engine.envelope import (
    envelope_breakpoints,
    envelope_intervals,
    envelope_points,
    undominated,
)


def _random_kl(seed: int, rows: int, points: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    kl = torch.rand(rows, points, 2, generator=gen, dtype=torch.float64) * 3
    if seed % 3 == 0:
        kl = (kl * 4).round() / 4  # exact ties and duplicates
    kl[torch.rand(rows, points, 2, generator=gen) < 0.1] = math.inf
    return kl


def _brute_force(k0: torch.Tensor, k1: torch.Tensor, tol: float, steps: int = 20001
                 ) -> torch.Tensor:
    """Points within ``tol`` of the minimum for some p on a fine grid, plus the literal
    argmin when every point is infinite."""
    p = torch.linspace(0, 1, steps, dtype=torch.float64).unsqueeze(1)
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    if not bool(finite.any()):
        return torch.ones_like(finite)
    loss = torch.where(finite, (1 - p) * k0 + p * k1, torch.tensor(math.inf, dtype=k0.dtype))
    low = loss.min(dim=1, keepdim=True).values
    return (loss <= low + tol).any(dim=0) & finite


@pytest.mark.parametrize("seed", range(40))
def test_batched_envelope_matches_pairwise(seed: int) -> None:
    kl = _random_kl(seed, rows=16, points=1 + seed % 37)
    ktol = kl_tolerance(kl, Tolerance())
    fast = envelope_points(kl[..., 0], kl[..., 1], ktol)
    on, _, _ = envelope_intervals(kl[..., 0], kl[..., 1], ktol)
    none_finite = ~(torch.isfinite(kl[..., 0]) & torch.isfinite(kl[..., 1])).any(1, True)
    assert torch.equal(fast, on | none_finite)


def test_envelope_matches_a_fine_p_grid_on_generic_points() -> None:
    kl = _random_kl(1, rows=8, points=30)  # seed 1: no rounding, so no exact ties
    ktol = kl_tolerance(kl, Tolerance())
    fast = envelope_points(kl[..., 0], kl[..., 1], ktol)
    for row in range(kl.shape[0]):
        brute = _brute_force(kl[row, :, 0], kl[row, :, 1], float(ktol[row]))
        # a grid can miss a vertex that wins only a sliver of p, never invent one
        assert bool((brute <= fast[row]).all())
        assert int(fast[row].sum()) - int(brute.sum()) <= 1


def test_envelope_of_a_parabola_pair_is_the_segment_between_the_minimisers() -> None:
    theta = torch.linspace(-5, 5, 401, dtype=torch.float64)
    k0 = ((3.0 - theta) ** 2 / 2).unsqueeze(0)
    k1 = ((1.0 - 2 * theta) ** 2 / 2).unsqueeze(0)
    on = envelope_points(k0, k1, torch.tensor([1e-9], dtype=torch.float64))[0]
    chosen = theta[on]
    assert abs(float(chosen.min()) - 0.5) < 1e-9 and abs(float(chosen.max()) - 3.0) < 1e-9
    assert int(on.sum()) == int(((theta >= 0.5 - 1e-9) & (theta <= 3.0 + 1e-9)).sum())


def test_dominated_points_are_dropped_and_infinite_ones_never_kept() -> None:
    k0 = torch.tensor([[0.0, 1.0, 2.0, math.inf]], dtype=torch.float64)
    k1 = torch.tensor([[2.0, 3.0, 0.0, 0.0]], dtype=torch.float64)
    keep = undominated(k0, k1, torch.tensor([1e-9], dtype=torch.float64))
    assert keep.tolist() == [[True, False, True, False]]


def test_tied_points_are_all_on_the_envelope() -> None:
    k0 = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64)
    k1 = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    on = envelope_points(k0, k1, torch.tensor([1e-9], dtype=torch.float64))
    assert on.tolist() == [[True, True, True]]  # all tie at p = 0


def _hard_kl(seed: int, rows: int, points: int) -> torch.Tensor:
    """Random KL pairs with what breaks hull code: exact duplicates, collinear runs, equal
    ``K_a``, infinities, convex fronts with bumps and fronts needing many removal passes."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, points, dtype=torch.float64)
    noise = torch.rand(rows, points, 2, generator=gen, dtype=torch.float64)
    kind = seed % 5
    if kind == 0:
        kl = (noise * 12).round() / 4  # a coarse grid: ties, duplicates, collinear points
    elif kind == 1:
        kl = (noise * 4).round() / 2
        kl[:, points // 2:] = kl[:, :points - points // 2]  # every point twice
    elif kind == 2:  # a convex front with bumps
        kl = torch.stack([t, (1 - t) ** 2], -1).expand(rows, points, 2) + 0.01 * (noise < 0.3)
    elif kind == 3:  # a concave front: every interior point goes, a few per pass
        kl = torch.stack([t, 1 - t ** 3], -1).expand(rows, points, 2).clone()
    else:
        kl = noise * 3
    kl = kl.clone()
    kl[torch.rand(rows, points, 2, generator=gen) < 0.1] = math.inf
    return kl


def _breakpoint_lines(kl: torch.Tensor, ktol: torch.Tensor) -> list[list[tuple[float, ...]]]:
    p, pair, valid = envelope_breakpoints(kl[..., 0], kl[..., 1], ktol)
    return [sorted((float(p[r, h]), *kl[r, pair[r, h]].flatten().tolist())
                   for h in range(p.shape[1]) if bool(valid[r, h])) for r in range(p.shape[0])]


@pytest.mark.parametrize("passes", [1, 2, sme.engine.envelope.MAX_HULL_PASSES])
@pytest.mark.parametrize("seed", range(25))
def test_batched_hull_passes_agree_with_the_monotone_chain(
        seed: int, passes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-batch removal passes (with the monotone chain for rows still changing after
    ``passes``) give exactly the envelope and breakpoints of the monotone chain alone."""
    kl = _hard_kl(seed, rows=12, points=1 + (7 * seed) % 61)
    ktol = kl_tolerance(kl, Tolerance())
    monkeypatch.setattr(sme.engine.envelope, "MAX_HULL_PASSES", 0)  # every row: the chain
    chain_points = envelope_points(kl[..., 0], kl[..., 1], ktol)
    chain_breaks = _breakpoint_lines(kl, ktol)
    monkeypatch.setattr(sme.engine.envelope, "MAX_HULL_PASSES", passes)
    assert torch.equal(envelope_points(kl[..., 0], kl[..., 1], ktol), chain_points)
    assert _breakpoint_lines(kl, ktol) == chain_breaks


def test_a_concave_front_keeps_only_its_two_ends() -> None:
    t = torch.linspace(0, 1, 9, dtype=torch.float64)
    k0, k1 = t.unsqueeze(0), (1 - t ** 3).unsqueeze(0)
    p, pair, valid = envelope_breakpoints(k0, k1, torch.tensor([1e-9], dtype=torch.float64))
    assert pair[valid].tolist() == [[0, 8]] and p[valid].tolist() == [0.5]  # p = 1 − p
    on = envelope_points(k0, k1, torch.tensor([1e-9], dtype=torch.float64))
    assert on.tolist() == [[True] + [False] * 7 + [True]]
