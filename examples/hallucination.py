"""Hallucination: an assistant that pools its accuracy over questions it knows and doesn't.

After Xu et al., *Epistemic Traps* (arXiv 2602.17676): hallucination is rational under a
misspecified subjective model.  Here the misspecification is a structural belief about how
the assistant's accuracy transfers from familiar to unfamiliar questions; the grading scheme
decides whether the failure is a stable misaligned equilibrium or an oscillation, and the
structural belief, not the reward, makes it safe.

**Story.**  Each round the assistant answers one *familiar* question (always) and faces one
*unfamiliar* question, on which it either ``abstain``s ("I don't know"; safe) or ``answer``s
from recall (unsafe: a fabricated answer when recall fails).  A grader marks every answer,
and the assistant observes two sites: ``familiar`` (1 if the familiar answer was right) and
``unfamiliar`` (0 wrong, 1 right, 2 abstained).

* Truth (world): recall is right on familiar questions with probability ``p_f =
  familiar_accuracy = 0.9`` and on unfamiliar ones with ``p_u = unfamiliar_accuracy = 0.2``.
* Belief: the assistant sees its recall as a coin whose fairness is its accuracy, with the
  Beta prior of Pyro's coin-flip tutorial, ``θ = latent_fairness ~ Beta(alpha, beta)``; it
  believes it is right on familiar questions with probability ``θ`` and on unfamiliar ones
  with probability ``k θ``, ``k = transfer``.  At the default ``k = 1`` it believes its
  accuracy is the same everywhere (the truth has ``p_u / p_f ≈ 0.22``).
* Reward (the grading scheme): each right answer earns 1, each wrong answer costs
  ``w = penalty`` (default 1), abstaining earns 0.

**Best responses.**  The familiar question is answered either way, so only the unfamiliar one
matters: ``U(answer) − U(abstain) = k θ − w (1 − k θ)``; the assistant answers iff
``k θ > w / (1 + w)`` — ``k θ > 0.5`` at ``w = 1``, ``> 0.6`` at ``w = 1.5``.  In truth
answering is worth ``0.2 − 0.8 w < 0``: abstaining is right for every ``w > 0.25``.

**Fitted beliefs** (``k = 1``; Bernoulli KLs are minimised by matching probabilities):

* after always abstaining only the familiar answers are graded: ``θ = p_f = 0.9``;
* after always answering both are graded with the same believed accuracy: the sum of the two
  KLs is minimised at ``θ = (p_f + p_u) / 2 = 0.55``;
* answering with probability ``p``: ``θ(p) = (p_f + p p_u) / (1 + p)``, from 0.9 down to 0.55.

**Phases** (each row is one ``--set``; the default is the first):

=============================  =============  ================================================
``--set``                      phase          why
=============================  =============  ================================================
(defaults: ``penalty=1``)      misaligned     both fits (0.9, 0.55) exceed 0.5: R = {answer},
                                              the only (pure) equilibrium is ``answer``
``penalty=1.5``                oscillatory    abstain's fit 0.9 > 0.6 favours answering,
                                              answer's fit 0.55 favours abstaining; no pure
                                              equilibrium, mixed σ(answer) = 3/4 (θ(p) = 0.6)
``penalty=0``                  misaligned     accuracy-only grading: guessing pays for every
                                              θ > 0, whatever the prior (it truly pays, too)
``alpha=20 beta=0.5``          misaligned     the Beta shape moves prior mass, not the support
                                              [0, 1]: the Berk–Nash set is unchanged
=============================  =============  ================================================

This is the "misaligned" trap of the paper: abstaining generates data (familiar questions only)
that flatter the assistant's accuracy, and answering dilutes them only to 0.55, still above
the bar; a harsher penalty turns the trap into a cycle instead of removing it.

**Engineered prior.**  ``--set transfer=0.4``: the assistant believes its accuracy on
unfamiliar questions is at most 40% of its familiar accuracy.  Then ``k θ ≤ 0.4 < 0.5`` for
every possible θ, so ``abstain`` is the best response to every belief: **safe**, R = {abstain},
also under ``penalty=1.5``.  The correctly specified structure ``--set transfer=0.22`` (about
``p_u / p_f``) is safe as well.
"""

import pyro
import pyro.distributions as dist
import torch

from sme import Action, Param, Scenario

ABSTAIN, ANSWER = 0, 1
WRONG, RIGHT, ABSTAINED = 0, 1, 2


def _graded(answering, accuracy):
    """Law of the unfamiliar site: wrong / right when answering, "abstained" otherwise."""
    right = torch.where(answering, accuracy, 0.0)
    wrong = torch.where(answering, 1.0 - accuracy, 0.0)
    return dist.Categorical(probs=torch.stack([wrong, right, 1.0 - right - wrong], dim=-1))


def world(action, familiar_accuracy, unfamiliar_accuracy):
    """True law: accuracy 0.9 on familiar questions, 0.2 on unfamiliar ones."""
    pyro.sample("familiar", dist.Bernoulli(familiar_accuracy))
    return pyro.sample("unfamiliar", _graded(action == ANSWER, unfamiliar_accuracy))


def belief(action, alpha, beta, transfer):
    """Assistant's model: one recall accuracy θ (a coin's fairness), scaled by ``transfer``
    on unfamiliar questions."""
    f = pyro.sample("latent_fairness", dist.Beta(alpha, beta))
    pyro.sample("familiar", dist.Bernoulli(f))
    return pyro.sample("unfamiliar", _graded(action == ANSWER, transfer * f))


def payoff(action, familiar, unfamiliar, penalty):
    """+1 per right answer, −penalty per wrong answer, 0 for abstaining."""
    right = familiar + (unfamiliar == RIGHT).to(familiar.dtype)
    wrong = (1.0 - familiar) + (unfamiliar == WRONG).to(familiar.dtype)
    return right - penalty * wrong


scenario = Scenario(
    name="hallucination",
    description="An assistant that believes its accuracy is the same on every question "
    "answers questions it cannot answer.",
    actions=[
        Action("abstain", safe=True, help="say \"I don't know\" to the unfamiliar question"),
        Action("answer", safe=False, help="answer the unfamiliar question from recall"),
    ],
    world=world,
    belief=belief,
    payoff=payoff,
    observed=["familiar", "unfamiliar"],
    prior_params={
        "alpha": Param(2.0, low=0.5, high=20.0,
                       help="Beta prior on recall accuracy: pseudo-count of right answers"),
        "beta": Param(2.0, low=0.5, high=20.0,
                      help="Beta prior on recall accuracy: pseudo-count of wrong answers"),
        "transfer": Param(1.0, low=0.05, high=1.0,
                          help="believed accuracy on unfamiliar questions, as a share of "
                          "familiar accuracy"),
    },
    world_params={
        "familiar_accuracy": Param(0.9, low=0.01, high=0.99,
                                   help="true accuracy on familiar questions"),
        "unfamiliar_accuracy": Param(0.2, low=0.01, high=0.99,
                                     help="true accuracy on unfamiliar questions"),
    },
    reward_params={
        "penalty": Param(1.0, low=0.0, high=20.0,
                         help="grading scheme: cost of a wrong answer (a right one earns 1)"),
    },
)
