"""The same code on a CUDA device gives the same answers as on the CPU (skipped without CUDA).

``SME_TEST_DEVICE`` names the device compared with the CPU (default ``cuda``); setting it to
``cpu`` runs these tests' code paths on a machine without a GPU.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from priors.compile import Resolution
from sme.analysis import Settings, analyze_batch
from sme.scenario.declaration import load_scenario
from sme.studies.diagram import parse_axis, phase_diagram
from sme.studies.dynamics import DynamicsSettings, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

DEVICE = os.environ.get("SME_TEST_DEVICE", "cuda")

pytestmark = pytest.mark.skipif(DEVICE.startswith("cuda") and not torch.cuda.is_available(),
                                reason="no CUDA device")


@pytest.mark.parametrize("name", ["linear_gaussian", "sycophancy", "hallucination", "deception"])
def test_batched_analysis_matches_the_cpu(name: str) -> None:
    scenario = load_scenario(EXAMPLES / f"{name}.py")
    base = scenario.values()
    priors = []
    for k, (param_name, param) in enumerate(scenario.prior_params.items()):
        if param.choices is not None or param.low is None or param.high is None:
            continue
        for t in torch.linspace(0.05, 0.95, 64).tolist():
            priors.append({**base, param_name: param.low + t * (param.high - param.low)})
        if k >= 2:
            break
    results = {}
    for device in ("cpu", DEVICE):
        settings = Settings(device=device, resolution=Resolution(points=201))
        batch = analyze_batch(scenario, priors, settings)
        results[device] = batch
    cpu, gpu = results["cpu"], results[DEVICE]
    assert torch.equal(cpu.phase_codes.cpu(), gpu.phase_codes.cpu())
    assert torch.equal(cpu.bn_set.cpu(), gpu.bn_set.cpu())


def test_phase_diagram_matches_the_cpu() -> None:
    scenario = load_scenario(EXAMPLES / "linear_gaussian.py")
    x, y = parse_axis("m0=-4:4:40", scenario), parse_axis("m1=-4:4:40", scenario)
    grids = [phase_diagram(scenario, x, y, {}, Settings(device=d)).phases
             for d in ("cpu", DEVICE)]
    assert grids[0] == grids[1]


def test_simulation_runs_on_the_device() -> None:
    scenario = load_scenario(EXAMPLES / "linear_gaussian.py")
    dyn = DynamicsSettings(learners=500, steps=300, seed=0)
    results = [simulate(scenario, {"m0": 3.0, "m1": 1.0}, Settings(device=d), dyn)
               for d in ("cpu", DEVICE)]
    assert results[0].bn_set == results[1].bn_set
    for action, freq in results[0].frequencies.items():
        assert results[1].frequencies[action] == pytest.approx(freq, abs=0.05)
