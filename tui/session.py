"""The session remembered between runs: per scenario file the designed values and the
screens' forms, and the theme.

The file is ``$XDG_CONFIG_HOME/sme/session.json`` (``~/.config/sme/session.json`` when the
variable is unset): a JSON object ``{"theme": NAME, "scenarios": {ABSOLUTE PATH: {"values":
{...}, "forms": {SCREEN: {FIELD: TEXT}}}}}``.  A missing or damaged file reads as an empty
session, stored values are validated against the scenario when it opens (invalid ones are
dropped), and failing to write the file is never an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: scenario files remembered (the most recently saved ones)
LIMIT = 20


def session_file() -> Path:
    """Where the session is kept."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sme" / "session.json"


def _key(scenario: Path) -> str:
    try:
        return str(scenario.resolve())
    except (OSError, RuntimeError):
        return str(scenario)


@dataclass
class Session:
    """The remembered session (see the module docstring)."""

    theme: str | None = None
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)

    def values(self, scenario: Path) -> dict[str, Any]:
        """The values last designed for ``scenario`` (unchecked)."""
        entry = self.scenarios.get(_key(scenario), {})
        values = entry.get("values")
        return dict(values) if isinstance(values, dict) else {}

    def forms(self, scenario: Path) -> dict[str, dict[str, str]]:
        """The forms last filled in for ``scenario``: ``{screen: {field: text}}``."""
        entry = self.scenarios.get(_key(scenario), {})
        forms = entry.get("forms")
        if not isinstance(forms, dict):
            return {}
        return {k: {f: str(t) for f, t in v.items()} for k, v in forms.items()
                if isinstance(v, dict)}

    def remember(self, scenario: Path, values: dict[str, Any],
                 forms: dict[str, dict[str, str]]) -> None:
        """Keep ``values`` and ``forms`` for ``scenario`` (most recent last)."""
        key = _key(scenario)
        self.scenarios.pop(key, None)
        self.scenarios[key] = {"values": _plain(values), "forms": forms}
        while len(self.scenarios) > LIMIT:
            self.scenarios.pop(next(iter(self.scenarios)))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values JSON can hold (numbers, strings, booleans)."""
    return {k: v for k, v in values.items() if isinstance(v, int | float | str | bool)}


def load(path: Path | None = None) -> Session:
    """The remembered session (empty when there is none or it cannot be read)."""
    file = path or session_file()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):
        return Session()
    if not isinstance(data, dict):
        return Session()
    theme = data.get("theme")
    scenarios = data.get("scenarios")
    return Session(theme if isinstance(theme, str) else None,
                   {k: v for k, v in scenarios.items() if isinstance(v, dict)}
                   if isinstance(scenarios, dict) else {})


def save(session: Session, path: Path | None = None) -> None:
    """Write the session atomically (best effort)."""
    try:
        file = path or session_file()
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": session.theme, "scenarios": session.scenarios},
                                  indent=1), encoding="utf-8")
        os.replace(tmp, file)
    except (OSError, RuntimeError, ValueError, TypeError):
        pass
