"""``sme bench``: throughput and memory figures, each against a plain baseline in the same run.

Each measurement runs in a fresh process so that its peak resident memory is its own, with
the intra-op threads of :mod:`sme.runtime.threads`.  The measurement under load starts its own
CPU-bound competitor processes (:data:`COMPETITORS_PER_CORE` per usable core, each stopping
by itself after :data:`COMPETITOR_SECONDS` and killed when the measurement ends) and times
the same analysis with one thread per core (torch's default), with the chosen threads and
with one thread.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

#: timed runs of the batched analysis, and rounds of the three thread settings under load
#: (the median is reported)
TIMING_ROUNDS = 5
#: CPU-bound competitor processes per usable core in the measurement under load
COMPETITORS_PER_CORE = 2
#: seconds after which a competitor stops by itself (it is killed earlier, at the end)
COMPETITOR_SECONDS = 600.0


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def _scenario(name: str) -> Any:
    from sme.runtime.errors import SMEError
    from sme.scenario.declaration import load_scenario
    from sme.scenario.shipped import examples_dir

    folder = examples_dir()
    if folder is None:
        raise SMEError("sme bench: the shipped examples are not installed (reinstall the package)")
    return load_scenario(folder / f"{name}.py")


def _settings(device: str) -> Any:
    from sme.analysis import Settings

    return Settings(device=device)


def _configs(batch: int) -> list[dict[str, float]]:
    """``batch`` prior and world configurations of the linear-Gaussian example."""
    return [{"lo": -5.0 + 4.0 * k / batch, "m0": 3.0, "m1": float(k % 7) - 1.0}
            for k in range(batch)]


def _timed_batch(scenario: Any, configs: list[dict[str, float]], settings: Any,
                 repeats: int = 1) -> tuple[Any, float]:
    """Batched analyses after a small warm-up, and the median of their configurations per
    second over ``repeats`` runs (each run analyses every configuration again)."""
    import torch

    from sme.analysis import analyze_batch

    analyze_batch(scenario, configs[:8], settings)  # warm-up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = analyze_batch(scenario, configs, settings)
        if settings.device.startswith("cuda"):
            torch.cuda.synchronize()
        rates.append(len(configs) / (time.perf_counter() - start))
    return result, statistics.median(rates)


def _analysis(device: str, batch: int, plain_configs: int) -> dict[str, Any]:
    """Configurations per second, batched (compile + set + phase; the median of
    :data:`TIMING_ROUNDS` runs) and plain."""
    from sme.benchmarks.baseline import plain_phase

    scenario = _scenario("linear_gaussian")
    settings = _settings(device)
    configs = _configs(batch)
    result, batched = _timed_batch(scenario, configs, settings, repeats=TIMING_ROUNDS)
    points = int(result.tensors.kl.shape[1])
    start = time.perf_counter()
    plain = [plain_phase(scenario, c, settings) for c in configs[:plain_configs]]
    plain_rate = plain_configs / (time.perf_counter() - start)
    agree = all(p == result.phase(k) for k, p in enumerate(plain))
    return {"batched_per_s": batched, "plain_per_s": plain_rate,
            "ratio": batched / plain_rate, "points": points, "batch": batch,
            "runs": TIMING_ROUNDS,
            "plain_agrees": agree}


#: peak resident memory every measurement must stay below (megabytes)
MEMORY_LIMIT_MB = 2048.0


def _large_batch(device: str, batch: int) -> dict[str, Any]:
    """Peak resident memory of the phases of ``batch`` configurations (linear-Gaussian
    example, 401 Θ points, :func:`sme.analysis.summarise_batch`), and its growth over the
    peak after 1/16 as many in the same process: the passes are sized to the memory
    budget, so the growth is that of the configurations and answers alone."""
    from sme.analysis import summarise_batch

    scenario = _scenario("linear_gaussian")
    settings = _settings(device)
    small = _configs(max(1, batch // 16))
    summarise_batch(scenario, small, settings)
    small_peak = _peak_rss_mb()
    configs = _configs(batch)
    start = time.perf_counter()
    summarise_batch(scenario, configs, settings)
    seconds = time.perf_counter() - start
    peak = _peak_rss_mb()
    return {"batch": batch, "seconds": seconds, "small_batch": len(small),
            "small_peak_rss_mb": small_peak, "growth_mb": peak - small_peak,
            "within_limit": peak < MEMORY_LIMIT_MB, "limit_mb": MEMORY_LIMIT_MB}


def gaussian_actions(k: int) -> Any:
    """A ``k``-action scenario for throughput figures: truth ``y ~ N(m_a + shift, 1)``,
    model ``y ~ N(θ g_a, 1)`` with ``θ ~ Uniform(lo, hi)``, payoff ``y − c_a`` (``m``, ``g``,
    ``c`` evenly spaced; action 0 safe)."""
    import pyro
    import pyro.distributions as dist
    import torch

    from sme.scenario.declaration import Action, Param, Scenario

    means = torch.linspace(0.0, 3.0, k, dtype=torch.float64)
    gains = torch.linspace(0.5, 2.0, k, dtype=torch.float64)
    costs = torch.linspace(0.0, 2.0, k, dtype=torch.float64)

    def world(action: Any, shift: Any) -> Any:
        return pyro.sample("y", dist.Normal(means[action.long()] + shift, 1.0))

    def belief(action: Any, lo: Any, hi: Any) -> Any:
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(theta * gains[action.long()], 1.0))

    def payoff(action: Any, y: Any) -> Any:
        return y - costs[action.long()]

    return Scenario(
        name=f"gaussian-{k}", actions=[Action(f"a{i}", safe=i == 0) for i in range(k)],
        world=world, belief=belief, payoff=payoff, observed=["y"],
        prior_params={"lo": Param(-5.0, low=-10.0, high=2.5),
                      "hi": Param(5.0, low=0.0, high=10.0)},
        world_params={"shift": Param(0.0, low=-5.0, high=5.0)})


def _many_actions(device: str, k: int, batch: int, plain_configs: int) -> dict[str, Any]:
    """Configurations per second with ``k`` actions (compile + Berk–Nash set + phase, 401
    Θ points) against the definition-level MILP solver of :mod:`sme.engine.milp_reference` on the
    same tensors, one configuration at a time, and whether both give the same sets."""

    from sme.analysis import Settings
    from sme.engine.milp_reference import reference_rationalizable_set

    scenario = gaussian_actions(k)
    configs = [{"lo": -5.0 + 4.0 * j / batch, "hi": 5.0, "shift": float(j % 11) / 2 - 2.5}
               for j in range(batch)]
    settings = Settings(device=device)
    result, batched = _timed_batch(scenario, configs, settings)
    rows = list(range(0, batch, max(1, batch // plain_configs)))[:plain_configs]
    kl, utility = result.tensors.kl.cpu(), result.tensors.utility.cpu()
    gamma = result.gamma
    start = time.perf_counter()
    plain = [reference_rationalizable_set(kl[r].numpy(), utility[r].numpy(),
                                          float(gamma.ktol[r]), float(gamma.utol[r]))
             for r in rows]
    plain_rate = len(rows) / (time.perf_counter() - start)
    engine = [result.bn_set[r].tolist() for r in rows]
    return {"actions": k, "batched_per_s": batched, "plain_per_s": plain_rate,
            "ratio": batched / plain_rate, "points": int(kl.shape[1]), "batch": batch,
            "plain_agrees": plain == engine}


def _diagram(device: str) -> dict[str, Any]:
    from sme.studies.diagram import Axis, phase_diagram

    scenario = _scenario("linear_gaussian")
    phase_diagram(scenario, Axis("m0", -2, 8, 4, False), Axis("m1", -2, 8, 4, False),
                  settings=_settings(device))
    start = time.perf_counter()
    phase_diagram(scenario, Axis("m0", -2, 8, 200, False), Axis("m1", -2, 8, 200, False),
                  settings=_settings(device))
    return {"seconds": time.perf_counter() - start}


def _simulate(device: str, learners: int, steps: int) -> dict[str, Any]:
    from priors.compile import Resolution
    from sme.analysis import Settings
    from sme.studies.dynamics import DynamicsSettings, simulate

    scenario = _scenario("linear_gaussian")
    settings = Settings(resolution=Resolution(points=201), device=device)
    simulate(scenario, {}, settings, DynamicsSettings(learners=16, steps=8))
    start = time.perf_counter()
    simulate(scenario, {}, settings, DynamicsSettings(learners=learners, steps=steps))
    rate = learners * steps / (time.perf_counter() - start)
    return {"learner_steps_per_s": rate, "learners": learners, "steps": steps}


def _search(device: str, trials: int) -> dict[str, Any] | None:
    """End-to-end search throughput with the default storage, when the search is present."""
    try:
        from search.bench import measure  # type: ignore[import-not-found]
    except ImportError:
        return None
    return measure(_scenario("sycophancy"), _settings(device), trials)


def _timed_analyses(device: str, batch: int, default_threads: int) -> dict[str, Any]:
    """Seconds for one batched analysis of ``batch`` configurations with ``default_threads``
    intra-op threads, with the threads :func:`sme.runtime.threads.choose_threads` picks now,
    and with one thread (one process, the thread count changed between runs): the median of
    :data:`TIMING_ROUNDS` rounds, each running the three settings in a rotated order, so
    that a burst of load or a warm cache favours none of them.  When the chosen setting is
    one thread it is the one-thread setting, timed once and reported for both."""
    import torch

    from sme.analysis import analyze_batch
    from sme.runtime.threads import choose_threads

    scenario = _scenario("linear_gaussian")
    settings = _settings(device)
    configs = _configs(batch)
    analyze_batch(scenario, configs[:8], settings)  # warm-up
    counts = {"default": default_threads, "chosen": choose_threads(), "one_thread": 1}
    # a chosen single thread is the one-thread setting: timed once, as that setting
    names = [name for name in counts if name != "chosen" or counts["chosen"] != 1]
    runs: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(TIMING_ROUNDS):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            torch.set_num_threads(counts[name])
            start = time.perf_counter()
            analyze_batch(scenario, configs, settings)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            runs[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(times) for name, times in runs.items()}
    seconds.setdefault("chosen", seconds["one_thread"])
    return {"default_threads": default_threads, "default_s": seconds["default"],
            "chosen_threads": counts["chosen"], "chosen_s": seconds["chosen"],
            "one_thread_s": seconds["one_thread"], "rounds": TIMING_ROUNDS,
            "default_vs_chosen": seconds["default"] / seconds["chosen"],
            "chosen_vs_one": seconds["chosen"] / seconds["one_thread"]}


#: the shipped example of a researcher's size: 3 actions, 2 latents, a 3-valued outcome
REAL = "reward_hacking"


def _real_settings(device: str, side: int, risk_grid: int = 0) -> Any:
    """Settings for the real-size example with a ``side`` × ``side`` grid of its two latents."""
    from dataclasses import replace

    from priors.compile import Resolution
    from sme.analysis import Settings

    return replace(Settings(device=device, risk_grid=risk_grid),
                   resolution=Resolution(max_points=side * side))


def _real_configs(batch: int) -> list[dict[str, float]]:
    """``batch`` prior and world configurations of the reward-hacking example, spread over
    the prior's edges (where the phases change) and the objective risks."""
    configs = []
    for k in range(batch):
        u, v, w = (k * 0.6180339887) % 1.0, (k * 0.7548776662) % 1.0, (k * 0.5698402910) % 1.0
        configs.append({"catch_lo": 0.7 * u, "catch_hi": 0.75 + 0.25 * v,
                        "skill_lo": 0.5 * w, "skill_hi": 0.6 + 0.4 * u,
                        "catch_hardcode": 0.1 + 0.8 * v, "catch_delete": 0.1 + 0.8 * w})
    return configs


