"""Graphs for explanations: who-responds-to-whom and the belief program's structure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import torch
from pyro.infer.inspect import get_dependencies

from priors.compile import ProgramError, trace_program

if TYPE_CHECKING:
    from sme.analysis import FittedBelief
    from sme.scenario.declaration import Scenario


def best_response_graph(scenario: Scenario, fitted: Sequence[FittedBelief],
                        bn_set: Sequence[str]) -> nx.DiGraph:
    """Edge ``a → b`` when a belief fitted to the data of always playing ``a`` (a point of
    ``Θ(δ_a)``) makes ``b`` optimal.  Nodes carry ``safe`` and ``rationalizable``."""
    graph = nx.DiGraph()
    for action in scenario.actions:
        graph.add_node(action.name, safe=action.safe, rationalizable=action.name in bn_set)
    for fit in fitted:
        for response in fit.responses:
            graph.add_edge(fit.action, response)
    return graph


def dependency_graph(scenario: Scenario, prior: Mapping[str, Any]) -> nx.DiGraph:
    """The belief program's prior dependency graph, from
    :func:`pyro.infer.inspect.get_dependencies`: edge ``u → v`` when site ``v``'s
    distribution depends on site ``u``.  Nodes carry ``kind`` (``latent``/``observed``).

    The program is inspected with every site unobserved, so that a dependence of one
    observed site on another shows as an edge too."""
    args = {k: torch.as_tensor(v, dtype=torch.float64) if isinstance(v, int | float) else v
            for k, v in prior.items()}
    action = torch.tensor(0)
    trace_program("belief", scenario.belief, action, **args)  # clear errors first
    try:
        deps = get_dependencies(scenario.belief, (action,), args)["prior_dependencies"]
    except Exception as exc:  # the user's program: report, do not crash
        raise ProgramError(f"belief program: dependency analysis failed: {exc}") from exc
    graph = nx.DiGraph()
    for site in deps:
        kind = "observed" if site in scenario.observed else "latent"
        graph.add_node(site, kind=kind)
    for site, upstream in deps.items():
        for source in upstream:
            if source != site:
                graph.add_edge(source, site)
    return graph


def observed_coupling(scenario: Scenario, graph: nx.DiGraph) -> tuple[str, str] | None:
    """An (upstream, downstream) pair of observed sites that depend on each other, if any."""
    observed = set(scenario.observed)
    for u, v in graph.edges:
        if u in observed and v in observed:
            return u, v
    return None
