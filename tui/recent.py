"""Recently opened scenario files, kept in a small JSON file in the user's state directory.

The file is ``$XDG_STATE_HOME/sme/recent.json`` (``~/.local/state/sme/recent.json`` when the
variable is unset): a JSON list of absolute paths, most recent first.  A missing or damaged
file reads as an empty list; failing to write it is never an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: how many files are remembered
LIMIT = 10


def recent_file() -> Path:
    """Where the list is kept."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sme" / "recent.json"


def load_recent(path: Path | None = None) -> list[Path]:
    """The remembered files that still exist, most recent first."""
    file = path or recent_file()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [Path(p) for p in data if isinstance(p, str) and Path(p).is_file()][:LIMIT]


def remember(scenario: Path, path: Path | None = None) -> None:
    """Put ``scenario`` first in the list (best effort)."""
    file = path or recent_file()
    entry = scenario.resolve()
    items = [entry, *(p for p in load_recent(file) if p != entry)][:LIMIT]
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp")
        tmp.write_text(json.dumps([str(p) for p in items], indent=1), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass
