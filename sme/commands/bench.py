"""``sme bench``: speed and memory figures with ratios against a plain baseline."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sme.cli import EXIT_OK, device_name


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "bench", help="measure throughput and memory on the shipped examples",
        description="Measures, in one run and each in a fresh process: batched analysis "
        "throughput (configurations per second: compile + Berk–Nash set + phase) against a "
        "plain per-point Python loop on the same scenario and points; the same with 3, 4, 5 "
        "and 8 actions against a mixed-integer solver written from the definition; a "
        "200 × 200 phase "
        "diagram; learner-steps per second; search trials per second with the default "
        "storage; the same analysis beside CPU-bound competitor processes that the bench "
        "starts and stops, with torch's default threads, the chosen threads and one "
        "thread; and the peak memory of each.",
    )
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the measurements and print them."""
    from rich.console import Console

    from sme.analysis import resolve_device
    from sme.benchmarks.bench import run_bench

    device = resolve_device(args.device)
    err = Console(stderr=True)
    figures = run_bench(device, args.quick,
                        None if args.json else lambda m: err.print(f"[dim]measuring {m}…"))
    if args.json:
        print(json.dumps(figures, indent=2))
        return EXIT_OK
    Console().print(_table(figures))
    if "cpu" in figures:
        Console().print(_table(figures["cpu"]))
        ratios = figures["gpu_vs_cpu"]
        Console().print(f"GPU vs CPU: analysis ×{ratios['analysis']:.1f}, 200 × 200 diagram "
                        f"×{ratios['phase_diagram_200']:.1f}, simulation ×{ratios['simulate']:.1f}")
    sys.stdout.flush()
    return EXIT_OK


def _table(figures: dict[str, Any]) -> Any:
    """One device's figures as a rich table."""
    from rich.table import Table

    a, sim, search = figures["analysis"], figures["simulate"], figures["search"]
    table = Table(title=f"sme bench — {figures['device']} ({figures['device_name']}, "
                  f"{figures['threads']} threads, torch {figures['torch']})",
                  title_justify="left")
    for col in ("measurement", "figure", "baseline / note", "peak RSS"):
        table.add_column(col)
    table.add_row("analysis, batched", f"{a['batched_per_s']:,.0f} configs/s",
                  f"plain loop {a['plain_per_s']:.2f} configs/s → ×{a['ratio']:,.0f} "
                  f"({a['points']} Θ points, {a['batch']:,} configs, median of {a['runs']} "
                  f"runs, plain agrees: {a['plain_agrees']})",
                  f"{a['peak_rss_mb']:.0f} MB")
    for k, m in figures.get("many_actions", {}).items():
        table.add_row(f"analysis, {k} actions", f"{m['batched_per_s']:,.0f} configs/s",
                      f"MILP from the definition {m['plain_per_s']:.2f} configs/s → "
                      f"×{m['ratio']:,.0f} ({m['points']} Θ points, same sets: "
                      f"{m['plain_agrees']})", f"{m['peak_rss_mb']:.0f} MB")
    table.add_row("phase diagram 200 × 200", f"{figures['phase_diagram_200_s']:.2f} s",
                  "40,000 configurations", f"{figures['phase_diagram']['peak_rss_mb']:.0f} MB")
    table.add_row("simulation", f"{sim['learner_steps_per_s']:,.0f} learner-steps/s",
                  f"{sim['learners']} learners × {sim['steps']} steps",
                  f"{sim['peak_rss_mb']:.0f} MB")
    load = figures.get("under_load")
    if load:
        table.add_row(
            f"analysis under load ({load['competitors']} CPU-bound competitors)",
            f"{load['chosen_s']:.2f} s with {load['chosen_threads']} chosen threads",
            f"default {load['default_threads']} threads {load['default_s']:.2f} s "
            f"(×{load['default_vs_chosen']:.1f} the chosen time); one thread "
            f"{load['one_thread_s']:.2f} s (chosen/one ×{load['chosen_vs_one']:.2f}); "
            f"{load['batch']} configs, medians of {load['rounds']} rounds",
            f"{load['peak_rss_mb']:.0f} MB")
    large = figures.get("large_batch")
    if large:
        table.add_row(
            "memory of a large batch", f"{large['peak_rss_mb']:.0f} MB peak",
            f"{large['batch']:,} configurations in {large['seconds']:.1f} s; growth over "
            f"{large['small_batch']:,}: {large['growth_mb']:.0f} MB; below "
            f"{large['limit_mb']:.0f} MB: {large['within_limit']}",
            f"{large['peak_rss_mb']:.0f} MB")
    _real_rows(table, figures.get("reward_hacking"))
    if search:
        table.add_row("search", f"{search['trials_per_s']:,.1f} trials/s",
                      f"evaluation share {search['evaluation_share']:.0%}; journal ×"
                      f"{search['journal_vs_sqlite']:.1f} SQLite",
                      f"{search['peak_rss_mb']:.0f} MB")
    else:
        table.add_row("search", "—", "search package not available", "—")
    return table


def _real_rows(table: Any, real: dict[str, Any] | None) -> None:
    """The rows of the real-size example (three actions, two latents) and of the scaling."""
    if not real:
        return
    a, r, d, s = real["analysis"], real["report"], real["phase_diagram"], real["search"]
    table.add_row("reward_hacking: analysis, batched", f"{a['batched_per_s']:,.0f} configs/s",
                  f"plain loop {a['plain_per_s']:.3f} configs/s → ×{a['ratio']:,.0f} "
                  f"({a['grid']} Θ points, {a['batch']:,} configs, plain agrees: "
                  f"{a['plain_agrees']})", f"{a['peak_rss_mb']:.0f} MB")
    table.add_row("reward_hacking: full analyze report", f"{r['report_s']:.3f} s",
                  f"edit → phase (set and phase only) {r['edit_to_phase_s']:.3f} s; plain "
                  f"loop's phase {r['plain_phase_s']:.2f} s (×{r['plain_vs_report']:.1f} the "
                  f"report); {r['grid']} Θ points, risk grid {r['risk_grid']}",
                  f"{r['peak_rss_mb']:.0f} MB")
    table.add_row(f"reward_hacking: phase diagram {d['cells']} × {d['cells']}",
                  f"{d['seconds']:.2f} s",
                  f"plain loop ≈ {d['plain_estimate_s']:,.0f} s (×{d['ratio']:,.0f}); "
                  f"{d['grid']} Θ points", f"{d['peak_rss_mb']:.0f} MB")
    if s:
        toy = s.get("time_per_trial_vs_toy")
        table.add_row("reward_hacking: search, default settings",
                      f"{s['trials_per_s']:,.2f} trials/s",
                      f"{s['trials']} trials; evaluation share {s['evaluation_share']:.0%}"
                      + (f"; ×{toy:.1f} the toy's time per trial" if toy else ""),
                      f"{s['peak_rss_mb']:.0f} MB")
    scaling = real["scaling"]
    for name, rows in (("one latent", scaling["one_latent"]),
                       ("two latents", scaling["two_latents"])):
        steps = ", ".join(f"{row['points']:,} pts {row['per_s']:,.0f}/s "
                          f"(×{row['per_point_vs_first']:.2f} per point)" for row in rows)
        table.add_row(f"cost against Θ points, {name}", f"{rows[-1]['per_s']:,.0f} configs/s",
                      steps, f"{scaling['peak_rss_mb']:.0f} MB")
