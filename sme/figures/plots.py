"""Figures for papers: phase diagrams, learning trajectories, best-response graphs and
search results as matplotlib ``Figure`` objects (made without pyplot, so no backend is
switched and notebooks show them inline), written as PNG, SVG or PDF; matplotlib is imported
only when a figure is asked for."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sme.engine.phases import Phase
from sme.files.outputs import check_output_directory
from sme.runtime.errors import SMEError, naming_file

if TYPE_CHECKING:
    from priors.params import Param
    from sme.analysis import Analysis
    from sme.studies.diagram import PhaseDiagram
    from sme.studies.dynamics import Simulation

#: how the baseline point is drawn (and shown in the legend)
BASELINE_MARKER: dict[str, Any] = {"marker": "D", "color": "white", "markeredgecolor": "black",
                                   "markersize": 7, "linestyle": "none", "label": "baseline"}

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _figure(width: float, height: float) -> Any:
    """A matplotlib ``Figure`` made without pyplot, so no global backend is chosen or
    changed (it saves to any format and shows in notebooks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(fig)  # a renderer to lay the texts out with (any format still saves)
    return fig


#: an equilibrium's range wider than this is drawn as a band (a continuum of equilibria);
#: narrower ones are the bracket of an isolated equilibrium at the Θ points' resolution
CONTINUUM_WIDTH = 0.1
#: characters per line of a wrapped title or axis label (at the figures' widths and fonts)
WRAP = 62


def _wrapped(text: str, width: int = WRAP) -> str:
    """``text`` broken into lines of at most ``width`` characters, so that no title or
    axis label runs off the canvas."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _fit(fig: Any) -> None:
    """Lay ``fig`` out so that every artist lies on the canvas: tight layout, then, when
    something (a legend beside the axes, a long label) still sticks out, a larger canvas."""
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()
    for _ in range(8):  # each round grows the canvas by what still sticks out
        width, height = fig.get_size_inches()
        box = fig.get_tightbbox(renderer)  # inches
        pad = 0.1
        left, bottom = min(box.x0 - pad, 0.0), min(box.y0 - pad, 0.0)
        right, top = max(box.x1 + pad, width), max(box.y1 + pad, height)
        if (left, bottom, right, top) == (0.0, 0.0, width, height):
            return
        fig.set_size_inches(right - left, top - bottom)
        fig.tight_layout()


def axis_label(name: str, param: Param | None) -> str:
    """A figure's axis label for parameter ``name``: its declared ``label``, else its
    ``help`` with the name, else the name."""
    if param is not None and param.label:
        return param.label
    if param is not None and param.help:
        return f"{param.help} ({name})"
    return name


def show_or_save(fig: Any, path: str | Path | None) -> Any:
    """Write ``fig`` to ``path`` when given (checked, atomically); return ``fig``."""
    if path is not None:
        target = Path(path)
        _check(target)
        _save(fig, target)
    return fig


def _check(path: Path) -> None:
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise SMEError(f"{path}: figures are written as {', '.join(FIGURE_SUFFIXES)}")
    check_output_directory(path)


def _edges(values: list[float], log: bool) -> list[float]:
    """Cell edges around sorted centre values (geometric midpoints on a log axis)."""
    if len(values) == 1:
        v = values[0]
        return [v * 0.9, v * 1.1] if log else [v - 0.5, v + 0.5]
    if log:
        mids = [math.sqrt(a * b) for a, b in itertools.pairwise(values)]
        first = values[0] ** 2 / mids[0]
        last = values[-1] ** 2 / mids[-1]
    else:
        mids = [(a + b) / 2 for a, b in itertools.pairwise(values)]
        first = 2 * values[0] - mids[0]
        last = 2 * values[-1] - mids[-1]
    return [first, *mids, last]


def diagram_figure(diagram: PhaseDiagram,
                   decorate: Callable[[Any], list[Any]] | None = None) -> Any:
    """The diagram with phase colours, boundary lines between cells of different phase,
    axis labels from the parameters' declarations, and a legend of the phases present and
    the baseline point (when it lies on the plane).  Invalid cells (configurations the
    scenario's constraints exclude) are left white and named in the legend.
    ``decorate(axes)`` may draw more (reference lines, say) and returns the artists to add
    to the legend."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    phases = list(Phase)
    codes = [[phases.index(p) if p is not None else math.nan for p in row]
             for row in diagram.phases]
    xe = _edges(diagram.x_values, diagram.x.log)
    ye = _edges(diagram.y_values, diagram.y.log)
    fig = _figure(6.4, 5.0)
    ax = fig.subplots()
    cmap = ListedColormap([p.colour for p in phases])
    cmap = cmap.with_extremes(bad="white")
    ax.pcolormesh(xe, ye, codes, cmap=cmap, vmin=-0.5, vmax=len(phases) - 0.5,
                  shading="flat")
    segments = []
    ny, nx = len(codes), len(codes[0])

    def differ(u: float, v: float) -> bool:
        return not (u == v or (math.isnan(u) and math.isnan(v)))

    for j in range(ny):
        for i in range(nx):
            if i + 1 < nx and differ(codes[j][i], codes[j][i + 1]):
                segments.append([(xe[i + 1], ye[j]), (xe[i + 1], ye[j + 1])])
            if j + 1 < ny and differ(codes[j][i], codes[j + 1][i]):
                segments.append([(xe[i], ye[j + 1]), (xe[i + 1], ye[j + 1])])
    if segments:
        ax.add_collection(LineCollection(segments, colors="black", linewidths=0.8))
    if diagram.x.log:
        ax.set_xscale("log")
    if diagram.y.log:
        ax.set_yscale("log")
    params = diagram.scenario.all_params
    ax.set_xlabel(_wrapped(axis_label(diagram.x.name, params.get(diagram.x.name))))
    ax.set_ylabel(_wrapped(axis_label(diagram.y.name, params.get(diagram.y.name)), 44))
    ax.set_title(_wrapped(f"{diagram.scenario.name}: safety phases"))
    present = {p for row in diagram.phases for p in row}
    handles: list[Any] = [Patch(facecolor=p.colour, edgecolor="black", label=p.value)
                          for p in phases if p in present]
    if None in present:
        handles.append(Patch(facecolor="white", edgecolor="black", label="invalid"))
    if diagram.baseline_cell() is not None:
        ax.plot([diagram.baseline[diagram.x.name]], [diagram.baseline[diagram.y.name]],
                **BASELINE_MARKER)
        handles.append(Line2D([], [], **BASELINE_MARKER))
    if decorate is not None:
        handles += decorate(ax)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    _fit(fig)
    return fig


def save_diagram(diagram: PhaseDiagram, path: Path,
                 decorate: Callable[[Any], list[Any]] | None = None) -> None:
    """Write :func:`diagram_figure` to ``path`` (a temporary file, then renamed)."""
    _check(path)
    _save(diagram_figure(diagram, decorate), path)


def trajectory_figure(sim: Simulation) -> Any:
    """Each action's share of play over time, with the spread across learners (the band
    between the 10 % and 90 % quantiles of a learner's own share in each time bin) and the
    frequencies of every mixed Berk–Nash equilibrium — where oscillating learners' long-run
    frequencies go: a dashed line for an isolated equilibrium, a hatched band over the
    range of a continuum of equilibria; each is labelled in the legend."""
    fig = _figure(6.4, 3.6)
    ax = fig.subplots()
    centres = [(a + b) / 2 for a, b in itertools.pairwise(sim.bin_edges)]
    many = len(sim.mixed_equilibria) > 1
    for k, name in enumerate(sim.actions):
        (line,) = ax.plot(centres, [row[k] for row in sim.trajectory], label=name)
        colour = line.get_color()
        if sim.spread:
            ax.fill_between(centres, [row[k][0] for row in sim.spread],
                            [row[k][1] for row in sim.spread], color=colour,
                            alpha=0.15, linewidth=0)
        for m, mixture in enumerate(sim.mixed_equilibria):
            if name not in mixture:
                continue
            which = f"equilibrium {m + 1}: " if many else "equilibrium: "
            ranges = sim.equilibrium_ranges[m] if m < len(sim.equilibrium_ranges) else {}
            low, high = ranges.get(name, (mixture[name], mixture[name]))
            if high - low > CONTINUUM_WIDTH:
                ax.axhspan(low, high, facecolor="none", edgecolor=colour, hatch="//",
                           linewidth=0.6, label=f"{which}σ({name}) ∈ [{low:.3g}, {high:.3g}]")
            else:
                ax.axhline(mixture[name], color=colour, linestyle="--", linewidth=0.9,
                           label=f"{which}σ({name}) = {mixture[name]:.3g}")
    ax.set_xlabel("step")
    ax.set_ylabel("share of learners")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(_wrapped(f"phase {sim.phase}: action shares over time "
                          "(band: 10–90 % of learners)" if sim.spread else
                          f"phase {sim.phase}: action shares over time"))
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    _fit(fig)
    return fig


def save_trajectory(sim: Simulation, path: Path) -> None:
    """Write :func:`trajectory_figure` to ``path`` (a temporary file, then renamed)."""
    _check(path)
    _save(trajectory_figure(sim), path)


def best_response_figure(analysis: Analysis) -> Any:
    """The best-response graph of one analysis (``best_response_graph``): actions as nodes,
    green when safe and red when not, bold when in the Berk–Nash set."""
    import networkx as nx

    graph = analysis.best_response
    fig = _figure(5.0, 4.0)
    ax = fig.subplots()
    safe = {a.name: a.safe for a in analysis.scenario.actions}
    nodes = list(graph.nodes)
    colours = ["#2e7d32" if safe.get(n, False) else "#c62828" for n in nodes]
    widths = [3.0 if n in analysis.bn_set else 0.5 for n in nodes]
    pos = nx.circular_layout(graph)
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, edgecolors="black",
                           linewidths=widths, node_size=500)
    nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, node_size=500)
    # names beside their nodes, never clipped by the axes (a long name stays whole)
    for node, (x, y) in pos.items():
        ax.annotate(str(node), (x, y), xytext=(0, -16), textcoords="offset points",
                    ha="center", va="top", fontsize="small", annotation_clip=False)
    ax.margins(0.25)
    ax.set_title(_wrapped(f"{analysis.scenario.name}: {analysis.phase.value}, "
                          f"Berk–Nash set {{{', '.join(analysis.bn_set)}}}", 48))
    ax.set_axis_off()
    _fit(fig)
    return fig


