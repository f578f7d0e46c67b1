"""Intra-op threads are chosen from the usable cores and the load, and a user's choice wins."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

import sme.runtime.threads
from sme.benchmarks.bench import competitors
from sme.cli import main
from sme.runtime.threads import choose_threads, threads_for, user_threads


@pytest.mark.parametrize(("cores", "load", "workers", "expected"), [
    (2, 0.0, 1, 2),  # idle: every core
    (2, 0.9, 1, 1),  # one core busy: the other
    (2, 7.0, 1, 1),  # oversubscribed: one thread, never none
    (2, 0.0, 2, 1),  # two workers share the two cores
    (2, 0.0, 5, 1),  # more workers than cores: one each
    (16, 4.0, 3, 4),  # 12 free cores among 3 workers
    (16, 0.0, 3, 5),  # never more than a worker's share of the cores
])
def test_threads_are_the_free_cores_shared_among_the_workers(
        cores: int, load: float, workers: int, expected: int) -> None:
    assert choose_threads(workers, cores=cores, load=load) == expected


def test_workers_never_run_more_threads_than_cores_and_a_loaded_machine_gets_one() -> None:
    for cores in range(1, 33):
        for workers in range(1, 9):
            for load in (0.0, 0.5, cores / 2, float(cores), 3.0 * cores):
                per = choose_threads(workers, cores=cores, load=load)
                assert per >= 1
                assert workers > cores or per * workers <= cores
                assert load < cores or per == 1


def test_a_users_choice_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sme.runtime.threads, "choose_threads", lambda workers=1: 7)
    monkeypatch.setattr(sme.runtime.threads, "usable_cores", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert user_threads() is None and threads_for() == 7
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert user_threads() == 3 and threads_for() == 3
    assert threads_for(requested=2) == 2  # --threads beats the environment
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")  # ignored, as torch ignores it
    assert threads_for() == 7
    monkeypatch.setenv("OMP_NUM_THREADS", "100000")  # never more than the cores
    assert user_threads() == 8 and threads_for(requested=100000) == 8


def test_thread_variables_above_the_cores_are_lowered_before_numpy_loads() -> None:
    from sme.runtime.limits import sanitize_thread_environment

    cores = sme.runtime.threads.usable_cores()
    environ = {"OMP_NUM_THREADS": "100000", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "x"}
    said: list[str] = []
    sanitize_thread_environment(environ, warn=said.append)
    assert environ == {"OMP_NUM_THREADS": str(cores), "MKL_NUM_THREADS": "1",
                       "OPENBLAS_NUM_THREADS": "x"}
    assert len(said) == 1 and "OMP_NUM_THREADS=100000" in said[0]


def test_the_command_line_applies_the_chosen_threads(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    previous = torch.get_num_threads()
    chosen = 2 if previous != 2 else 3
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(sme.runtime.threads, "choose_threads", lambda workers=1: chosen)
    try:
        assert main(["schema"]) == 0
        assert torch.get_num_threads() == chosen
    finally:
        torch.set_num_threads(previous)
    capsys.readouterr()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_competitors_burn_cpu_and_are_gone_after_the_block() -> None:
    with competitors(2, seconds=120) as processes:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and min(
                _cpu_seconds(p.pid) for p in processes) < 0.3:
            time.sleep(0.1)
        assert min(_cpu_seconds(p.pid) for p in processes) >= 0.3
    assert not any(p.is_alive() for p in processes)
    with competitors(1, seconds=0.2) as processes:  # and they stop by themselves
        processes[0].join(timeout=60)
        assert processes[0].exitcode == 0
