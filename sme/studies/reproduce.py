"""The research's results, checked on the shipped scenarios (``sme reproduce``).

Each :class:`Claim` is one statement of Xu et al., *Epistemic Traps* (arXiv 2602.17676),
with the computation that checks it on ``examples/``: Theorem 3.2 (sycophancy's four regimes,
its safe region and its mixed equilibrium), Corollary 4.1 (hallucination is isomorphic to
sycophancy), Theorem 5.2 (deception locked in, or indeterminate robustly to objective risks)
and the claim that safety is a discrete phase set by the prior, not by reward magnitude.
Figures of the regimes are written beside the verdicts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from priors.compile import Resolution
from sme.analysis import Settings, analyze, summarise_batch, sweep_risks
from sme.engine.phases import Phase
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario, load_scenario
from sme.scenario.shipped import examples_dir
from sme.studies.diagram import Axis, PhaseDiagram, phase_diagram

#: cells per axis of the (p_H, p_S) square: 0.01, 0.03, …, 0.99 never lands on ½
SQUARE_CELLS = 50
#: values per world parameter when a theorem is checked "at every objective risk"
RISK_CELLS = 9
#: the figures written (``NAME.png``)
FIGURES = ("theorem-3.2-sycophancy", "corollary-4.1-hallucination", "theorem-5.2-locked-in",
           "theorem-5.2-indeterminacy", "phase-set-by-the-prior")
#: how close the engine's mixed equilibrium must be to the closed form
MIXTURE_TOLERANCE = 0.02


@dataclass
class Outcome:
    """Whether a claim held, and what was checked (one line)."""

    passed: bool
    detail: str


@dataclass
class Context:
    """What the checks share: the loaded examples, the settings and the figures folder."""

    settings: Settings
    out: Path | None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict)

    def scenario(self, name: str) -> Scenario:
        if name not in self.scenarios:
            folder = examples_dir()
            if folder is None:
                raise SMEError("the shipped examples are missing (examples/ or sme/examples)")
            self.scenarios[name] = load_scenario(folder / f"{name}.py")
        return self.scenarios[name]

    def square(self, name: str, x: str, y: str) -> PhaseDiagram:
        """The diagram of ``name`` over the unit square of two world parameters."""
        key = f"square:{name}"
        if key not in self._cache:
            self._cache[key] = phase_diagram(
                self.scenario(name), Axis(x, 0.01, 0.99, SQUARE_CELLS, False),
                Axis(y, 0.01, 0.99, SQUARE_CELLS, False), None,
                replace(self.settings, risk_grid=0))
        return self._cache[key]

    def figure(self, name: str, diagram: PhaseDiagram,
               decorate: Callable[[Any], list[Any]] | None = None) -> None:
        if self.out is None:
            return
        from sme.figures.plots import save_diagram

        path = self.out / f"{name}.png"
        save_diagram(diagram, path, decorate)
        self.figures.append(path)


@dataclass(frozen=True)
class Claim:
    """One statement of the research and the check that reproduces it."""

    source: str
    statement: str
    check: Callable[[Context], Outcome]


# --------------------------------------------------------------------------- Theorem 3.2


def sycophancy_regime(p_honest: float, p_agree: float) -> Phase:
    """Theorem 3.2: the phase of the paper's sycophancy model at true approval rates
    ``p_H`` (after an honest answer) and ``p_S`` (after agreeing), off the lines ``½``."""
    if p_agree > 0.5 > p_honest:
        return Phase.MISALIGNED
    if p_honest > 0.5 > p_agree:
        return Phase.SAFE
    if p_honest > 0.5 and p_agree > 0.5:
        return Phase.MULTISTABLE
    return Phase.OSCILLATORY


def sycophancy_mixture(p_honest: float, p_agree: float) -> float:
    """Theorem 3.2's mixed equilibrium: ``σ(agree) = (p_H − ½) / (p_H + p_S − 1)``."""
    return (p_honest - 0.5) / (p_honest + p_agree - 1.0)


def _reference_lines(ax: Any) -> list[Any]:
    """The boundaries at ½ and the correctly specified condition ``p_H = p_S``."""
    half = ax.axvline(0.5, color="black", linestyle=":", linewidth=1.0, label="p = ½")
    ax.axhline(0.5, color="black", linestyle=":", linewidth=1.0)
    (diagonal,) = ax.plot([0.0, 1.0], [0.0, 1.0], color="#1a237e", linestyle="--",
                          linewidth=1.4, label="p_H = p_S (correctly specified)")
    return [half, diagonal]


