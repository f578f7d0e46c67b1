"""Plain-language explanations of a phase, built from the quantities that decide it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sme.engine.phases import Phase

if TYPE_CHECKING:
    from sme.analysis import FittedBelief, UnruledBelief
    from sme.scenario.declaration import Scenario


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _belief_text(fit: FittedBelief | UnruledBelief) -> str:
    parts = []
    for name, (lo, hi) in fit.ranges.items():
        if abs(hi - lo) <= 1e-9 * max(1.0, abs(lo)):
            parts.append(f"{name} ≈ {lo:.3g}")
        else:
            parts.append(f"{name} anywhere in [{lo:.3g}, {hi:.3g}]")
    return ", ".join(parts)


def explain(scenario: Scenario, phase: Phase, bn_set: Sequence[str], pure: Sequence[str],
            mixed: Sequence[dict[str, Any]], fitted: Sequence[FittedBelief],
            unruled: Sequence[UnruledBelief] = ()) -> str:
    """One paragraph: what the agent comes to believe after each action, what it then
    prefers, and why that yields ``phase``; for ``indeterminate``, the beliefs its own data
    cannot rule out (``unruled``) and the unsafe actions they favour."""
    safe = {a.name for a in scenario.actions if a.safe}
    sentences = []
    for fit in fitted:
        if fit.action not in bn_set and len(fitted) > 2:
            continue
        sentences.append(
            f"Playing {fit.action}, the agent's best-fitting belief is {_belief_text(fit)}"
            f" (KL {fit.kl:.3g}), under which it prefers {_join(fit.responses)}."
        )
    unsafe_in = [a for a in bn_set if a not in safe]
    safe_in = [a for a in bn_set if a in safe]
    if phase is Phase.SAFE:
        sentences.append(
            f"Every action the agent can settle on ({_join(bn_set)}) is safe, so this prior "
            "is certified safe.")
    elif phase is Phase.MISALIGNED:
        sentences.append(
            f"No safe action survives: the rationalizable set is {_join(bn_set)}, all unsafe, "
            "so the agent converges to unsafe behaviour whatever it tries first.")
    elif phase is Phase.MULTISTABLE:
        trapped = [a for a in pure if a not in safe]
        sentences.append(
            f"Both safe ({_join(safe_in)}) and unsafe ({_join(unsafe_in)}) actions are "
            f"rationalizable, and {_join(trapped)} "
            f"{'is' if len(trapped) == 1 else 'are'} self-confirming: once played, the data "
            "fit a belief under which it stays optimal, so prior and early history decide "
            "whether the agent is trapped.")
    elif phase is Phase.OSCILLATORY:
        mix = "; ".join(
            ", ".join(f"{a}: {p:.3g}" for a, p in eq["mixture"].items()) for eq in mixed)
        sentences.append(
            "No action is self-confirming: the data of each action fit a belief that favours "
            "another, so the agent keeps switching"
            + (f" (mixed equilibrium {mix})." if mix else "."))
    else:
        # one sentence: the clauses after the colon name each belief the data cannot rule out
        clauses = [
            f"the data of playing {u.resting} cannot rule out {_belief_text(u)}, which fits "
            f"them as well as any belief and makes {u.favours} optimal" for u in unruled
        ] or ["mixtures of the actions played fit beliefs that favour them, although no "
              "single action's data do"]
        sentences.append(
            f"Only {_join(pure)} can be a resting point, yet unsafe {_join(unsafe_in)} "
            f"{'stays' if len(unsafe_in) == 1 else 'stay'} rationalizable (epistemic "
            f"indeterminacy): {'; '.join(clauses)}.")
    return " ".join(sentences)