def _real_analysis(device: str, side: int, batch: int, plain_configs: int) -> dict[str, Any]:
    """Configurations per second of the batched analysis (compile + set + phase) of the
    real-size example against the plain loop (:mod:`sme.benchmarks.baseline`) on the same
    points, and whether both give the same phases."""
    from sme.benchmarks.baseline import plain_phase

    scenario = _scenario(REAL)
    settings = _real_settings(device, side)
    configs = _real_configs(batch)
    result, batched = _timed_batch(scenario, configs, settings, repeats=3)
    start = time.perf_counter()
    plain = [plain_phase(scenario, c, settings) for c in configs[:plain_configs]]
    plain_rate = plain_configs / (time.perf_counter() - start)
    return {"batched_per_s": batched, "plain_per_s": plain_rate,
            "ratio": batched / plain_rate, "points": int(result.tensors.kl.shape[1]),
            "grid": f"{side} × {side}", "batch": batch, "runs": 3,
            "plain_agrees": all(p == result.phase(k) for k, p in enumerate(plain))}


def _real_report(device: str, side: int, risk_grid: int) -> dict[str, Any]:
    """Seconds of the full ``analyze`` report of the real-size example at its defaults (the
    median of 3, after one warm-up), of the Design screen's first stage after an edit (set
    and phase of the edited configuration), and of the plain loop's phase of it."""
    from sme.analysis import analyze, analyze_batch
    from sme.benchmarks.baseline import plain_phase

    scenario = _scenario(REAL)
    settings = _real_settings(device, side, risk_grid)
    quick = _real_settings(device, side)
    analyze(scenario, {}, settings)  # warm-up
    reports, edits = [], []
    for k in range(3):
        start = time.perf_counter()
        analyze(scenario, {}, settings)
        reports.append(time.perf_counter() - start)
        edited = {"catch_lo": 0.05 * (k + 1)}  # a new value each time, as a user types
        start = time.perf_counter()
        analyze_batch(scenario, [edited], quick).phase(0)
        edits.append(time.perf_counter() - start)
    start = time.perf_counter()
    plain_phase(scenario, {}, quick)
    plain = time.perf_counter() - start
    report, edit = statistics.median(reports), statistics.median(edits)
    return {"report_s": report, "edit_to_phase_s": edit, "plain_phase_s": plain,
            "plain_vs_report": plain / report, "risk_grid": risk_grid,
            "grid": f"{side} × {side}", "runs": 3}


