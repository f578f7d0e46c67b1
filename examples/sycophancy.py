"""Sycophancy: an assistant that reads a user's approval as a verdict on who is right.

After Xu et al., *Epistemic Traps* (arXiv 2602.17676): sycophancy is rational under a
misspecified subjective model, shows up as a stable misaligned equilibrium or as oscillation
depending on the reward scheme, and is removed by changing the prior, never by scaling rewards.

**Story.**  A user disputes an answer the assistant has checked.  The assistant either stays
``honest`` (keeps its answer; safe) or ``agree``s with the user (unsafe).  It then observes
one bit, ``approval``: did the user give a thumbs-up?

* Truth (world): users like being agreed with, whoever is right.  A thumbs-up follows
  agreement with probability ``g = approve_agree = 0.7`` and a correction with probability
  ``h = approve_honest = 0.1``.
* Belief: the assistant thinks a thumbs-up is a noisy verdict on *correctness*.  Its latent
  ``θ ~ Uniform(lo, hi)`` is the chance that a user who disputes a checked answer is right;
  a thumbs-up follows the correct reply except for a share ``ε = noise`` of random clicks:
  ``P(up | agree) = q(θ) = ε + (1 − 2ε) θ`` and ``P(up | honest) = 1 − q(θ)``.
  The misspecification is the structural belief "approval tracks correctness": in truth
  ``h + g = 0.8``, while the model forces ``P(up | honest) + P(up | agree) = 1``.
* Reward: ``magnitude · (up + b · [honest])`` where ``b = bonus`` under the ``audited`` scheme
  (an auditor pays for keeping a checked answer) and ``b = 0`` under the ``approval`` scheme
  (plain thumbs-up reward, the default).

**Best responses.**  ``U(agree) − U(honest) = magnitude · (2q − 1 − b)``, so the assistant
agrees iff ``q(θ) > (1 + b) / 2``: ``q > 0.5`` under ``approval``, ``q > 0.85`` under
``audited`` with ``bonus = 0.7``.  ``magnitude`` multiplies both sides: it never matters.

**Fitted beliefs.**  A Bernoulli KL is minimised by matching the probability, so (with ``q``
clipped to ``[q(lo), q(hi)]`` = ``[0.05, 0.95]`` at the defaults):

* after always playing ``honest`` the assistant sees 10% approval, so ``1 − q = h``:
  ``q = 0.9`` (θ ≈ 0.94 — "users who dispute me are nearly always right");
* after always playing ``agree`` it sees 70% approval: ``q = g = 0.7`` (θ ≈ 0.72);
* after playing ``agree`` with probability ``p``: ``q(p) = (1 − p)(1 − h) + p g = 0.9 − 0.2 p``.

**Phases** (each row is one ``--set``; the default is the first):

===============================  =============  ==============================================
``--set``                        phase          why
===============================  =============  ==============================================
(defaults: ``scheme=approval``)  misaligned     both fits (q = 0.9, 0.7) exceed 0.5: R = {agree},
                                                the only (pure) equilibrium is ``agree``
``scheme=audited``               oscillatory    honest's fit 0.9 > 0.85 favours agree, agree's
                                                fit 0.7 favours honest: R = {honest, agree},
                                                no pure equilibrium; mixed σ(agree) = 1/4
                                                (q(p) = 0.85)
``approve_honest=0.6``           multistable    honest's fit q = 0.4 confirms honest, agree's
                                                fit 0.7 confirms agree; both are pure
                                                equilibria, mixed σ(agree) = 1/3
``magnitude=0.01`` / ``=100``    unchanged      scaling payoffs never changes a phase
===============================  =============  ==============================================

**Engineered prior.**  ``--set hi=0.45``: the assistant is certain that a user who disputes
a checked answer is right less than half the time.  Then ``q ≤ 0.05 + 0.9 · 0.45 = 0.455
< 0.5`` at every possible θ, so ``honest`` is the best response to every belief: **safe**,
R = {honest}, under both schemes and at every magnitude.  Under the audited scheme a structural
belief alone also works: ``--set scheme=audited noise=0.2`` caps ``q`` at ``0.8 < 0.85`` (safe),
while ``noise=0.2`` under the approval scheme stays misaligned (0.8 and 0.7 exceed 0.5).
A phase diagram over ``hi`` and ``magnitude`` shows the boundary at ``hi = 0.5`` and none
along the magnitude axis::

    sme phase-diagram examples/sycophancy.py --x magnitude=0.01:100:40 --y hi=0.45:1:40
"""

import pyro
import pyro.distributions as dist
import torch

from sme import Action, Param, Scenario

HONEST, AGREE = 0, 1


def world(action, approve_agree, approve_honest):
    """True law: users approve agreement and corrections at fixed rates."""
    up = torch.where(action == AGREE, approve_agree, approve_honest)
    return pyro.sample("approval", dist.Bernoulli(up))


def belief(action, lo, hi, noise):
    """Assistant's model: approval is a noisy verdict on whether its reply was correct."""
    reliability = pyro.sample("user_reliability", dist.Uniform(lo, hi))
    q = noise + (1.0 - 2.0 * noise) * reliability  # P(up | agree)
    return pyro.sample("approval", dist.Bernoulli(torch.where(action == AGREE, q, 1.0 - q)))


def payoff(action, approval, scheme, bonus, magnitude):
    """``magnitude · (thumbs-up + bonus for keeping a checked answer when audited)``."""
    audit = bonus * (1.0 if scheme == "audited" else 0.0)
    return magnitude * (approval + torch.where(action == HONEST, audit, 0.0))


scenario = Scenario(
    name="sycophancy",
    description="An assistant that reads user approval as evidence of correctness agrees "
    "with users it should correct.",
    actions=[
        Action("honest", safe=True, help="keep the checked answer when the user disputes it"),
        Action("agree", safe=False, help="give in and agree with the user"),
    ],
    world=world,
    belief=belief,
    payoff=payoff,
    observed=["approval"],
    prior_params={
        "lo": Param(0.0, low=0.0, high=0.4,
                    help="lower edge of the prior on how often a disputing user is right"),
        "hi": Param(1.0, low=0.45, high=1.0,
                    help="upper edge of the prior on how often a disputing user is right"),
        "noise": Param(0.05, low=0.0, high=0.45,
                       help="believed share of thumbs-ups unrelated to correctness"),
    },
    world_params={
        "approve_agree": Param(0.7, low=0.01, high=0.99,
                               help="true chance of a thumbs-up after agreeing"),
        "approve_honest": Param(0.1, low=0.01, high=0.99,
                                help="true chance of a thumbs-up after a correction"),
    },
    reward_params={
        "scheme": Param("approval", choices=("approval", "audited"),
                        help="approval: thumbs-up only; audited: plus a bonus for honesty"),
        "bonus": Param(0.7, low=0.0, high=1.0,
                       help="auditor's bonus for keeping a checked answer (audited scheme)"),
        "magnitude": Param(1.0, low=0.01, high=100.0, log=True,
                           help="multiplies every payoff (never changes the phase)"),
    },
)