def search_figure(candidates: list[Any], best: Any | None, title: str) -> Any:
    """Fidelity (nats) against distance of a study's completed trials
    (``search.results.Candidate``), coloured by phase, the best safe trial ringed."""
    from matplotlib.lines import Line2D

    fig = _figure(6.4, 4.2)
    ax = fig.subplots()
    handles = []
    for phase in Phase:
        chosen = [c for c in candidates if c.phase == phase.value
                  and isinstance(c.objectives.get("fidelity"), int | float)]
        if not chosen:
            continue
        ax.scatter([c.objectives.get("distance") or 0.0 for c in chosen],
                   [c.objectives["fidelity"] for c in chosen], s=14, color=phase.colour,
                   edgecolors="black", linewidths=0.3)
        handles.append(Line2D([], [], marker="o", linestyle="none", color=phase.colour,
                              markeredgecolor="black", label=phase.value))
    if best is not None and isinstance(best.objectives.get("fidelity"), int | float):
        ax.scatter([best.objectives.get("distance") or 0.0], [best.objectives["fidelity"]],
                   s=120, facecolors="none", edgecolors="black", linewidths=1.5)
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                              markeredgecolor="black", markersize=10,
                              label=f"best safe (trial {best.trial})"))
    ax.set_xlabel("distance from the baseline prior (normalised)")
    ax.set_ylabel("fidelity: misfit at the worst equilibrium (nats)")
    ax.set_title(_wrapped(f"study {title}"))
    if handles:
        ax.legend(handles=handles, frameon=False, fontsize="small")
    _fit(fig)
    return fig


def _save(fig: Any, path: Path) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        with naming_file(path):
            fig.savefig(tmp, format=path.suffix.lstrip(".").lower())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
