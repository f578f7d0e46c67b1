"""Scenario and Param validation, and loading scenario files."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from priors.params import ParamError, declare, resolve
from sme import Action, Param, Scenario, load_scenario
from sme.runtime.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent


def world(action, m=0.0):
    return None


def belief(action, lo):
    return None


def payoff(action, y):
    return None


BASE = {
    "name": "s",
    "actions": [Action("a0", safe=True), Action("a1")],
    "world": world,
    "belief": belief,
    "payoff": payoff,
    "observed": ["y"],
    "prior_params": {"lo": Param(0.0)},
}


def make(**changes) -> Scenario:
    return Scenario(**{**BASE, **changes})


# --------------------------------------------------------------------------- Scenario


def test_a_valid_scenario() -> None:
    scenario = make(world_params={"m": Param(1.0)}, reward_params={"k": Param(2)},
                    payoff=lambda action, y, k: y)
    assert scenario.action_names == ["a0", "a1"]
    assert scenario.safe_mask == [True, False]
    assert list(scenario.all_params) == ["lo", "m", "k"]
    assert [scenario.group_of(n) for n in ("lo", "m", "k")] == ["prior", "world", "reward"]
    assert scenario.values({"m": "3"}) == {"lo": 0.0, "m": 3.0, "k": 2}
    assert scenario.split({"lo": 1, "m": 2, "k": 3}) == ({"lo": 1}, {"m": 2}, {"k": 3})
    assert scenario.action_index("a1") == 1
    assert make(observed="y").observed == ["y"]  # a single name is accepted


@pytest.mark.parametrize("changes,fragment", [
    ({"actions": []}, "'actions' is empty"),
    ({"actions": [Action("a"), Action("b"), Action("a")]}, "duplicate action name 'a'"),
    ({"actions": ["a0"]}, "actions must be Action"),
    ({"observed": []}, "'observed' must list"),
    ({"observed": [""]}, "'observed' must list"),
    ({"name": ""}, "'name' must be a non-empty string"),
    ({"world": 3}, "'world' must be a function"),
    # a declared prior parameter the belief program does not accept
    ({"prior_params": {"lo": Param(0.0), "hi": Param(1.0)}}, "belief() has no argument 'hi'"),
    # a required argument of the belief program that nobody declares
    ({"prior_params": {}}, "belief() argument 'lo' is not declared"),
    # the payoff must accept every observed site
    ({"observed": ["y", "z"]}, "payoff() has no argument 'z'"),
    ({"world_params": {"lo": Param(1.0)}}, "'lo' is declared as both prior and world"),
    ({"reward_params": {"lo": Param(1.0)}, "payoff": lambda action, y, lo: y},
     "'lo' is declared as both prior and reward"),
    ({"prior_params": {"lo": 0.0}}, "parameter 'lo' must be a Param"),
    ({"prior_params": {"lo": Param(0.0), "1x": Param(0.0)}}, "'1x' is not a Python identifier"),
    ({"belief": lambda: None}, "belief() must take the action first"),
])
def test_scenario_validation_errors(changes: dict, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        make(**changes)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_keyword_catch_all_accepts_any_declared_parameter() -> None:
    def open_belief(action, **params):
        return None

    scenario = make(belief=open_belief, prior_params={"lo": Param(0.0), "hi": Param(1.0)})
    assert list(scenario.prior_params) == ["lo", "hi"]


def test_unknown_names_are_rejected() -> None:
    scenario = make()
    with pytest.raises(ParamError, match="unknown parameter 'nope'"):
        scenario.values({"nope": 1})
    with pytest.raises(ScenarioError, match="unknown action 'a9'"):
        scenario.action_index("a9")


# --------------------------------------------------------------------------- Param


@pytest.mark.parametrize("kwargs,fragment", [
    ({"default": 1.0, "low": 2.0, "high": 0.0}, "low 2.0 > high 0.0"),
    ({"default": 1.0, "log": True}, "log scale needs low > 0"),
    ({"default": 1.0, "low": 0.0, "log": True}, "log scale needs low > 0"),
    ({"default": 1.0, "low": -1.0, "log": True}, "log scale needs low > 0"),
    ({"default": "a"}, "default must be a number"),
    ({"default": True}, "default must be a number"),
    ({"default": None}, "default must be a number"),
    ({"default": 1, "choices": ()}, "'choices' is empty"),
    ({"default": 3, "choices": (1, 2)}, "default 3 is not one of"),
    ({"default": 5.0, "high": 1.0}, "above its high bound"),
    ({"default": -5.0, "low": 1.0}, "below its low bound"),
    ({"default": math.nan}, "finite number"),
    ({"default": math.inf}, "finite number"),
    ({"default": 1.5, "integer": True}, "expected an integer"),
])
def test_param_declaration_errors(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ParamError, match="parameter") as info:
        Param(**kwargs)
    assert fragment in str(info.value)


def test_param_kinds() -> None:
    assert Param(1.0).kind == "float"
    assert Param(1).kind == "int" and Param(1).integer
    assert Param(1.0, integer=True).kind == "int"
    assert Param("a", choices=("a", "b")).kind == "categorical"
    assert Param(1.0, low=0.1, high=2.0, log=True).log
    assert Param(2, choices=(1, 2)).is_numeric
    assert not Param("a", choices=("a", 1)).is_numeric
    assert Param(1.0, low=0.0, high=1.0).bounded and not Param(1.0, low=0.0).bounded


@pytest.mark.parametrize("value,expected", [
    (3, 3), (3.0, 3), ("3", 3), (" 4 ", 4), (0, 0), (5, 5),
])
def test_int_param_accepts(value, expected) -> None:
    param = Param(1, low=0, high=5).named("n")
    result = param.validate(value)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value,fragment", [
    (2.5, "expected an integer"),
    ("x", "expected a number"),
    (True, "expected a number"),
    (None, "expected a number"),
    ([1], "expected a number"),
    (math.inf, "expected a finite number"),
    ("nan", "expected a finite number"),
    (7, "above its high bound 5"),
    (-1, "below its low bound 0"),
])
def test_int_param_rejects(value, fragment: str) -> None:
    param = Param(1, low=0, high=5).named("n")
    with pytest.raises(ParamError) as info:
        param.validate(value)
    assert fragment in str(info.value) and "'n'" in str(info.value)


def test_float_param_validation() -> None:
    param = Param(0.5, low=0.0, high=1.0).named("p")
    assert param.validate("0.25") == 0.25 and type(param.validate(1)) is float
    assert param.validate(0.0) == 0.0 and param.validate(1.0) == 1.0  # inclusive bounds
    for bad in (1.0000001, -1e-9, "one", math.nan, -math.inf):
        with pytest.raises(ParamError, match="'p'"):
            param.validate(bad)


def test_categorical_param_validation() -> None:
    param = Param("x", choices=("x", 2, True)).named("c")
    assert param.validate("x") == "x"
    assert param.validate(2) == 2 and param.validate("2") == 2 and param.validate(2.0) == 2
    assert param.validate(True) is True and param.validate("True") is True
    for bad in ("y", 3, None):
        with pytest.raises(ParamError, match=r"'c'.*not one of"):
            param.validate(bad)


def test_declare_and_resolve() -> None:
    declared = declare({"a": Param(1.0), "b": Param(2)}, "group")
    assert declared["a"].name == "a"
    assert resolve(declared, {"b": "3"}) == {"a": 1.0, "b": 3}
    with pytest.raises(ParamError, match="unknown parameter 'c' \\(known: a, b\\)"):
        resolve(declared, {"c": 1})
    with pytest.raises(ParamError, match="group: parameter name 'not ok'"):
        declare({"not ok": Param(1.0)}, "group")


# --------------------------------------------------------------------------- load_scenario

VALID = """\
import pyro
import pyro.distributions as dist