def _real_diagram(device: str, side: int, cells: int) -> dict[str, Any]:
    """Seconds of a ``cells`` × ``cells`` phase diagram of the real-size example over the
    two prior edges ``catch_lo`` × ``skill_lo``, and what the plain loop would take for it
    (its seconds per configuration, measured on one cell, times the cells)."""
    from sme.benchmarks.baseline import plain_phase
    from sme.studies.diagram import Axis, phase_diagram

    scenario = _scenario(REAL)
    settings = _real_settings(device, side)
    x, y = Axis("catch_lo", 0.0, 0.9, cells, False), Axis("skill_lo", 0.0, 0.9, cells, False)
    phase_diagram(scenario, Axis("catch_lo", 0.0, 0.9, 2, False),
                  Axis("skill_lo", 0.0, 0.9, 2, False), settings=settings)  # warm-up
    start = time.perf_counter()
    phase_diagram(scenario, x, y, settings=settings)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    plain_phase(scenario, {"catch_lo": 0.3, "skill_lo": 0.3}, settings)
    plain = (time.perf_counter() - start) * cells * cells
    return {"cells": cells, "seconds": seconds, "plain_estimate_s": plain,
            "ratio": plain / seconds, "grid": f"{side} × {side}"}


def _real_search(device: str, side: int, trials: int) -> dict[str, Any] | None:
    """Search throughput on the real-size example at the default search settings (margin
    neighbours and the objective-risk sweep included)."""
    try:
        from search.bench import measure
    except ImportError:
        return None
    return measure(_scenario(REAL), _real_settings(device, side, risk_grid=5), trials)


