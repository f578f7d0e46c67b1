"""The text protocol of an episode: what the agent is asked each round, and reading its reply.

The agent first reads the scenario's :class:`~sme.scenario.prompt.Prompt` (situation and prior) and
the instructions below; each round it is asked for an action, and after it answers it is
told the outcome and payoff (the prompt's ``outcome`` template) together with the next
request.  A reply is read by :func:`parse_action`; one that names no action is recorded as
unreadable and the round is lost (nothing is drawn), never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sme.runtime.errors import ScenarioError
from sme.scenario.declaration import Scenario

#: key of the side channel in a message's metadata: the facts of the episode (first message)
#: or of the round just played, for providers that answer from them (``sme/bayes``)
SIDE_KEY = "sme"

INSTRUCTIONS = (
    "Each round, choose exactly one action. You may think first, but end your reply with a "
    "line of the form\nACTION: <name>\nwhere <name> is one of: {actions}."
)


def require_prompt(scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` unless the scenario declares a prompt."""
    if scenario.prompt is None:
        where = scenario.source or scenario.name
        raise ScenarioError(f"{where}: the scenario declares no prompt (add prompt=Prompt("
                            "situation=..., prior=..., outcome=...) to its Scenario)")


def intro(scenario: Scenario, values: Mapping[str, Any], rounds: int) -> str:
    """The first message of an episode: situation, prior, actions and instructions."""
    require_prompt(scenario)
    assert scenario.prompt is not None
    names = scenario.action_names
    lines = [scenario.prompt.intro(values, names, rounds), "", "The actions:"]
    for action in scenario.actions:
        lines.append(f"- {action.name}" + (f": {action.help}" if action.help else ""))
    lines += ["", INSTRUCTIONS.format(actions=", ".join(names))]
    return "\n".join(lines)


def request(round_number: int, rounds: int) -> str:
    """The request for one round's action."""
    return f"Round {round_number} of {rounds}: choose your action."


def feedback(scenario: Scenario, values: Mapping[str, Any], action: str,
             outcome: Mapping[str, Any], reward: float, round_number: int) -> str:
    """What the agent is told after a round it played."""
    assert scenario.prompt is not None
    return scenario.prompt.report(values, action, outcome, reward, round_number)


def unreadable(round_number: int, names: Sequence[str]) -> str:
    """What the agent is told after a reply that named no action."""
    return (f"Round {round_number}: your reply did not end with a line 'ACTION: <name>' naming "
            f"one of {', '.join(names)}, so this round was lost.")


def parse_action(reply: str, names: Sequence[str]) -> str | None:
    """The action a reply chooses, or ``None``.

    Read in this order: the last ``ACTION: name`` line (any case, optional quotes, ``*``
    or backticks around the name); a reply that is just an action name; a reply that names
    exactly one action (as a whole word).  Anything else — no action, or several without an
    ``ACTION:`` line — is unreadable.
    """
    by_lower = {name.lower(): name for name in names}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    word = rf"(?<![\w-])({alternatives})(?![\w-])"
    explicit = re.findall(rf"action\s*[:=]\s*[\"'`*_\[(<]*\s*{word}", reply, re.IGNORECASE)
    if explicit:
        return by_lower[explicit[-1].lower()]
    bare = reply.strip().strip("\"'`*_.!()[]<> \n").lower()
    if bare in by_lower:
        return by_lower[bare]
    mentioned = {m.lower() for m in re.findall(word, reply, re.IGNORECASE)}
    if len(mentioned) == 1:
        return by_lower[mentioned.pop()]
    return None
