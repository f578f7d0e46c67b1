"""What an installed copy needs travels in the wheel: every package, the stylesheet, the
examples (read from pyproject.toml, so a new module or asset cannot be forgotten)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folder(package: str) -> Path:
    mapped = CONFIG.get("package-dir", {}).get(package)
    return ROOT / (mapped or package.replace(".", "/"))


def test_every_source_folder_is_a_listed_package() -> None:
    listed = set(CONFIG["packages"])
    for top in ("sme", "priors", "search", "tui"):
        for init in (ROOT / top).rglob("__init__.py"):
            name = ".".join(init.parent.relative_to(ROOT).parts)
            assert name in listed, f"{name} is not in [tool.setuptools] packages"
    assert "sme.examples" in listed
    assert (_folder("sme.examples") / "sycophancy.py").is_file()


def test_every_non_python_file_is_package_data() -> None:
    data = CONFIG.get("package-data", {})
    for package in CONFIG["packages"]:
        folder = _folder(package)
        for file in folder.iterdir():
            if file.is_file() and file.suffix not in (".py", ".pyc"):
                patterns = data.get(package, [])
                assert any(fnmatch.fnmatch(file.name, p) for p in patterns), \
                    f"{file.relative_to(ROOT)} would be left out of the wheel"


def test_the_shipped_examples_are_found() -> None:
    from sme.scenario.shipped import examples_dir

    folder = examples_dir()
    assert folder is not None and (folder / "deception.py").is_file()
