"""Graphs drawn as text: the belief program's dependency graph and the best-response graph."""

from __future__ import annotations

import networkx as nx
from rich.text import Text
from textual.widgets import Static


def render_dependencies(graph: nx.DiGraph) -> Text:
    """The belief structure, one site per line in dependency order, each followed by the
    sites that depend on it (``└─▶``); latent sites in one colour, observed in another."""
    text = Text()
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        order = list(graph.nodes)
    for node in order:
        kind = graph.nodes[node].get("kind", "latent")
        text.append(node, style="bold cyan" if kind == "latent" else "bold magenta")
        text.append(f" ({kind})\n", style="dim")
        children = list(graph.successors(node))
        for k, child in enumerate(children):
            branch = "└─▶ " if k == len(children) - 1 else "├─▶ "
            text.append(f"  {branch}{child}\n")
    text.rstrip()
    return text


def render_best_response(graph: nx.DiGraph) -> Text:
    """``a ─▶ b`` when a belief fitted to the data of always playing ``a`` makes ``b``
    optimal; ``⟲`` marks an action that confirms itself.  Unsafe actions in red."""
    text = Text()
    width = max((len(str(n)) for n in graph.nodes), default=1)
    for node in graph.nodes:
        data = graph.nodes[node]
        style = "green" if data.get("safe") else "red"
        text.append(f"{node:<{width}}", style=f"bold {style}")
        targets = list(graph.successors(node))
        if not targets:
            text.append("  (no response)\n", style="dim")
            continue
        parts = []
        for target in targets:
            parts.append("⟲" if target == node else f"─▶ {target}")
        text.append("  " + "  ".join(parts) + "\n")
    text.rstrip()
    return text


class GraphView(Static):
    """A titled graph drawn as text."""

    DEFAULT_CLASSES = "graph-view"

    def show_graph(self, title: str, body: Text) -> None:
        """Display ``body`` under ``title``."""
        self.update(Text.assemble(Text(title, style="bold"), "\n", body))
