"""``sme search``: search the declared prior parameters for safe priors (Optuna)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from sme.cli import (
    EXIT_OK,
    EXIT_UNSAFE,
    add_numeric_options,
    add_risk_option,
    int_at_least,
    parse_assignment,
    points_from,
    positive_int,
    seed_int,
    warn,
)

EXIT_INTERRUPTED = 130


def _weights(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected F,D,M (three numbers), got {text!r}") from None
    if len(values) != 3 or any(v < 0 or v != v for v in values):
        raise argparse.ArgumentTypeError(f"expected F,D,M (three numbers ≥ 0), got {text!r}")
    return values[0], values[1], values[2]


def _radius(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


_count = int_at_least(0, "an integer ≥ 0")


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "search", help="search the prior parameters for safe priors (Optuna)",
        description="Search the scenario's declared prior parameters for priors whose "
        "Berk–Nash set contains only safe actions. Feasibility (safety) is an Optuna "
        "constraint, so unsafe trials are kept and marked; among safe priors the study "
        "minimises fidelity (the belief's misfit at its equilibria) and distance from the "
        "baseline prior and maximises the margin (how far the prior can move before its phase "
        "changes) — a Pareto front, or one weighted score with --objective scalar. Each batch "
        "of trials, with robustness contexts and margin neighbours, is analysed in one batched "
        "pass. The study is stored in <scenario name>.sme-journal in the working directory "
        "(or --storage) and running the same command again resumes it.",
        epilog="examples:\n"
        "  sme search examples/sycophancy.py --trials 200 --export best.toml\n"
        "  sme search examples/linear_gaussian.py --range hi=0:4 --robust m1=0:2 --seed 1\n"
        "  sme search examples/linear_gaussian.py --storage sqlite:///studies.db --workers 4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", help="scenario file (.py) defining `scenario` (it is run)")
    parser.add_argument("--trials", type=positive_int, default=100,
                        help="trials the study should hold; rerunning continues up to it "
                        "(default 100)")
    parser.add_argument("--batch", type=positive_int, default=8,
                        help="trials asked, analysed in one pass and told together (default 8)")
    parser.add_argument("--sampler", default="tpe",
                        choices=("tpe", "nsga2", "qmc", "random", "gp"),
                        help="Optuna sampler: tpe (default), nsga2, qmc (needs scipy), random, "
                        "gp (needs scipy)")
    parser.add_argument("--seed", type=seed_int, default=None,
                        help="seed the sampler: a search in one process is then reproducible")
    parser.add_argument("--objective", choices=("pareto", "scalar"), default="pareto",
                        help="pareto: fidelity, distance and margin as separate objectives "
                        "(default); scalar: one weighted score")
    parser.add_argument("--weights", type=_weights, default=(1.0, 1.0, 1.0), metavar="F,D,M",
                        help="score = F·fidelity + D·distance − M·margin/radius (default 1,1,1; "
                        "used by --objective scalar and to order candidates)")
    parser.add_argument("--study", metavar="NAME",
                        help="study name (default: the scenario's name)")
    parser.add_argument("--storage", metavar="FILE|URL",
                        help="journal file, or an Optuna storage URL: sqlite:///FILE, "
                        "postgresql://USER:PASSWORD@HOST/DB (default: "
                        "<scenario name>.sme-journal here)")
    parser.add_argument("--workers", type=positive_int, default=1, metavar="K",
                        help="run K local worker processes on the study (default 1)")
    parser.add_argument("--set", dest="assignments", metavar="NAME=VALUE", action="append",
                        type=parse_assignment, default=[],
                        help="fix a prior parameter, or set a world/reward parameter; "
                        "repeatable")
    parser.add_argument("--range", dest="ranges", metavar="NAME=LO:HI[:log|:lin]",
                        action="append", type=parse_assignment, default=[],
                        help="narrow a prior parameter (NAME=A,B,... for choices); repeatable")
    parser.add_argument("--robust", metavar="NAME=LO:HI[:N]", action="append", default=[],
                        help="require safety across a range of a world or reward parameter, "
                        "at N values (default 3); repeatable")
    add_risk_option(parser)
    parser.add_argument("--robust-risks", action="store_true",
                        help="feasible only when safe at every objective risk of the sweep "
                        "(--risk-grid values of every world parameter across its declared "
                        "range): the verdict 'safe for every objective risk'")
    parser.add_argument("--margin-directions", type=_count, default=8, metavar="D",
                        help="directions of the margin neighbourhood; 0 drops the margin "
                        "objective (default 8)")
    parser.add_argument("--margin-radius", type=_radius, default=0.2, metavar="R",
                        help="largest neighbour step, in units of each parameter's declared "
                        "range (default 0.2)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads per process (default: OMP_NUM_THREADS if set, else "
                        "the free cores, shared among the --workers K processes)")
    parser.add_argument("--export", metavar="FILE",
                        help="at the end, export the best safe prior (.toml, .json, .yaml)")
    parser.add_argument("--force", action="store_true",
                        help="let --export overwrite an existing file")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: study, storage, trials, feasible, "
                        "best_trial, resolution")
    add_numeric_options(parser)
    parser.set_defaults(run=run)


class _Bar:
    """The search's progress on stderr: a rich bar on a terminal (not with --json); plain
    lines otherwise, every few seconds, with the estimated time of a long search once its
    first batch is done (:class:`sme.runtime.progress.PlainProgress`)."""

    def __init__(self, total: int, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from sme.runtime.progress import PlainProgress

        self.console = Console(stderr=True)
        self.total = total
        self.plain = (None if self.console.is_terminal
                      else PlainProgress("search", "trials", already=None))
        self.progress = Progress(
            TextColumn("[bold]searching"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[feasible]} feasible"),
            TextColumn("best {task.fields[best]}"),
            TextColumn("{task.fields[rate]} trials/s"), TimeElapsedColumn(),
            console=self.console, transient=True,
            disable=not enabled or not self.console.is_terminal)
        self.task = self.progress.add_task("search", total=total, feasible=0, best="—",
                                           rate="0.0")
        self.start = time.monotonic()
        self.first: int | None = None

    def update(self, done: int, feasible: int, best_trial: int | None,
               best_score: float | None) -> None:
        if self.first is None:
            self.first = done
        elapsed = max(1e-9, time.monotonic() - self.start)
        best = "—" if best_trial is None else f"#{best_trial} ({best_score:.3g})"
        if self.plain is not None:
            self.plain.update(done, self.total, f"{feasible} safe")
        self.progress.update(self.task, completed=done, feasible=feasible, best=best,
                             rate=f"{(done - self.first) / elapsed:.1f}")

    @contextlib.contextmanager
    def shown(self) -> Iterator[_Bar]:
        with self.progress:
            yield self
        if self.plain is not None:
            self.plain.finish()


def _job(args: argparse.Namespace) -> Any:
    from search.job import SearchJob
    from search.objectives import MarginSpec, ObjectiveSpec

    points, per_dimension = points_from(args)
    objective = ObjectiveSpec(mode=args.objective, weights=args.weights,
                              margin=MarginSpec(directions=args.margin_directions,
                                                radius=args.margin_radius))
    return SearchJob(
        scenario=args.scenario, trials=args.trials, batch=args.batch, sampler=args.sampler,
        seed=args.seed, study=args.study, storage=args.storage, objective=objective,
        assignments=list(args.assignments), ranges=list(args.ranges), robust=list(args.robust),
        points=points, per_dimension=per_dimension, mc_samples=args.mc_samples,
        device=args.device,
        memory_budget=args.memory_budget * 1024 * 1024, threads=args.threads,
        risk_grid=args.risk_grid, risk_params=args.risk_params,
        robust_risks=args.robust_risks, tail=args.tail)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the search, then summarise it."""
    from search.job import prepare
    from search.study import quiet_optuna, study_progress
    from sme.runtime.resources import check_workers

    if args.export:
        from search.storage import StorageSpec
        from sme.files.export import check_destination

        storage = StorageSpec(args.storage).local_file if args.storage else None
        check_destination(args.export, force=args.force,  # fails before the search
                          reads=[(args.scenario, "the scenario file"),
                                 (storage, "the study's storage")])
    check_workers(args.workers, args.memory_budget * 1024 * 1024)
    job = _job(args)
    with quiet_optuna(), _threads(args.threads if args.workers == 1 else None):
        ready = prepare(job)
        for message in ready.warnings:
            warn(message)
        if not args.json:
            _describe(ready)
        bar = _Bar(job.trials, enabled=not args.json)

        def refresh() -> None:
            p = study_progress(ready.study, job.objective)
            bar.update(min(p.counted, job.trials), p.feasible, p.best_trial, p.best_score)

        def notice() -> None:
            print("sme: stopping after the current batch (Ctrl-C again to abort it)",
                  file=sys.stderr)

        with bar.shown():
            refresh()
            interrupted = _search(ready, args.workers, refresh, notice)
        return _finish(ready, args, interrupted)


