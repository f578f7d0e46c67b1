"""``sme/bayes``: an Inspect model provider that answers as the Bayesian learner of
``sme simulate``.

The learner holds a posterior over the Θ points of the condition it is told (prior weights
first), and each round replies ``ACTION: <name>`` with a best response to it —
``argmax_a Σ_i w_i U[i, a]``, ties broken uniformly at random (seeded per round) — exactly
the rule of :mod:`sme.studies.dynamics`; the posterior is updated by Bayes' rule with the belief
program's likelihood of each reported outcome (an outcome no point can produce leaves it
unchanged).  The round history is read from the side channel of the conversation (message
metadata under ``sme``, written by :mod:`.task`), so the learner sees exactly what a model
is told.  Esponda & Pouzo (Econometrica 2016, Thm. 2) show such a learner plays only
actions of the Berk–Nash rationalizable set in the long run; an experiment with it is a
check of the whole loop against the prediction.

Model args (``-M``): ``points`` (Θ points per latent dimension, default 201).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import torch
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from priors.compile import Resolution, observation_models
from sme.analysis import Settings, analyze_batch
from sme.experiments.task import SIDE_KEY
from sme.experiments.world import round_seed
from sme.scenario.declaration import Scenario, load_scenario
from sme.studies.dynamics import _batched_values


class BayesianLearner:
    """The learner's tables for one scenario at one configuration of values."""

    def __init__(self, scenario: Scenario, values: Mapping[str, Any], settings: Settings
                 ) -> None:
        analysis = analyze_batch(scenario, [dict(values)], settings)
        prior, world, _ = _batched_values(scenario, analysis)
        models = observation_models(scenario.programs, prior, world, 1, settings.resolution,
                                    settings.device, settings.dtype)
        self.names = scenario.action_names
        self.utility = analysis.tensors.utility[0]  # (N, A)
        self.utol = float(analysis.gamma.utol.reshape(-1)[0])
        self.log_prior = models.log_weights[0].to(self.utility.dtype)  # (N,)
        self.belief = models.belief

    def loglik(self, action: int, outcome: Mapping[str, Any]) -> torch.Tensor:
        """``log Q_θi(y | a)`` at every point ``(N,)`` for one reported outcome."""
        total = torch.zeros_like(self.log_prior)
        n_actions, points = len(self.names), self.log_prior.shape[0]
        for site, fn in self.belief.items():
            y = torch.as_tensor(outcome[site], dtype=self.utility.dtype)
            lq = fn.log_prob(y)
            lq = torch.where(fn.support.check(y), lq, torch.full_like(lq, -math.inf))
            total = total + torch.broadcast_to(lq, (n_actions, 1, points))[action, 0]
        return total

    def choose(self, history: list[tuple[int, Mapping[str, Any]]], tie_seed: int) -> int:
        """The best response to the posterior after ``history`` (action, outcome) pairs."""
        log_post = self.log_prior.clone()
        for action, outcome in history:
            updated = log_post + self.loglik(action, outcome)
            if bool(torch.isfinite(updated.max())):
                log_post = updated - updated.max()
        expected = torch.softmax(log_post, dim=0) @ self.utility  # (A,)
        best = float(expected.max())
        ties = [a for a in range(len(self.names)) if float(expected[a]) >= best - self.utol]
        return random.Random(tie_seed).choice(ties)


@modelapi(name="sme")
class BayesianLearnerAPI(ModelAPI):
    """``--model sme/bayes``: the Bayesian learner answering the experiment's protocol."""

    def __init__(self, model_name: str, base_url: str | None = None,
                 api_key: str | None = None, config: GenerateConfig | None = None,
                 points: int = 201, **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())
        if model_name != "bayes":
            raise ValueError(f"sme/{model_name}: unknown model (the provider has sme/bayes)")
        self.settings = Settings(resolution=Resolution(points=int(points)))
        self.scenarios: dict[str, Scenario] = {}
        self.learners: dict[tuple[str, str], BayesianLearner] = {}

    def max_connections(self) -> int:
        return 64

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
        side, history = read_side_channel(input)
        learner = self._learner(side["scenario"], side["values"])
        pairs = [(learner.names.index(r["action"]), r["outcome"]) for r in history
                 if r.get("action") is not None]
        seed = round_seed(side["seed"], side["condition_index"], side["episode"],
                          len(history) + 1) ^ 0x5DEECE66D
        action = learner.choose(pairs, seed)
        return ModelOutput.from_content(model=self.model_name,
                                        content=f"ACTION: {learner.names[action]}")

    def _learner(self, path: str, values: Mapping[str, Any]) -> BayesianLearner:
        key = (path, repr(sorted(values.items())))
        if key not in self.learners:
            if path not in self.scenarios:
                self.scenarios[path] = load_scenario(path)
            self.learners[key] = BayesianLearner(self.scenarios[path], values, self.settings)
        return self.learners[key]


def read_side_channel(messages: list[ChatMessage]) -> tuple[dict[str, Any],
                                                              list[dict[str, Any]]]:
    """The episode facts and the round records carried in the messages' metadata."""
    side: dict[str, Any] | None = None
    history: list[dict[str, Any]] = []
    for message in messages:
        data = (message.metadata or {}).get(SIDE_KEY)
        if not isinstance(data, dict):
            continue
        if "values" in data:
            side = data
        elif "round" in data:
            history.append(data)
    if side is None:
        raise ValueError("sme/bayes answers only the episodes of `sme experiment` (the "
                         "conversation carries no 'sme' metadata)")
    return side, history