from sme import Action, Param, Scenario


def world(action):
    return pyro.sample("y", dist.Normal(0.0, 1.0))


def belief(action, lo):
    theta = pyro.sample("theta", dist.Uniform(lo, 1.0))
    return pyro.sample("y", dist.Normal(theta, 1.0))


def payoff(action, y):
    return y


scenario = Scenario(name="tiny", actions=[Action("a", safe=True), Action("b")], world=world,
                    belief=belief, payoff=payoff, observed=["y"],
                    prior_params={"lo": Param(-1.0)})
"""


def write(tmp_path: Path, text: str, name: str = "scen.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_load_a_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    scenario = load_scenario(path)
    assert scenario.name == "tiny" and scenario.source == path.resolve()
    assert scenario.source_sha256() is not None and len(scenario.source_sha256()) == 64
    assert load_scenario(str(path)).name == "tiny"  # a str path works too


def test_load_the_example() -> None:
    scenario = load_scenario(ROOT / "examples" / "linear_gaussian.py")
    assert scenario.action_names == ["a0", "a1"]


def _load_error(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "no such scenario file" in _load_error(tmp_path / "absent.py")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert "is a directory" in _load_error(tmp_path)


def test_not_a_python_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID, "scen.txt")
    assert "must be a Python file" in _load_error(path)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1\n\ndef broken(:\n    pass\n")
    message = _load_error(path)
    assert message.startswith(f"{path}:3:") and "syntax error" in message


def test_module_raising_at_import_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "import math\n\nvalue = 1 / 0\n")
    message = _load_error(path)
    assert message.startswith(f"{path}:3:")
    assert "ZeroDivisionError" in message


def test_exception_inside_a_function_names_the_file_line(tmp_path: Path) -> None:
    path = write(tmp_path, "def f():\n    raise RuntimeError('first\\nsecond')\n\n\nf()\n")
    message = _load_error(path)
    assert message.startswith(f"{path}:2:")  # the innermost line of the user's file
    assert "RuntimeError" in message and "first" in message and "second" not in message


def test_invalid_scenario_inside_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('actions=[Action("a", safe=True), Action("b")]',
                                         "actions=[]"))
    message = _load_error(path)
    assert "'actions' is empty" in message


def test_no_scenario_defined(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1\n")
    assert "defines no 'scenario'" in _load_error(path)


def test_scenario_of_the_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "scenario = {'name': 'x'}\n")
    message = _load_error(path)
    assert "'scenario' must be a Scenario" in message and "dict" in message


def test_loading_does_not_leave_modules_behind(tmp_path: Path) -> None:
    import sys

    before = set(sys.modules)
    load_scenario(write(tmp_path, VALID))
    with pytest.raises(ScenarioError):
        load_scenario(write(tmp_path, "raise ValueError('no')\n", "bad.py"))
    assert not [m for m in set(sys.modules) - before if m.startswith("sme_scenario_")]