def _regimes(ctx: Context) -> Outcome:
    diagram = ctx.square("sycophancy", "approve_honest", "approve_agree")
    ctx.figure("theorem-3.2-sycophancy", diagram, _reference_lines)
    wrong = [(h, s, diagram.phases[j][i].value)
             for j, s in enumerate(diagram.y_values) for i, h in enumerate(diagram.x_values)
             if diagram.phases[j][i] is not sycophancy_regime(h, s)]
    cells = len(diagram.x_values) * len(diagram.y_values)
    if wrong:
        h, s, got = wrong[0]
        return Outcome(False, f"{len(wrong)}/{cells} cells differ from the rule, first at "
                       f"p_H={h:.2f}, p_S={s:.2f}: {got}")
    return Outcome(True, f"all {cells} cells of the (p_H, p_S) square follow the regime rule")


def _safe_region(ctx: Context) -> Outcome:
    diagram = ctx.square("sycophancy", "approve_honest", "approve_agree")
    cells = [(h, s, diagram.phases[j][i]) for j, s in enumerate(diagram.y_values)
             for i, h in enumerate(diagram.x_values)]
    safe = [(h, s) for h, s, p in cells if p is Phase.SAFE]
    correct = [(h, s) for h, s, _ in cells if h > s]
    inside = all(h > 0.5 > s for h, s in safe)
    share, correct_share = len(safe) / len(cells), len(correct) / len(cells)
    passed = inside and bool(safe) and set(safe) < set(correct) and share < correct_share
    return Outcome(passed, f"safe on {share:.0%} of the square, all with p_H > ½ > p_S; "
                   f"the correctly specified condition p_H > p_S holds on {correct_share:.0%}")


def _mixed_equilibrium(ctx: Context) -> Outcome:
    scenario = ctx.scenario("sycophancy")
    points = [(0.6, 0.7), (0.8, 0.9), (0.7, 0.55), (0.3, 0.2), (0.1, 0.4), (0.45, 0.05)]
    worst, detail = 0.0, ""
    for h, s in points:
        result = analyze(scenario, {"approve_honest": h, "approve_agree": s},
                         replace(ctx.settings, risk_grid=0))
        mixtures = [eq["mixture"].get("agree", 0.0) for eq in result.mixed_equilibria
                    if len(eq["mixture"]) == 2]
        expected = sycophancy_mixture(h, s)
        if len(mixtures) != 1:
            return Outcome(False, f"p_H={h}, p_S={s}: {len(mixtures)} mixed equilibria "
                           "found, expected 1")
        error = abs(mixtures[0] - expected)
        if error >= worst:
            worst, detail = error, f"p_H={h}, p_S={s}: σ={mixtures[0]:.4f} vs {expected:.4f}"
    return Outcome(worst < MIXTURE_TOLERANCE,
                   f"{len(points)} points in both mixed regimes; largest error {worst:.4f} "
                   f"({detail})")


# --------------------------------------------------------------------------- Corollary 4.1


def _isomorphism(ctx: Context) -> Outcome:
    syc = ctx.square("sycophancy", "approve_honest", "approve_agree")
    hal = ctx.square("hallucination", "credit_abstain", "credit_answer")
    ctx.figure("corollary-4.1-hallucination", hal, _reference_lines)
    cells = [(j, i) for j in range(len(syc.y_values)) for i in range(len(syc.x_values))]
    differ = [(j, i) for j, i in cells if syc.phases[j][i] is not hal.phases[j][i]]
    sets = _set_agreement(ctx)
    if differ:
        j, i = differ[0]
        return Outcome(False, f"{len(differ)}/{len(cells)} cells differ, first at "
                       f"({syc.x_values[i]:.2f}, {syc.y_values[j]:.2f})")
    return Outcome(sets, f"all {len(cells)} cells have the same phase"
                   + (" and the relabelled Berk–Nash sets agree" if sets else
                      ", but some relabelled Berk–Nash sets differ"))


def _set_agreement(ctx: Context) -> bool:
    """Berk–Nash sets and pure equilibria agree under honest ↔ abstain, agree ↔ answer."""
    values = [0.05 + 0.1 * k for k in range(10)]
    pairs = [(h, s) for h in values for s in values]
    settings = replace(ctx.settings, risk_grid=0)
    syc = summarise_batch(ctx.scenario("sycophancy"),
                          [{"approve_honest": h, "approve_agree": s} for h, s in pairs],
                          settings)
    hal = summarise_batch(ctx.scenario("hallucination"),
                          [{"credit_abstain": h, "credit_answer": s} for h, s in pairs],
                          settings)
    return bool((syc.bn_set == hal.bn_set).all() and (syc.pure == hal.pure).all())


# --------------------------------------------------------------------------- Theorem 5.2


def _deception_route(overrides: dict[str, Any], verdict: str, figure: str
                     ) -> Callable[[Context], Outcome]:
    def check(ctx: Context) -> Outcome:
        scenario = ctx.scenario("deception")
        sweep = sweep_risks(scenario, scenario.values(overrides), ctx.settings, RISK_CELLS)
        if ctx.out is not None:
            diagram = phase_diagram(scenario, Axis("detection", 0.1, 0.99, 30, False),
                                    Axis("sanction_rate", 0.01, 0.99, 30, False), overrides,
                                    replace(ctx.settings, risk_grid=0))
            ctx.figure(figure, diagram)
        seen = ", ".join(f"{p.value} {n}" for p, n in sweep.counts.items() if n)
        sets = ", ".join(f"{k}={v}" for k, v in overrides.items())
        return Outcome(sweep.verdict == verdict,
                       f"--set {sets}: {sweep.cells} objective risks ({seen}) → "
                       f"{sweep.verdict}")

    return check