@contextlib.contextmanager
def _threads(count: int | None) -> Iterator[None]:
    """Run with ``count`` torch threads (unchanged when ``None``)."""
    import torch

    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _search(ready: Any, workers: int, refresh: Callable[[], None],
            notice: Callable[[], None]) -> bool:
    """Run the trials in this process or in worker processes; True when interrupted."""
    from search.study import StopFlag, run_trials, split_quota, study_progress
    from search.workers import run_workers

    job = ready.job
    if workers > 1:
        remaining = max(0, job.trials - study_progress(ready.study, job.objective).counted)
        reports = run_workers(job, split_quota(remaining, workers), watch=refresh,
                              notice=notice)
        return any(r.status in ("stopped", "interrupted") for r in reports)
    try:
        with StopFlag(notice=notice) as stop:
            stats = run_trials(ready.study, ready.space, ready.evaluator, job.objective,
                               target=job.trials, batch=job.batch, stop=stop,
                               on_batch=lambda _: refresh())
        return stats.stopped
    except KeyboardInterrupt:
        return True


def _describe(ready: Any) -> None:
    from sme.figures.report import grid_text

    points = (math.prod(ready.grid) if ready.grid
              else ready.job.settings().resolution.max_points)
    searched = ", ".join(ready.space.names) or "nothing"
    fixed = ", ".join(f"{k}={v}" for k, v in ready.space.fixed.items())
    line = (f"sme: study {ready.study_name!r} in {ready.storage.label}: searching {searched}"
            + (f" (held: {fixed})" if fixed else "")
            + f"; baseline phase {ready.evaluator.baseline_phase}; "
            f"{ready.evaluator.rows_per_trial} configurations per trial, {points} Θ points "
            f"each ({grid_text(ready.grid)})")
    print(line, file=sys.stderr)


