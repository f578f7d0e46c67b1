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
from dataclasses import dataclass
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
from sme.experiments.protocol import SIDE_KEY
from sme.experiments.world import round_seed
from sme.scenario.declaration import Scenario, load_scenario
from sme.studies.dynamics import _batched_values


class BayesianLearner:
    """The learner's tables for one scenario at one configuration of values.

    The posterior after a history is ``log w_i = log prior_i + Σ_t log Q_θi(y_t | a_t)``
    (renormalised; an outcome no point can produce is skipped).  :meth:`choose` computes it
    from the whole history, the obvious way; :meth:`update` adds one round to a posterior
    already computed, which is what the provider does round after round (the two agree:
    ``tests/test_experiments.py`` checks it on random histories).  The log-likelihood of an
    outcome is computed once per ``(action, outcome)`` and kept (:data:`LOGLIK_CACHE`
    entries at most), so a discrete outcome costs one addition after its first sight.
    """

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
        self._loglik: dict[tuple[int, str], torch.Tensor] = {}

    def loglik(self, action: int, outcome: Mapping[str, Any]) -> torch.Tensor:
        """``log Q_θi(y | a)`` at every point ``(N,)`` for one reported outcome."""
        key = (action, repr(sorted((k, outcome[k]) for k in self.belief)))
        cached = self._loglik.get(key)
        if cached is not None:
            return cached
        total = torch.zeros_like(self.log_prior)
        n_actions, points = len(self.names), self.log_prior.shape[0]
        for site, fn in self.belief.items():
            y = torch.as_tensor(outcome[site], dtype=self.utility.dtype)
            lq = fn.log_prob(y)
            lq = torch.where(fn.support.check(y), lq, torch.full_like(lq, -math.inf))
            total = total + torch.broadcast_to(lq, (n_actions, 1, points))[action, 0]
        if len(self._loglik) < LOGLIK_CACHE:
            self._loglik[key] = total
        return total

    def update(self, log_post: torch.Tensor, action: int, outcome: Mapping[str, Any]
               ) -> torch.Tensor:
        """The log posterior after one more round (unchanged when no point can produce the
        outcome), shifted so that its largest entry is 0."""
        updated = log_post + self.loglik(action, outcome)
        top = updated.max()
        if bool(torch.isfinite(top)):
            return updated - top
        return log_post

    def respond(self, log_post: torch.Tensor, tie_seed: int) -> int:
        """A best response to the posterior ``log_post``, ties (within the utility
        tolerance) broken uniformly at random by ``tie_seed``."""
        expected = torch.softmax(log_post, dim=0) @ self.utility  # (A,)
        values = expected.tolist()
        best = max(values)
        ties = [a for a, v in enumerate(values) if v >= best - self.utol]
        return random.Random(tie_seed).choice(ties)

    def choose(self, history: list[tuple[int, Mapping[str, Any]]], tie_seed: int) -> int:
        """The best response to the posterior after ``history`` (action, outcome) pairs,
        computed from the prior."""
        log_post = self.log_prior.clone()
        for action, outcome in history:
            log_post = self.update(log_post, action, outcome)
        return self.respond(log_post, tie_seed)


#: log-likelihood vectors kept per learner (continuous outcomes rarely repeat)
LOGLIK_CACHE = 4096


@dataclass
class _Episode:
    """What the provider has read of one running episode: its messages (the objects), the
    round records among them, and the log posterior after those rounds."""

    messages: list[ChatMessage]
    rounds: int
    log_post: torch.Tensor


class BayesianLearnerAPI(ModelAPI):
    """``--model sme/bayes``: the Bayesian learner answering the experiment's protocol.

    Each call reads the episode's rounds from the side channel.  The posterior of every
    running episode is kept between calls: when a call's conversation starts with the very
    messages the last call of its episode read, only the messages after them are read and
    their rounds added (one update a round, not one per round played so far); any other
    conversation (a retried sample, copied messages) is read from the start.
    """

    def __init__(self, model_name: str, base_url: str | None = None,
                 api_key: str | None = None, config: GenerateConfig | None = None,
                 points: int = 201, **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())
        if model_name != "bayes":
            raise ValueError(f"sme/{model_name}: unknown model (the provider has sme/bayes)")
        self.settings = Settings(resolution=Resolution(points=int(points)))
        self.scenarios: dict[str, Scenario] = {}
        self.learners: dict[tuple[str, str], BayesianLearner] = {}
        self.episodes: dict[tuple[Any, ...], _Episode] = {}

    def max_connections(self) -> int:
        return 64

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
        side = episode_facts(input)
        learner = self._learner(side["scenario"], side["values"])
        key = (side["scenario"], repr(sorted(side["values"].items())),
               side["condition_index"], side["episode"], side["seed"])
        episode = self._read(key, learner, input)
        number = episode.rounds + 1
        seed = round_seed(side["seed"], side["condition_index"], side["episode"],
                          number) ^ 0x5DEECE66D
        action = learner.respond(episode.log_post, seed)
        if number >= int(side.get("rounds", 0)):  # the episode's last round
            self.episodes.pop(key, None)
        return ModelOutput.from_content(model=self.model_name,
                                        content=f"ACTION: {learner.names[action]}")

    def _read(self, key: tuple[Any, ...], learner: BayesianLearner,
              messages: list[ChatMessage]) -> _Episode:
        """The episode after ``messages``: the kept one, updated by the messages it has not
        read, when ``messages`` continue those it read; else read from the prior."""
        kept = self.episodes.get(key)
        if kept is None or len(messages) < len(kept.messages) or \
                any(a is not b for a, b in zip(kept.messages, messages, strict=False)):
            kept = _Episode([], 0, learner.log_prior.clone())
        for message in messages[len(kept.messages):]:
            record = (message.metadata or {}).get(SIDE_KEY)
            if not isinstance(record, dict) or "round" not in record:
                continue
            kept.rounds += 1
            if record.get("action") is not None:
                kept.log_post = learner.update(kept.log_post,
                                               learner.names.index(record["action"]),
                                               record["outcome"])
        kept.messages = list(messages)
        self.episodes[key] = kept
        return kept

    def _learner(self, path: str, values: Mapping[str, Any]) -> BayesianLearner:
        key = (path, repr(sorted(values.items())))
        if key not in self.learners:
            if path not in self.scenarios:
                self.scenarios[path] = load_scenario(path)
            self.learners[key] = BayesianLearner(self.scenarios[path], values, self.settings)
        return self.learners[key]


#: the registered provider (Inspect's ``modelapi`` wraps the class in a factory, so the class
#: itself stays importable for ``isinstance``)
sme_provider = modelapi(name="sme")(BayesianLearnerAPI)


def episode_facts(messages: list[ChatMessage]) -> dict[str, Any]:
    """The episode's facts: the side channel of its first message that carries them."""
    for message in messages:
        data = (message.metadata or {}).get(SIDE_KEY)
        if isinstance(data, dict) and "values" in data:
            return data
    raise ValueError("sme/bayes answers only the episodes of `sme experiment` (the "
                     "conversation carries no 'sme' metadata)")
