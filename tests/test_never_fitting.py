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
