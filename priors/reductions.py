"""Reductions of boolean masks through their bytes.

torch reduces boolean tensors (``any``, ``all``) many times more slowly than bytes: on a
``(326, 401, 2)`` mask, ``mask.any()`` takes about 0.19 ms and the largest of its bytes
0.005 ms.  These helpers give the same answers through a ``uint8`` view.
"""

from __future__ import annotations

import torch


def any_along(mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``mask.any(dim)`` for a boolean ``mask``."""
    if mask.shape[dim] == 0:
        return mask.any(dim=dim)
    return mask.view(torch.uint8).amax(dim=dim).bool()


def anything(mask: torch.Tensor) -> bool:
    """``bool(mask.any())`` for a boolean ``mask``."""
    return mask.numel() > 0 and bool(mask.view(torch.uint8).amax())


def everything(mask: torch.Tensor) -> bool:
    """``bool(mask.all())`` for a boolean ``mask``."""
    return mask.numel() == 0 or bool(mask.view(torch.uint8).amin())
