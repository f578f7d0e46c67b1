"""A mixed Berk–Nash equilibrium as reported: its support, mixture, range and belief.

Esponda & Pouzo (Econometrica 2016): ``σ`` is an equilibrium when some belief ``μ`` over the
best-fitting points ``Θ(σ)`` makes every action of ``supp σ`` optimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MixedEquilibrium:
    """``σ = (1 − probability) · actions[0] + probability · actions[1]`` for two actions;
    with three or more, ``weights`` gives ``σ`` on ``actions`` and ``probability`` is the
    last action's weight.

    ``interval`` brackets ``probability`` at the resolution of the Θ points (or spans a
    continuum of equilibria); ``belief`` lists ``(point index, weight)`` of the supporting μ.
    With three or more actions the equilibria form a region: ``vertices`` lists its corners
    (weights on ``actions``; the region is their convex hull, every mixture of it with all
    weights positive an equilibrium supported by ``belief``), ``weights`` is a mixture
    inside it and ``interval`` the last action's range over it.  ``pure`` is always
    ``False`` here (pure equilibria are reported apart).
    """

    actions: tuple[int, ...]
    probability: float
    interval: tuple[float, float]
    belief: tuple[tuple[int, float], ...] = field(default_factory=tuple)
    weights: tuple[float, ...] | None = None
    vertices: tuple[tuple[float, ...], ...] = field(default_factory=tuple)
    pure: bool = False

    def mixture(self) -> dict[int, float]:
        """Action index → probability."""
        if self.weights is not None:
            return dict(zip(self.actions, self.weights, strict=True))
        return {self.actions[0]: 1.0 - self.probability, self.actions[1]: self.probability}

    def ranges(self) -> dict[int, tuple[float, float]]:
        """Action index → the least and greatest weight over the region (its vertices), or
        over ``interval`` for two actions."""
        if self.vertices:
            corners = list(zip(*self.vertices, strict=True))
            return {a: (min(c), max(c)) for a, c in zip(self.actions, corners, strict=True)}
        low, high = self.interval
        return {self.actions[0]: (1.0 - high, 1.0 - low), self.actions[1]: (low, high)}
