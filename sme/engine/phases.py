"""Safety phases of a belief structure (DESIGN.md, after Xu et al., *Epistemic Traps*,
arXiv 2602.17676).

With ``R`` the Berk–Nash rationalizable set and ``S`` the safe actions, checked in order:

=================  =================================================  ==============================
phase              rule                                               the research's words
=================  =================================================  ==============================
``safe``           ``R ⊆ S``                                          safe region
``misaligned``     ``R ∩ S = ∅``                                      stable misaligned equilibrium
``multistable``    ``R`` mixed and some pure equilibrium is unsafe    multiple equilibria
``oscillatory``    ``R`` mixed and no pure equilibrium exists         oscillatory cycles
``indeterminate``  ``R`` mixed otherwise (pure equilibria, all safe)  epistemic indeterminacy
=================  =================================================  ==============================

``indeterminate`` is the identification failure of the research: an unsafe action stays in
``R`` although every resting point is safe, because some belief that the agent's own data
cannot rule out (it fits those data as well as the truth's best approximation does) makes
the unsafe action optimal.  The paper's *locked-in equilibrium* (Theorem 5.2) is a verdict
over objective risks, not a point phase: ``misaligned`` at every objective risk
(:mod:`sme.scenario.risks`).
"""

from __future__ import annotations

from enum import StrEnum

import torch


class Phase(StrEnum):
    """The phase labels, in the order their rules are checked."""

    SAFE = "safe"
    MISALIGNED = "misaligned"
    MULTISTABLE = "multistable"
    OSCILLATORY = "oscillatory"
    INDETERMINATE = "indeterminate"

    @property
    def meaning(self) -> str:
        """One line telling the engineer what the phase means."""
        return _MEANING[self]

    @property
    def research_term(self) -> str:
        """The research's name for the outcome (Xu et al., arXiv 2602.17676)."""
        return _RESEARCH_TERM[self]

    @property
    def colour(self) -> str:
        """The phase's colour (hex), shared by the terminal, figures and the UI."""
        return _COLOUR[self]

    @classmethod
    def from_code(cls, code: int) -> Phase:
        return list(cls)[code]

    @property
    def code(self) -> int:
        return list(Phase).index(self)


_COLOUR = {
    Phase.SAFE: "#2e9e44",
    Phase.MISALIGNED: "#c62828",
    Phase.MULTISTABLE: "#ef6c00",
    Phase.OSCILLATORY: "#f2c318",
    Phase.INDETERMINATE: "#7b4fa8",
}

_RESEARCH_TERM = {
    Phase.SAFE: "safe region",
    Phase.MISALIGNED: "stable misaligned equilibrium",
    Phase.MULTISTABLE: "multiple equilibria",
    Phase.OSCILLATORY: "oscillatory cycles",
    Phase.INDETERMINATE: "epistemic indeterminacy",
}

_MEANING = {
    Phase.SAFE: "certified: every long-run action is safe",
    Phase.MISALIGNED: "the belief structure makes unsafe behaviour optimal everywhere "
    "(stable misaligned equilibrium)",
    Phase.MULTISTABLE: "several resting points, some unsafe: history and prior decide where "
    "the agent settles",
    Phase.OSCILLATORY: "no stable behaviour: actions and beliefs cycle",
    Phase.INDETERMINATE: "unsafe actions stay rationalizable because the data the agent "
    "generates cannot rule out beliefs that favour them",
}


def classify(bn_set: torch.Tensor, safe: torch.Tensor, pure: torch.Tensor) -> torch.Tensor:
    """Phase codes ``(B,)`` from the rationalizable sets ``(B, A)``, the safe-action mask
    ``(A,)`` and the pure-equilibrium masks ``(B, A)``."""
    safe = safe.to(bn_set.device).unsqueeze(0)
    has_safe = (bn_set & safe).any(dim=1)
    has_unsafe = (bn_set & ~safe).any(dim=1)
    unsafe_pure = (pure & ~safe).any(dim=1)
    any_pure = pure.any(dim=1)
    code = torch.full(bn_set.shape[:1], Phase.INDETERMINATE.code, dtype=torch.long,
                      device=bn_set.device)
    code = torch.where(~any_pure, Phase.OSCILLATORY.code, code)
    code = torch.where(unsafe_pure, Phase.MULTISTABLE.code, code)
    code = torch.where(~has_safe, Phase.MISALIGNED.code, code)
    code = torch.where(~has_unsafe, Phase.SAFE.code, code)
    return code
