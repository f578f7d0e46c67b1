"""Passes of a batched analysis (:mod:`sme.runtime.passes`): the split and the threads never change
an answer, failures surface as they would in one pass, and memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import sme.runtime.passes
from sme.analysis import Settings, analyze_batch, summarise_batch
from sme.engine.berk_nash import GammaOperator, envelope_points
from sme.scenario.declaration import load_scenario
from sme.scenario.shipped import examples_dir


def _linear_gaussian():  # type: ignore[no-untyped-def]
    folder = examples_dir()
    assert folder is not None
    return load_scenario(folder / "linear_gaussian.py")


def _configs(count: int) -> list[dict[str, float]]:
    return [{"lo": -5.0 + 7.0 * k / count, "m0": float(k % 5) - 0.5, "m1": float(k % 7) - 1.0}
            for k in range(count)]


def test_passes_and_threads_give_the_answers_of_one_pass(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    scenario = _linear_gaussian()
    configs = _configs(300)
    settings = Settings()
    monkeypatch.setattr(sme.runtime.passes, "CPU_PASS_CELLS", 1 << 30)  # one pass
    whole = analyze_batch(scenario, configs, settings)
    assert len(whole.passes) == 2  # the first configuration, which sizes the passes, and the rest
    monkeypatch.setattr(sme.runtime.passes, "CPU_PASS_CELLS", 401 * 2 * 7)  # passes of 7 rows
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        split = analyze_batch(scenario, configs, settings)
    finally:
        torch.set_num_threads(threads)
    assert len(split.passes) > 40
    assert torch.get_num_threads() == threads
    assert torch.equal(whole.phase_codes, split.phase_codes)
    assert torch.equal(whole.bn_set, split.bn_set)
    assert torch.equal(whole.pure, split.pure)
    assert torch.equal(whole.tensors.kl, split.tensors.kl)
    assert torch.equal(whole.tensors.utility, split.tensors.utility)
    assert torch.equal(whole.gamma.optimal, split.gamma.optimal)
    assert torch.equal(whole.gamma.ktol, split.gamma.ktol)
    assert [whole.report(r).bn_set for r in (0, 150, 299)] == \
        [split.report(r).bn_set for r in (0, 150, 299)]
    summary = summarise_batch(scenario, configs, settings)
    assert torch.equal(summary.phase_codes, whole.phase_codes.cpu())


def test_two_action_gamma_equals_the_responses_on_the_whole_envelope() -> None:
    """Γ(A) for two actions skips the envelope where the pure fits already decide it, or
    where the missing action is optimal at no undominated point; on random problems (ties,
    infinite KLs, rows where no point has both KLs finite) it equals the actions optimal at
    some point of Θ(δ_0) ∪ Θ(δ_1) ∪ the envelope, computed for every row."""
    generator = torch.Generator().manual_seed(3)
    for _ in range(20):
        kl = torch.randint(0, 6, (64, 30, 2), generator=generator).double()
        kl[torch.rand(kl.shape, generator=generator) < 0.1] = torch.inf
        kl[:, 0] = torch.where(torch.isinf(kl[:, 0]), 0.0, kl[:, 0])  # every row fits
        kl[:4, :15, 1] = torch.inf  # rows where no point has both KLs finite
        kl[:4, 15:, 0] = torch.inf
        kl[:4, 0] = torch.tensor([0.0, torch.inf], dtype=kl.dtype)
        utility = torch.randint(-2, 3, (64, 30, 2), generator=generator).double()
        gamma = GammaOperator(kl, utility)
        got = gamma(torch.ones(64, 2, dtype=torch.bool))
        fits = gamma.pure_fits().any(dim=1) | envelope_points(kl[:, :, 0], kl[:, :, 1],
                                                              gamma.ktol)
        want = (gamma.optimal & fits.unsqueeze(-1)).any(dim=1)
        assert torch.equal(got, want)


def test_a_failing_pass_raises_its_error_and_restores_the_threads() -> None:
    threads = torch.get_num_threads()

    def work(begin: int, end: int) -> int:
        if begin >= 20:
            raise ValueError(f"span {begin}")
        return end - begin

    with pytest.raises(ValueError, match="span 20"):
        sme.runtime.passes.run_passes(work, list(sme.runtime.passes.spans(0, 50, 10)), workers=2)
    assert torch.get_num_threads() == threads
    seen: list[int] = []
    assert sme.runtime.passes.run_passes(work, list(sme.runtime.passes.spans(0, 20, 6)), workers=2,
                                 done=seen.append) == [6, 6, 6, 2]
    assert seen == [6, 6, 6, 2]


_MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys
    from priors.compile import Resolution
    from sme.analysis import Settings, summarise_batch
    from sme.scenario.declaration import load_scenario
    from sme.scenario.shipped import examples_dir

    scenario = load_scenario(examples_dir() / "linear_gaussian.py")
    settings = Settings(resolution=Resolution(points=101))
    def configs(n):
        return [{"lo": -5.0 + 4.0 * k / n, "m1": float(k % 7) - 1.0} for k in range(n)]
    peaks = []
    for n in (int(sys.argv[1]) // 16, int(sys.argv[1])):
        summarise_batch(scenario, configs(n), settings)
        peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(peaks))
""")


def test_peak_memory_of_a_large_batch_grows_only_with_its_answers() -> None:
    """160,000 configurations in a fresh process: peak RSS grows over that of 10,000 by
    about the configurations' own dictionaries, not by their tensors (160,000 × 101 × 2
    float64 KLs alone would be 260 MB, with U and the masks over 1 GB)."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, "160000"], check=True,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    small, large = json.loads(out.stdout.strip().splitlines()[-1])
    assert large < 2048
    assert large - small < 200, (small, large)
