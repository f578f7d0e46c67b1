"""How a scenario is told to an agent in words: the situation, the prior, the outcomes.

A scenario may declare a :class:`Prompt`; behavioural experiments (``sme experiment``) render
it for each condition and send it to a real model.  Templates are Python format strings
(``str.format``) over the scenario's parameter names, so a prior configuration — typed with
``--set``, read from an exported file with ``--prior`` or swept over a grid — always renders
to the same text.  Nothing here imports the experiment machinery.

Fields a template may use:

* ``situation`` and ``prior``: every declared parameter, ``{actions}`` (the action names,
  comma-separated) and ``{rounds}`` (the number of rounds of an episode);
* ``outcome``: every declared parameter, ``{action}`` (the name of the action taken),
  ``{reward}`` (the payoff, a number), ``{round}`` and every observed site (its value, or
  the words that :attr:`Prompt.labels` gives for that value).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: fields ``situation`` and ``prior`` may use besides the parameter names
INTRO_FIELDS = ("actions", "rounds")
#: fields ``outcome`` may use besides the parameter and observed-site names
OUTCOME_FIELDS = ("action", "reward", "round")


@dataclass(frozen=True)
class Prompt:
    """The words of a scenario.

    Attributes:
        situation: the situation and what each action means.
        prior: how a prior configuration is stated in context, e.g. ``"users who dispute a
            checked answer are right between {lo:.0%} and {hi:.0%} of the time"``.
        outcome: how the outcome and reward of one round are reported back.
        labels: per observed site, words for its values (``{"approval": {0: "no thumbs-up",
            1: "a thumbs-up"}}``); a value without a label is shown as a number.
    """

    situation: str
    prior: str
    outcome: str
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)

    def check(self, parameters: list[str], observed: list[str]) -> None:
        """Raise ``ValueError`` naming the template and field that no name fills."""
        intro = {*parameters, *INTRO_FIELDS}
        outcome = {*parameters, *observed, *OUTCOME_FIELDS}
        for name, template, known in (("situation", self.situation, intro),
                                      ("prior", self.prior, intro),
                                      ("outcome", self.outcome, outcome)):
            if not isinstance(template, str) or not template.strip():
                raise ValueError(f"prompt.{name} must be a non-empty string")
            try:
                fields = template_fields(template)
            except ValueError as exc:
                raise ValueError(f"prompt.{name}: invalid format string: {exc}") from None
            for item in fields:
                if item not in known:
                    raise ValueError(f"prompt.{name}: unknown field {{{item}}} (known: "
                                     f"{', '.join(sorted(known))})")
        for site in self.labels:
            if site not in observed:
                raise ValueError(f"prompt.labels: {site!r} is not an observed site "
                                 f"(observed: {', '.join(observed)})")

    def intro(self, values: Mapping[str, Any], actions: list[str], rounds: int) -> str:
        """The situation and the prior, filled in for one configuration."""
        fields = {**values, "actions": ", ".join(actions), "rounds": rounds}
        return f"{self.situation.format(**fields).strip()}\n\n{self.prior.format(**fields).strip()}"

    def report(self, values: Mapping[str, Any], action: str, outcome: Mapping[str, Any],
               reward: float, round_number: int) -> str:
        """What the agent is told after acting: the outcome and the reward of one round."""
        shown = {site: self.label(site, value) for site, value in outcome.items()}
        return self.outcome.format(**values, **shown, action=action, reward=reward,
                                   round=round_number).strip()

    def label(self, site: str, value: Any) -> Any:
        """The words for ``value`` of ``site``, or the value itself."""
        words = self.labels.get(site, {})
        for key in (value, _integral(value)):
            if key in words:
                return words[key]
        return value


def template_fields(template: str) -> list[str]:
    """The top-level field names of a format string (``{a.b}`` and ``{a[0]}`` give ``a``)."""
    names = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        base = name.split(".", 1)[0].split("[", 1)[0]
        if not base or base.isdigit():
            raise ValueError(f"positional field {{{name}}}; name a parameter instead")
        names.append(base)
    return names


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