def _finish(ready: Any, args: argparse.Namespace, interrupted: bool) -> int:
    from rich.console import Console

    from search.results import candidates, export_document, mark_best
    from search.study import study_progress
    from sme.commands.candidates import render_candidates
    from sme.figures.report import grid_text
    from sme.files.export import write_export

    progress = study_progress(ready.study, ready.job.objective)
    ranked = candidates(ready.study)
    mark_best(ready.study, ranked)
    best = ranked[0] if ranked and ranked[0].feasible else None
    status = EXIT_OK
    exported = None
    if args.export and not interrupted:
        if best is None:
            warn(f"no safe prior among {progress.complete} trials; nothing exported")
            status = EXIT_UNSAFE
        else:
            document = export_document(ready.study, best.trial, ready.storage.label)
            write_export(document, args.export, force=args.force)
            exported = args.export
    resolution = {**ready.job.settings().describe(), "grid": ready.grid or None}
    if args.json:
        print(json.dumps({"study": ready.study_name, "storage": ready.storage.label,
                          "trials": progress.complete, "feasible": progress.feasible,
                          "best_trial": None if best is None else best.trial,
                          "resolution": resolution}, indent=2))
    else:
        console = Console()
        console.print(f"study [bold]{ready.study_name}[/] in {ready.storage.label}: "
                      f"{progress.complete} trials complete, {progress.feasible} safe"
                      + (f", {progress.failed} could not be analysed" if progress.failed
                         else "")
                      + (f"; {progress.rejected} proposals outside the scenario's constraints "
                         "were rejected unanalysed" if progress.rejected else ""))
        points = math.prod(ready.grid) if ready.grid else resolution["max_points"]
        console.print(f"[dim]resolution: {points} Θ points ({grid_text(ready.grid)}), "
                      f"{resolution['mc_samples']} Monte Carlo samples where needed, tie "
                      f"tolerance {resolution['kl_tie_rtol']:g} (relative)[/]")
        if ranked:
            render_candidates(ranked[:5], console)
        if exported:
            console.print(f"exported trial {best.trial} to {exported}")  # type: ignore[union-attr]
        elif best is not None:
            where = f" --storage {ready.storage.label}" if args.storage else ""
            console.print(f"export it: sme export {args.scenario} --study {ready.study_name}"
                          f"{where} --trial {best.trial} -o chosen.toml")
    if interrupted:
        print(f"sme: interrupted; {progress.complete} completed trials are kept in "
              f"{ready.storage.label} (run the same command to resume)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status