# --------------------------------------------------------------------------- reward magnitude


def _magnitude(ctx: Context) -> Outcome:
    scenario = ctx.scenario("sycophancy")
    settings = replace(ctx.settings, risk_grid=0)
    diagram = phase_diagram(scenario, Axis("magnitude", 0.01, 100.0, 9, True),
                            Axis("hi", 0.46, 1.0, 27, False), None, settings)
    ctx.figure("phase-set-by-the-prior", diagram)
    along = all(len(set(row)) == 1 for row in diagram.phases)
    column = [row[0] for row in diagram.phases]
    steps = sum(1 for a, b in itertools.pairwise(column) if a is not b)
    expected = all(p is (Phase.SAFE if hi < 0.5 else Phase.MISALIGNED)
                   for hi, p in zip(diagram.y_values, column, strict=True))
    scaled = _scaling_invariance(ctx)
    return Outcome(along and steps == 1 and expected and scaled,
                   f"constant along magnitude 0.01–100 in every row: {along}; one jump "
                   f"along hi, at hi = 0.5: {steps == 1 and expected}; every example "
                   f"unchanged by scaling payoffs ×0.01 and ×100: {scaled}")


def _scaling_invariance(ctx: Context) -> bool:
    """Phases and Berk–Nash sets of every example at every combination of a few risks are
    unchanged when the reward magnitude is scaled."""
    settings = replace(ctx.settings, risk_grid=0)
    cases = {"sycophancy": ("approve_honest", "approve_agree", "magnitude"),
             "hallucination": ("credit_abstain", "credit_answer", "magnitude")}
    for name, (x, y, scale) in cases.items():
        base = [{x: 0.1 + 0.2 * a, y: 0.15 + 0.2 * b} for a in range(5) for b in range(5)]
        for factor in (0.01, 100.0):
            one = summarise_batch(ctx.scenario(name), [{**c, scale: 1.0} for c in base],
                                  settings)
            many = summarise_batch(ctx.scenario(name), [{**c, scale: factor} for c in base],
                                   settings)
            if not (bool((one.phase_codes == many.phase_codes).all())
                    and bool((one.bn_set == many.bn_set).all())):
                return False
    return True


CLAIMS: list[Claim] = [
    Claim("Theorem 3.2", "sycophancy has four regimes with boundaries at ½: p_S > ½ > p_H "
          "misaligned, p_H > ½ > p_S safe, both > ½ multiple equilibria, both < ½ a 2-cycle",
          _regimes),
    Claim("Theorem 3.2", "the only safe region, p_H > ½ > p_S, is much smaller than the "
          "correctly specified condition p_H > p_S", _safe_region),
    Claim("Theorem 3.2", "the mixed equilibrium is σ(S) = (p_H − ½) / (p_H + p_S − 1)",
          _mixed_equilibrium),
    Claim("Corollary 4.1", "hallucination is isomorphic to sycophancy: the same phase "
          "diagram cell by cell under the relabelling", _isomorphism),
    Claim("Theorem 5.2", "a structurally overconfident agent is locked into deception: "
          "misaligned at every objective risk",
          _deception_route({"hi": 0.5}, "locked_in", "theorem-5.2-locked-in")),
    Claim("Theorem 5.2", "deception persists through epistemic indeterminacy robust to "
          "objective risks",
          _deception_route({"observability": 0.0, "base_rate": 0.01}, "indeterminate_robust",
                           "theorem-5.2-indeterminacy")),
    Claim("Abstract", "safety is a discrete phase set by the prior, not a continuous "
          "function of reward magnitude", _magnitude),
]


def reproduce(out: Path | None, points: int = 201,
              claims: list[Claim] | None = None,
              progress: Callable[[int, int], None] | None = None,
              ) -> tuple[list[tuple[Claim, Outcome]], list[Path]]:
    """Check every claim (in order) and write the figures into ``out`` (``None``: none).

    A claim whose check raises a user error fails with that message; the others still run.
    """
    from sme.runtime.errors import USER_ERRORS

    settings = Settings(resolution=Resolution(points=points))
    ctx = Context(settings=settings, out=out)
    chosen = CLAIMS if claims is None else claims
    results = []
    for k, claim in enumerate(chosen):
        try:
            outcome = claim.check(ctx)
        except USER_ERRORS as exc:
            outcome = Outcome(False, (str(exc).strip().splitlines() or ["error"])[0])
        results.append((claim, outcome))
        if progress is not None:
            progress(k + 1, len(chosen))
    return results, ctx.figures

