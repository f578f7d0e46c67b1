"""Exported priors: round trips, strict validation, atomic writes, check's verdicts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
import yaml
from cli_runner import run_cli

from search.results import export_document
from search.storage import StorageSpec
from sme.cli import main
from sme.files.export import (
    ExportedPrior,
    json_schema,
    read_export,
    render,
    validate,
    write_atomic,
    write_export,
)
from sme.runtime.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"
FAST = ["--points", "101", "--margin-directions", "4", "--threads", "1"]
SECRET_URL = "postgresql://user:secret@db.example/studies?sslmode=require"


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small search over a private copy of the linear-Gaussian scenario."""
    where = tmp_path_factory.mktemp("searched")
    scenario = where / "linear.py"
    shutil.copy(LINEAR, scenario)
    storage = where / "linear.sme-journal"
    previous = torch.get_num_threads()
    try:
        assert main(["search", str(scenario), "--trials", "16", "--seed", "7", *FAST,
                     "--storage", str(storage), "--json"]) == 0
    finally:
        torch.set_num_threads(previous)
    return {"dir": where, "scenario": scenario, "storage": storage}


def _study(searched: dict[str, Path]) -> optuna.Study:
    spec = StorageSpec(str(searched["storage"]))
    return optuna.load_study(study_name="linear-gaussian", storage=spec.open())


def _export(capsys: pytest.CaptureFixture[str], searched: dict[str, Path], out: Path,
            *extra: str) -> tuple[int, str, str]:
    return run_cli(capsys, "export", "--study", "linear-gaussian", "--storage",
                   str(searched["storage"]), "-o", str(out), *extra)


