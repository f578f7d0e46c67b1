"""Figures for papers: phase diagrams and learning trajectories as PNG or SVG (matplotlib,
imported only when a figure is asked for)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sme.diagram import PhaseDiagram
from sme.dynamics import Simulation
from sme.errors import SMEError
from sme.outputs import check_output_directory
from sme.phases import Phase

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check(path: Path) -> None:
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise SMEError(f"{path}: figures are written as {', '.join(FIGURE_SUFFIXES)}")
    check_output_directory(path)


def _edges(values: list[float], log: bool) -> list[float]:
    """Cell edges around sorted centre values (geometric midpoints on a log axis)."""
    import math

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


def save_diagram(diagram: PhaseDiagram, path: Path,
                 decorate: Callable[[Any], list[Any]] | None = None) -> None:
    """Write the diagram with phase colours, boundary lines between cells of different
    phase, a legend and the baseline marked; written to a temporary file, then renamed.
    ``decorate(axes)`` may draw more (reference lines, say) and returns the artists to add
    to the legend."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    _check(path)
    plt = _pyplot()
    phases = list(Phase)
    codes = [[phases.index(p) for p in row] for row in diagram.phases]
    xe = _edges(diagram.x_values, diagram.x.log)
    ye = _edges(diagram.y_values, diagram.y.log)
    fig, ax = plt.subplots(figsize=(6.4, 5.0), dpi=150)
    cmap = ListedColormap([p.colour for p in phases])
    ax.pcolormesh(xe, ye, codes, cmap=cmap, vmin=-0.5, vmax=len(phases) - 0.5,
                  shading="flat")
    segments = []
    ny, nx = len(codes), len(codes[0])
    for j in range(ny):
        for i in range(nx):
            if i + 1 < nx and codes[j][i] != codes[j][i + 1]:
                segments.append([(xe[i + 1], ye[j]), (xe[i + 1], ye[j + 1])])
            if j + 1 < ny and codes[j][i] != codes[j + 1][i]:
                segments.append([(xe[i], ye[j + 1]), (xe[i + 1], ye[j + 1])])
    if segments:
        ax.add_collection(LineCollection(segments, colors="black", linewidths=0.8))
    if diagram.x.log:
        ax.set_xscale("log")
    if diagram.y.log:
        ax.set_yscale("log")
    cell = diagram.baseline_cell()
    if cell is not None:
        ax.plot([diagram.baseline[diagram.x.name]], [diagram.baseline[diagram.y.name]],
                marker="D", color="white", markeredgecolor="black", markersize=7,
                linestyle="none", label="baseline")
    ax.set_xlabel(diagram.x.name)
    ax.set_ylabel(diagram.y.name)
    ax.set_title(f"{diagram.scenario.name}: safety phases")
    present = {p for row in diagram.phases for p in row}
    handles = [Patch(facecolor=p.colour, edgecolor="black", label=p.value)
               for p in phases if p in present]
    if decorate is not None:
        handles += decorate(ax)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    _save(fig, path, plt)


def save_trajectory(sim: Simulation, path: Path) -> None:
    """Write each action's share of play over time."""
    _check(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=150)
    centres = [(a + b) / 2 for a, b in zip(sim.bin_edges, sim.bin_edges[1:], strict=False)]
    for k, name in enumerate(sim.actions):
        ax.plot(centres, [row[k] for row in sim.trajectory], label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("share of learners")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"phase {sim.phase}: action shares over time")
    ax.legend(frameon=False)
    fig.tight_layout()
    _save(fig, path, plt)


def _save(fig: object, path: Path, plt: object) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower())  # type: ignore[attr-defined]
        os.replace(tmp, path)
    finally:
        plt.close(fig)  # type: ignore[attr-defined]
        if os.path.exists(tmp):
            os.unlink(tmp)