def _scaling(device: str, quick: bool) -> dict[str, Any]:
    """Configurations per second as the Θ points grow: one latent (the linear-Gaussian
    example, 401 → 4,001 points) and two latents (the reward-hacking example, 32² → 128²),
    each size with the same configurations; ``per_point_vs_first`` is the cost per
    configuration and point relative to the smallest size (1: linear in the points)."""
    from dataclasses import replace

    from priors.compile import Resolution

    def series(scenario: Any, settings_of: Callable[[int], Any], sizes: tuple[int, ...],
               configs: list[dict[str, float]], points_of: Callable[[int], int]
               ) -> list[dict[str, Any]]:
        rows = []
        for size in sizes:
            _, rate = _timed_batch(scenario, configs, settings_of(size))
            rows.append({"size": size, "points": points_of(size), "per_s": rate})
        first = rows[0]["per_s"] * rows[0]["points"]
        for row in rows:
            row["per_point_vs_first"] = first / (row["per_s"] * row["points"])
        return rows

    toy = _scenario("linear_gaussian")
    one = series(toy, lambda n: replace(_settings(device), resolution=Resolution(points=n)),
                 (401, 1001) if quick else (401, 1001, 2001, 4001),
                 _configs(64 if quick else 512), lambda n: n)
    two = series(_scenario(REAL), lambda s: _real_settings(device, s),
                 (16, 32) if quick else (32, 64, 128), _real_configs(16 if quick else 128),
                 lambda s: s * s)
    return {"one_latent": one, "two_latents": two}