@pytest.fixture()
def exported(searched: dict[str, Path], tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "chosen.toml"
    code, _, err = _export(capsys, searched, out, "--best")
    assert code == 0, err
    return out


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml"])
def test_export_check_round_trip(suffix: str, searched: dict[str, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"chosen{suffix}"
    code, printed, err = _export(capsys, searched, out, "--best")
    assert code == 0, err
    assert "phase safe" in printed
    document = read_export(out)
    assert document.result.phase == "safe" and document.result.bn_set == ["a0"]
    assert set(document.parameters.prior) == {"lo", "hi", "g0"}
    assert document.parameters.world == {"m0": 3.0, "m1": 1.0}
    assert document.parameters.reward == {"scale": 1.0}
    assert document.scenario.path == str(searched["scenario"].resolve())
    assert document.provenance.study == "linear-gaussian" and document.provenance.points == 101
    assert document.objectives is not None and document.objectives.feasible
    best = json.loads(run_cli(capsys, "candidates", "--study", "linear-gaussian", "--storage",
                              str(searched["storage"]), "--json")[1])[0]
    assert document.provenance.trial == best["trial"]
    assert document.parameters.prior == best["params"]

    code, printed, err = run_cli(capsys, "check", str(out), "--scenario",
                                 str(searched["scenario"]))
    assert code == 0, err
    assert "unchanged" in printed and err == ""
    code, printed, _ = run_cli(capsys, "check", str(out), "--trust-scenario-path", "--json")
    assert code == 0 and json.loads(printed)["same"] is True
    # the file is a prior for `sme analyze --prior`
    code, printed, _ = run_cli(capsys, "analyze", str(searched["scenario"]), "--prior",
                               str(out), "--points", "101", "--json")
    assert code == 0 and json.loads(printed)["phase"] == "safe"
    # and it survives a second serialisation unchanged
    fmt = suffix.lstrip(".")
    assert validate(yaml.safe_load(render(document, "yaml")), "again") == document
    assert read_export(out) == document and fmt in ("toml", "json", "yaml")


def test_export_a_trial_by_number_and_default_name(searched: dict[str, Path],
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    study = _study(searched)
    unsafe = next(t for t in study.trials
                  if t.state.name == "COMPLETE" and not t.user_attrs["feasible"])
    code, _, err = run_cli(capsys, "export", "--study", "linear-gaussian", "--storage",
                           str(searched["storage"]), "--trial", str(unsafe.number))
    assert code == 0
    assert "not safe" in err
    document = read_export(tmp_path / f"linear-gaussian-trial{unsafe.number}.toml")
    assert document.result.phase == unsafe.user_attrs["phase"]
    code, _, err = run_cli(capsys, "export", "--study", "linear-gaussian", "--storage",
                           str(searched["storage"]), "--trial", "999")
    assert code == 2 and "no trial 999" in err


def test_export_finds_the_journal_in_the_working_directory(
        searched: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(searched["dir"])
    code, _, err = run_cli(capsys, "export", "--study", "linear-gaussian", "--best", "-o",
                           str(tmp_path / "x.json"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "export", "--study", "nope", "--best", "-o",
                           str(tmp_path / "y.json"))
    assert code == 2 and "no study 'nope'" in err


def test_export_best_without_a_safe_trial(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    # with g0 = 1, θ ≥ 2.2 > 2 makes a1 preferred at every belief: nothing is safe
    code, out, _ = run_cli(capsys, "search", str(LINEAR), "--trials", "4", "--seed", "0",
                           *FAST, "--range", "lo=2.2:2.5", "--range", "hi=3:10", "--set",
                           "g0=1", "--storage",
                           str(storage), "--export", str(tmp_path / "best.toml"), "--json")
    assert code == 1 and json.loads(out)["feasible"] == 0
    assert not (tmp_path / "best.toml").exists()
    code, _, err = run_cli(capsys, "export", "--study", "linear-gaussian", "--storage",
                           str(storage), "--best", "-o", str(tmp_path / "best.toml"))
    assert code == 1 and "no safe prior" in err


# --------------------------------------------------------------------------- writing


def test_overwrite_needs_force(exported: Path, searched: dict[str, Path],
                               capsys: pytest.CaptureFixture[str]) -> None:
    exported.write_text("keep me")
    code, _, err = _export(capsys, searched, exported, "--best")
    assert code == 2 and "--force" in err
    assert exported.read_text() == "keep me"
    code, _, _ = _export(capsys, searched, exported, "--best", "--force")
    assert code == 0 and read_export(exported).result.phase == "safe"
    assert sorted(p.name for p in exported.parent.iterdir()) == ["chosen.toml"]  # no temp file


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    write_atomic(target, "a = 1\n")
    with pytest.raises(Exception, match="already exists"):
        write_atomic(target, "a = 2\n")
    write_atomic(target, "a = 3\n", force=True)
    assert target.read_text() == "a = 3\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.toml"]


@pytest.mark.parametrize("fails", ["write", "fsync", "move"])
@pytest.mark.parametrize("existing", [True, False])
def test_interrupted_write_leaves_the_old_file_or_none(fails: str, existing: bool,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """A write that fails at any step leaves the old file as it was (or no file), never a
    partial one, and no temporary file."""
    target = tmp_path / "x.toml"
    if existing:
        target.write_text("old = 1\n")
    new = "".join(f"k{i} = {i}\n" for i in range(20000))

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(f"simulated failure in {fails}")

    if fails == "write":
        real_fdopen = os.fdopen

        class Torn:  # writes half the text, then fails
            def __init__(self, handle: Any) -> None:
                self.handle = handle

            def __enter__(self) -> Torn:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()

            def write(self, text: str) -> int:
                self.handle.write(text[: len(text) // 2])
                self.handle.flush()
                raise OSError("simulated failure in write")

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Torn(real_fdopen(*a, **k)))
    elif fails == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    else:  # the move into place (os.replace with --force, os.link without)
        monkeypatch.setattr(os, "replace", boom)
        monkeypatch.setattr(os, "link", boom)
    with pytest.raises(OSError, match="simulated"):
        write_atomic(target, new, force=existing)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == (["x.toml"] if existing else [])
    if existing:
        assert target.read_text() == "old = 1\n"


def test_killed_export_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """SIGKILL between writing the temporary file and moving it into place: the old file
    is untouched (only a hidden temporary file can be left behind)."""
    target = tmp_path / "x.toml"
    target.write_text("old = 1\n")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from sme.files.export import write_atomic\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"write_atomic(Path({str(target)!r}), 'new = 2\\n' * 100000, force=True)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert target.read_text() == "old = 1\n"
    assert all(p == target or (p.name.startswith(".x.toml.") and p.name.endswith(".tmp"))
               for p in tmp_path.iterdir())


def test_credentials_never_reach_an_exported_file(searched: dict[str, Path],
                                                  tmp_path: Path) -> None:
    study = _study(searched)
    label = StorageSpec(SECRET_URL).label
    document = export_document(study, 0 if study.trials[0].state.name == "COMPLETE" else 1,
                               label)
    assert document.provenance.storage == "postgresql://user:***@db.example/studies?sslmode=require"
    for fmt in ("toml", "json", "yaml"):
        path = tmp_path / f"p.{fmt}"
        write_export(document, path)
        assert "secret" not in path.read_text()
    data = document.model_dump(mode="json")
    data["provenance"]["storage"] = SECRET_URL
    with pytest.raises(ConfigError, match=r"provenance\.storage: must not contain credentials"):
        validate(data, "file")
    assert "secret" not in str(data["provenance"]["storage"]).replace(SECRET_URL, "")


# --------------------------------------------------------------------------- check


def test_check_needs_the_scenario_named(exported: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "check", str(exported))
    assert code == 2
    assert "--scenario" in err and "--trust-scenario-path" in err and "run" in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = run_cli(capsys, "check", "--help")
    assert "Python" in " ".join(out.split()) and "are run" in " ".join(out.split())


def test_check_notices_a_changed_scenario(exported: Path, searched: dict[str, Path],
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    original = searched["scenario"].read_text()
    # a comment changes the hash but not the answer: exit 0 with a warning
    commented = tmp_path / "commented.py"
    commented.write_text(original + "\n# a comment\n")
    code, out, err = run_cli(capsys, "check", str(exported), "--scenario", str(commented))
    assert code == 0 and "unchanged" in out
    assert "sme: warning:" in err and "sha256" in err
    # a different belief (a1's gain 2 → 0.5) changes the answer: exit 1
    changed = tmp_path / "changed.py"
    edited = original.replace("gain = torch.where(action == 0, g0, 2.0)",
                              "gain = torch.where(action == 0, g0, 0.5)")
    edited = edited.replace("torch.where(action == 0, 0.0, 2.0))",
                            "torch.where(action == 0, 0.0, -2.0))")
    assert edited != original
    changed.write_text(edited)
    code, out, err = run_cli(capsys, "check", str(exported), "--scenario", str(changed),
                             "--json")
    result = json.loads(out)
    assert code == 1 and result["same"] is False and result["sha256_matches"] is False
    assert {k: result["recorded"][k] for k in ("phase", "bn_set")} == {"phase": "safe",
                                                                       "bn_set": ["a0"]}
    assert result["now"]["bn_set"] != ["a0"]
    assert "sha256" in err
    # a parameter the scenario no longer declares: changed, and named
    renamed = tmp_path / "renamed.py"
    renamed.write_text(original.replace('"g0"', '"gain0"').replace("g0)", "gain0)").replace(
        "g0,", "gain0,").replace("(action, lo, hi, gain0)", "(action, lo, hi, gain0)")
        .replace("{g0:", "{gain0:"))  # the prompt names it too
    code, out, err = run_cli(capsys, "check", str(exported), "--scenario", str(renamed))
    assert code == 2 and "parameters.prior.g0: unknown key" in err and "gain0" in err
    assert out == ""


def _mutate(path: Path, data: dict, target: Path) -> Path:
    suffix = target.suffix
    if suffix == ".json":
        target.write_text(json.dumps(data))
    elif suffix == ".yaml":
        target.write_text(yaml.safe_dump(data))
    else:
        import tomli_w

        target.write_text(tomli_w.dumps(data))
    return target


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml"])
@pytest.mark.parametrize("change,field", [
    (lambda d: d.update(schema_version=2), "schema_version: unsupported schema version 2"),
    (lambda d: d["provenance"].update(colour="red"), "provenance.colour: unknown key"),
    (lambda d: d.pop("result"), "result: missing required key"),
    (lambda d: d["result"].update(phase=3), "result.phase"),
    (lambda d: d["result"].update(phase="unsafe"), "result.phase"),
    (lambda d: d["provenance"].update(trial="7"), "provenance.trial"),
    (lambda d: d["provenance"].update(trial=-1), "provenance.trial"),
    (lambda d: d["objectives"].update(violation=2.0), "objectives.violation"),
    (lambda d: d["scenario"].update(sha256="abc"), "scenario.sha256"),
    (lambda d: d["parameters"]["prior"].update(hi=[1, 2]), "parameters.prior.hi"),
    (lambda d: d["result"].update(mixed_equilibria=[{"mixture": {"a0": 1.5}}]),
     "result.mixed_equilibria[0].mixture.a0"),
])
def test_malformed_files_name_the_field(suffix: str, change, field: str, exported: Path,
                                        searched: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = read_export(exported).model_dump(mode="json", exclude_none=True)
    change(data)
    bad = _mutate(exported, data, tmp_path / f"bad{suffix}")
    code, out, err = run_cli(capsys, "check", str(bad), "--scenario", str(searched["scenario"]))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sme: error: {bad}: ")
    assert field in lines[0]


def test_out_of_range_parameter_for_the_scenario(exported: Path, searched: dict[str, Path],
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = read_export(exported).model_dump(mode="json", exclude_none=True)
    data["parameters"]["prior"]["hi"] = 50.0
    bad = _mutate(exported, data, tmp_path / "bad.json")
    code, _, err = run_cli(capsys, "check", str(bad), "--scenario", str(searched["scenario"]))
    assert code == 2
    assert "parameters.prior.hi: 50.0 is above its high bound 10.0" in err


@pytest.mark.parametrize("text,message", [
    ("schema_version = 1\n[scenario]\nname = \"x", "invalid TOML"),
    ("", "missing required key"),
])
def test_truncated_files(text: str, message: str, tmp_path: Path, searched: dict[str, Path],
                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cut.toml"
    bad.write_text(text)
    code, _, err = run_cli(capsys, "check", str(bad), "--scenario", str(searched["scenario"]))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_truncated_copy_of_a_real_export(exported: Path, tmp_path: Path,
                                         searched: dict[str, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = exported.read_text()
    for cut in (len(text) // 3, len(text) // 2, len(text) - 40):
        bad = tmp_path / "cut.toml"
        bad.write_text(text[:cut])
        code, _, err = run_cli(capsys, "check", str(bad), "--scenario",
                               str(searched["scenario"]))
        assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_yaml_python_tags_are_refused(tmp_path: Path, searched: dict[str, Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.yaml"
    bad.write_text(f"schema_version: 1\nscenario: !!python/object/apply:os.system "
                   f"['touch {marker}']\n")
    code, _, err = run_cli(capsys, "check", str(bad), "--scenario", str(searched["scenario"]))
    assert code == 2 and "invalid YAML" in err and len(err.strip().splitlines()) == 1
    assert not marker.exists()
    bad.write_text("schema_version: 1\nresult: !!python/object:builtins.dict {}\n")
    code, _, err = run_cli(capsys, "check", str(bad), "--scenario", str(searched["scenario"]))
    assert code == 2 and "invalid YAML" in err


# --------------------------------------------------------------------------- schema


def test_schema_command_prints_the_strict_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema == json.loads(json.dumps(json_schema()))
    assert set(schema["required"]) == {"schema_version", "scenario", "parameters", "result",
                                       "provenance"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["schema_version"]["const"] == 1
    assert ExportedPrior.model_config["extra"] == "forbid"


def test_document_from_an_analysis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from priors.compile import Resolution
    from sme import load_scenario
    from sme.analysis import Settings, analyze
    from sme.files.export import document_from_analysis

    scenario = load_scenario(LINEAR)
    analysis = analyze(scenario, {"hi": 1.5}, Settings(resolution=Resolution(points=101)))
    document = document_from_analysis(analysis)
    assert document.objectives is None and document.provenance.study is None
    assert document.result.phase == "safe" and document.provenance.points == 101
    out = tmp_path / "hand.yaml"
    write_export(document, out)
    code, printed, err = run_cli(capsys, "check", str(out), "--scenario", str(LINEAR))
    assert code == 0 and "unchanged" in printed, err

