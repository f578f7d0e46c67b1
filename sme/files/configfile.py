"""Reading parameter values from configuration files (TOML, JSON, YAML).

Only safe loaders are used (``tomllib``, ``json``, YAML's ``SafeLoader``): nothing in a
configuration file is ever executed, and YAML tags that would build Python objects are
rejected.  A key given twice in one table is an error in every format (TOML's rule; JSON and
YAML parsers would otherwise keep the last value silently).
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sme.runtime.errors import ConfigError

if TYPE_CHECKING:
    pass


class _DuplicateKey(ValueError):
    """A JSON object with a key given twice (raised by :func:`_unique_pairs`)."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a key given twice raises :class:`_DuplicateKey`."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's ``SafeLoader`` refusing a mapping with a key given twice (merge keys ``<<``
    still override, as YAML intends)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)

#: configuration files larger than this are refused before parsing
MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: deepest nesting of tables and lists a configuration file may have (exported files use 4)
MAX_DEPTH = 32
FORMATS = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def config_format(path: Path) -> str:
    """``toml``, ``json`` or ``yaml`` from the file suffix."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ConfigError(
            f"{path}: unknown config format {path.suffix or '(none)'!r}; use .toml, .json, "
            ".yaml or .yml") from None


def read_config(path: str | Path) -> dict[str, Any]:
    """Parse a configuration file into a mapping, with one-line errors naming the file.

    A UTF-8 byte-order mark (which some editors write) is accepted; numbers with more digits
    than Python converts and documents nested deeper than :data:`MAX_DEPTH` are refused."""
    file = Path(path)
    fmt = config_format(file)
    if file.is_dir():
        raise ConfigError(f"{file}: is a directory, not a config file")
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    try:
        size = file.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{file}: {size} bytes is too large for a config file "
                              f"(limit {MAX_CONFIG_BYTES})")
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read it: {exc.strerror or exc}") from None
    try:
        if fmt == "toml":
            data = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text, object_pairs_hook=_unique_pairs)
        else:
            data = yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except _DuplicateKey as exc:
        raise ConfigError(f"{file}: duplicate key {exc.args[0]!r} (a key may appear once in "
                          "a table)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from exc
    except RecursionError:
        raise ConfigError(f"{file}: nested too deeply to read (limit {MAX_DEPTH} levels)"
                          ) from None
    except ValueError:  # Python's limit on the digits of an integer
        raise ConfigError(f"{file}: a number has more digits than can be read (limit "
                          f"{sys.get_int_max_str_digits()})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a table/mapping at the top level")
    try:
        depth = nesting_depth(data)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    if depth > MAX_DEPTH:
        raise ConfigError(f"{file}: nested {depth} levels deep (limit {MAX_DEPTH})")
    return data


def nesting_depth(data: Any) -> int:
    """How many levels of tables/lists ``data`` has (a scalar: 0).

    Iterative, and each object is measured once, so YAML aliases that share a node do not
    multiply the work; a structure that contains itself (a recursive YAML alias) is refused.

    Raises:
        ConfigError: the structure contains itself (without a file name; callers add it).
    """
    heights: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, measured_children = stack.pop()
        if not isinstance(node, dict | list):
            continue
        children = [c for c in (node.values() if isinstance(node, dict) else node)
                    if isinstance(c, dict | list)]
        if measured_children:
            heights[id(node)] = 1 + max((heights[id(c)] for c in children), default=0)
            open_nodes.discard(id(node))
            continue
        if id(node) in heights:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise ConfigError("a table or list contains itself (a recursive YAML alias)")
            stack.append((child, False))
    return heights.get(id(data), 0)


def parameter_values(path: str | Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values from a parsed config: an exported file's ``parameters`` table (with
    ``prior``/``world``/``reward`` sub-tables), a mapping with those sub-tables at the top,
    or a flat mapping of names to values."""
    source: Mapping[str, Any] = data.get("parameters", data)
    if not isinstance(source, Mapping):
        raise ConfigError(f"{path}: 'parameters' must be a table")
    values: dict[str, Any] = {}
    groups = [k for k in ("prior", "world", "reward") if k in source]
    if groups:
        prefix = "parameters." if "parameters" in data else ""
        for key in source:
            if key not in groups:
                raise ConfigError(f"{path}: {prefix}{key}: unknown key (expected the tables "
                                  "prior, world and reward)")
        for group in groups:
            table = source[group]
            if not isinstance(table, Mapping):
                raise ConfigError(f"{path}: 'parameters.{group}' must be a table")
            values.update(table)
        return values
    for key, value in source.items():
        if isinstance(value, Mapping | list):
            raise ConfigError(f"{path}: parameter {key!r} must be a single value")
        values[key] = value
    return values
