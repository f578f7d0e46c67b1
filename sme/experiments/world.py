"""One episode's world: the outcome of a chosen action, drawn by the world program, and its
payoff ``π(a, y)``.

Draws are seeded per round (:func:`round_seed`), so an episode replayed with the same
actions sees the same outcomes whatever else runs in the process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import torch
from pyro import poutine

from priors.compile import ProgramError
from sme.scenario.declaration import Scenario


def round_seed(seed: int, condition: int, episode: int, round_number: int) -> int:
    """A 63-bit seed for one round of one episode, independent across the four indices."""
    text = f"{seed}:{condition}:{episode}:{round_number}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1


class EpisodeWorld:
    """The world program and payoff of one scenario at one configuration of values."""

    def __init__(self, scenario: Scenario, values: Mapping[str, Any]) -> None:
        self.scenario = scenario
        full = scenario.values(values)
        _, world, reward = scenario.split(full)
        self.world = {k: _tensor(v) for k, v in world.items()}
        self.reward = {k: _tensor(v) for k, v in reward.items()}

    def play(self, action: int, seed: int) -> tuple[dict[str, Any], float]:
        """Draw the observed sites after ``action`` and compute the payoff.

        Returns:
            the observed values by site (floats, or lists for vector sites) and the reward.
        """
        a = torch.tensor(action)
        generator = torch.default_generator  # the CPU generator Pyro's samplers draw from
        state = generator.get_state()
        # the draws of torch.manual_seed(seed), without seeding the other devices too (which
        # costs about a millisecond a round inside Inspect); the caller's stream is restored
        generator.manual_seed(seed)
        try:
            with torch.no_grad():
                observed, reward = self._draw(a)
        finally:
            generator.set_state(state)
        return {k: _plain(v) for k, v in observed.items()}, float(torch.as_tensor(reward))

    def _draw(self, action: torch.Tensor) -> tuple[dict[str, torch.Tensor], Any]:
        scenario = self.scenario
        try:
            trace = poutine.trace(scenario.world).get_trace(action, **self.world)
        except Exception as exc:
            raise ProgramError(f"world program raised {type(exc).__name__}: {exc}") from exc
        observed = {}
        for site in scenario.observed:
            if site not in trace.nodes:
                raise ProgramError(f"site {site!r}: the world program did not sample it")
            observed[site] = trace.nodes[site]["value"]
        try:
            reward = scenario.payoff(action, **observed, **self.reward)
        except Exception as exc:
            raise ProgramError(f"payoff raised {type(exc).__name__}: {exc}") from exc
        return observed, reward


def _tensor(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=torch.float64)
    return value


def _plain(value: torch.Tensor) -> Any:
    value = torch.as_tensor(value)
    return float(value) if value.numel() == 1 else value.flatten().tolist()