def _spin(seconds: float) -> None:
    """A CPU-bound competitor: busy until ``seconds`` have passed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@contextlib.contextmanager
def competitors(count: int, seconds: float = COMPETITOR_SECONDS) -> Iterator[list[Any]]:
    """``count`` CPU-bound processes running for the duration of the block, which gets
    them (each stops by itself after ``seconds``; all are terminated, then killed, when the
    block ends)."""
    ctx = multiprocessing.get_context("spawn")
    processes = [ctx.Process(target=_spin, args=(seconds,), daemon=True,
                             name=f"sme-bench-competitor-{k}") for k in range(count)]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        started = [process for process in processes if process.pid is not None]
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()


def _under_load(device: str, batch: int) -> dict[str, Any]:
    """The same analysis in a fresh process beside CPU-bound competitors, with one thread
    per usable core (torch's default), the chosen threads and one thread."""
    from sme.runtime.threads import usable_cores

    cores = usable_cores()
    count = COMPETITORS_PER_CORE * cores
    with competitors(count):
        figures = _isolated(_timed_analyses, device, batch, cores)
    assert figures is not None
    return {"competitors": count, "batch": batch, "cores": cores, **figures}


def _child(conn: Any, threads: int, fn: Callable[..., dict[str, Any] | None],
           args: tuple[Any, ...]) -> None:
    try:
        import torch

        from sme.runtime.allocator import keep_freed_memory

        torch.set_num_threads(threads)
        keep_freed_memory()  # as the command line does
        result = fn(*args)
        if result is not None:
            result["peak_rss_mb"] = _peak_rss_mb()
        conn.send(("ok", result))
    except Exception as exc:  # reported by the parent as a failed measurement
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _isolated(fn: Callable[..., dict[str, Any] | None], *args: Any) -> dict[str, Any] | None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    import torch

    process = ctx.Process(target=_child, args=(child, torch.get_num_threads(), fn, args))
    process.start()
    child.close()
    status, payload = parent.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(payload)
    return payload


#: action counts of the many-action throughput figures (the two-action one is ``analysis``)
MANY_ACTIONS = (3, 4, 5, 8)


def _measure_all(device: str, quick: bool, say: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement on ``device``, each in its own process."""
    import torch

    say(f"analysis throughput ({device})")
    analysis = _isolated(_analysis, device, 512 if quick else 4096, 1 if quick else 3)
    many = {}
    for k in MANY_ACTIONS:
        say(f"analysis throughput, {k} actions ({device})")
        many[str(k)] = _isolated(_many_actions, device, k, 256 if quick else 2048,
                                 2 if quick else 5)
    say(f"200 × 200 phase diagram ({device})")
    diagram = _isolated(_diagram, device)
    say(f"learning dynamics ({device})")
    sim = _isolated(_simulate, device, 200 if quick else 2000, 100 if quick else 500)
    say(f"search ({device})")
    search = _isolated(_search, device, 64 if quick else 512)
    say(f"memory of a large batch ({device})")
    large = _isolated(_large_batch, device, 32_768 if quick else 262_144)
    say(f"analysis under load ({device})")
    load = _under_load(device, 256 if quick else 2048)  # its runs are isolated
    side = 16 if quick else 64  # the example's own grid is 64 × 64
    say(f"{REAL}: batched analysis ({device})")
    real_analysis = _isolated(_real_analysis, device, side, 64 if quick else 1024,
                              1 if quick else 2)
    say(f"{REAL}: full report and edit → phase ({device})")
    real_report = _isolated(_real_report, device, side, 2 if quick else 5)
    say(f"{REAL}: phase diagram ({device})")
    real_diagram = _isolated(_real_diagram, device, side, 10 if quick else 100)
    say(f"{REAL}: search ({device})")
    real_search = _isolated(_real_search, device, side, 16 if quick else 96)
    if real_search and search:
        real_search["time_per_trial_vs_toy"] = search["trials_per_s"] / real_search[
            "trials_per_s"]
    say(f"cost against Θ points ({device})")
    scaling = _isolated(_scaling, device, quick)
    real = {"analysis": real_analysis, "report": real_report, "phase_diagram": real_diagram,
            "search": real_search, "scaling": scaling}
    figures = [x for x in (analysis, diagram, sim, search, load, large, *many.values(),
                           real_analysis, real_report, real_diagram, real_search, scaling)
               if x]
    return {
        "device": device,
        "device_name": torch.cuda.get_device_name(0) if device.startswith("cuda")
        else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "analysis": analysis,
        "many_actions": many,
        "phase_diagram_200_s": diagram["seconds"] if diagram else None,
        "phase_diagram": diagram,
        "search": search,
        "simulate": sim,
        "under_load": load,
        "large_batch": large,
        REAL: real,
        "peak_rss_mb": max(x["peak_rss_mb"] for x in figures),
        "within_memory_limit": max(x["peak_rss_mb"] for x in figures) < MEMORY_LIMIT_MB,
    }


def run_bench(device: str, quick: bool = False,
              report: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every measurement, each in its own process; ``quick`` shrinks the workloads.

    On a CUDA device the same measurements also run on the CPU, reported under ``cpu``
    beside the GPU figures (with ``gpu_vs_cpu`` ratios)."""
    say = report or (lambda _msg: None)
    figures = _measure_all(device, quick, say)
    if device.startswith("cuda"):
        cpu = _measure_all("cpu", quick, say)
        figures["cpu"] = cpu
        figures["gpu_vs_cpu"] = {
            "analysis": figures["analysis"]["batched_per_s"] / cpu["analysis"]["batched_per_s"],
            "phase_diagram_200": cpu["phase_diagram_200_s"] / figures["phase_diagram_200_s"],
            "simulate": (figures["simulate"]["learner_steps_per_s"]
                         / cpu["simulate"]["learner_steps_per_s"]),
        }
    return figures
