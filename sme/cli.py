"""The ``sme`` command line.

Exit codes: 0 success; 1 the result is not what was asked for (``--fail-unsafe`` and the
phase is not safe); 2 bad input or a failing environment (a one-line message naming the
file, field, flag or site; no traceback unless ``--debug``); 130 interrupted (Ctrl-C).

:func:`main` is the one error boundary of every command: SME's user errors, every
``OSError`` (naming the path), parser errors, inputs nested too deeply, numbers too long to
read and failed memory allocations become one escaped line
(:func:`sme.runtime.errors.describe_failure`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sme.runtime.version import __version__

EXIT_OK, EXIT_UNSAFE, EXIT_BAD_INPUT = 0, 1, 2
#: exit status after Ctrl-C (128 + SIGINT, as shells report it)
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Subjective Model Engineering: find the priors that keep a learning agent safe.

A scenario file is a Python module defining `scenario = Scenario(...)`: the actions (each
safe or unsafe), the true world program, the agent's belief program (a Pyro program with a
prior over latent parameters), the payoff and the declared parameters. Scenario files are
code and are run when loaded: only analyse files you trust.
"""


def parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def int_at_least(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers ``≥ minimum``; errors say ``expected WHAT``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    parse.__name__ = what
    return parse


positive_int = int_at_least(1, "a positive integer")

#: the grids without ``--points`` (``priors.compile.Resolution``'s defaults, repeated so that
#: building the parser imports no torch)
DEFAULT_GRIDS = "64 × 64 for two, 16 × 16 × 16 for three, 4096 Sobol points above"


def points_spec(text: str) -> tuple[int, ...]:
    """An argparse ``type`` for ``--points``: ``N`` (N per latent dimension) or ``NxM[x…]``
    (one positive count per continuous latent dimension, in the order of the latent sites)."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        counts = tuple(int(p) for p in parts)
    except ValueError:
        counts = ()
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, or one per latent dimension such as 64x16, got "
            f"{text!r}")
    return counts


points_spec.__name__ = "Θ points"


def _checked(check: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """An argparse ``type`` made of a check of :mod:`sme.runtime.limits` (its one-line
    message becomes argparse's)."""

    def parse(text: str) -> Any:
        from sme.runtime.errors import SMEError

        try:
            return check(text)
        except SMEError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def seed_int(text: str) -> int:
    """An argparse ``type`` for ``--seed``: an integer from 0 to 2**32 − 1."""
    from sme.runtime.limits import check_seed

    return _checked(check_seed, "seed")(text)


def device_name(text: str) -> str:
    """An argparse ``type`` for ``--device``: auto, cpu, cuda or an existing cuda:N."""
    from sme.runtime.limits import check_device

    return _checked(check_device, "device")(text)


def tail_quantile(text: str) -> float:
    """An argparse ``type`` for ``--tail``: a probability in ``[1e-15, 0.5)`` (below 1e-15,
    ``1 − Q`` rounds to 1 in double precision)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1e-15 <= value < 0.5:
        raise argparse.ArgumentTypeError(
            f"expected a quantile from 1e-15 up to (not including) 0.5, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and the same one-line ``sme: error: ...`` message as every
    other bad input (naming the subcommand, e.g. ``sme: error: analyze: argument --set: ...``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("sme").strip()
        where = f"{command}: " if command else ""
        from sme.runtime.errors import escape_line

        first = (message.strip().splitlines() or [""])[0]
        self.exit(EXIT_BAD_INPUT, f"sme: error: {escape_line(where + first)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sme", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sme {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show full tracebacks for errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    for module in command_modules():
        module.add_parser(commands)
    return parser


def add_value_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="assignments", metavar="NAME=VALUE", action="append",
                        type=parse_assignment, default=[],
                        help="override a declared parameter (prior, world or reward); "
                        "repeatable")
    parser.add_argument("--prior", metavar="FILE",
                        help="take parameter values from a config file (.toml, .json, .yaml),"
                        " e.g. one written by `sme export`; --set wins over it")


def add_numeric_options(parser: argparse.ArgumentParser, default_points: int = 401) -> None:
    parser.add_argument("--device", default="auto", type=device_name,
                        help="torch device: auto (cuda when present), cpu, cuda or cuda:N")
    parser.add_argument("--points", type=points_spec, default=None, metavar="N|NxM",
                        help="Θ points per latent dimension: N along each, or one count per "
                        "continuous latent dimension in the order of the latent sites (64x16)"
                        f" (default: {default_points} for one dimension, {DEFAULT_GRIDS})")
    parser.set_defaults(points_1d=default_points)
    parser.add_argument("--mc-samples", type=positive_int, default=None,
                        help="Monte Carlo samples where no exact KL exists (default 2048)")
    parser.add_argument("--tail", type=tail_quantile, default=None, metavar="Q",
                        help="cover unbounded sides of a prior's support up to its Q and 1 − Q "
                        "quantiles (default 1e-4); a best fit on that cut-off is warned about")
    parser.add_argument("--memory-budget", type=positive_int, default=512, metavar="MB",
                        help="working memory for one batched pass, in MB; larger batches are "
                        "split (default 512)")


#: ``sme.scenario.risks.DEFAULT_RISK_GRID``, repeated so that building the parser (``--help``)
#: imports no torch; tests/test_api.py checks the two agree
DEFAULT_RISK_GRID = 5


def add_risk_option(parser: argparse.ArgumentParser) -> None:
    """``--risk-grid N``: values per world parameter in the sweep over objective risks."""
    parser.add_argument("--risk-grid", type=int_at_least(0, "a non-negative integer"),
                        default=DEFAULT_RISK_GRID, metavar="N",
                        help="also analyse the prior at N values of every world parameter "
                        "across its declared range (the objective risks) and give the verdict:"
                        " locked_in, indeterminate robust to objective risks, safe for every "
                        f"objective risk, or risk dependent (default {DEFAULT_RISK_GRID}; "
                        "0: no sweep)")
    parser.add_argument("--risk-params", type=risk_param_names, default=None,
                        metavar="NAME,...",
                        help="sweep these world and reward parameters over their declared "
                        "ranges instead of every world parameter (a reward scheme is an "
                        "objective risk too: --risk-params penalty,catch_delete)")


def risk_param_names(text: str) -> tuple[str, ...]:
    """``--risk-params``: comma-separated parameter names, none empty or repeated."""
    names = tuple(part.strip() for part in text.split(","))
    if not all(names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected distinct names separated by commas, got "
                                         f"{text!r}")
    return names


def settings_from(args: argparse.Namespace) -> Any:
    from priors.compile import Resolution
    from sme.analysis import Settings, resolve_device

    base = Resolution()
    points, per_dimension = points_from(args)
    resolution = Resolution(
        points=points, per_dimension=per_dimension,
        mc_samples=args.mc_samples or base.mc_samples,
        tail=base.tail if args.tail is None else args.tail,
    )
    return Settings(resolution=resolution, device=resolve_device(args.device),
                    memory_budget=args.memory_budget * 1024 * 1024,
                    risk_grid=getattr(args, "risk_grid", 0),
                    risk_params=getattr(args, "risk_params", None))


def points_from(args: argparse.Namespace) -> tuple[int, tuple[int, ...] | None]:
    """``(points, per_dimension)`` of :class:`priors.compile.Resolution` from ``--points``:
    one count is also the one-dimensional count; without ``--points``, the command's
    default for one dimension and ``None`` (the budget) for more."""
    given = args.points
    default = getattr(args, "points_1d", 401)
    if given is None:
        return default, None
    return (given[0] if len(given) == 1 else default), tuple(given)


def overrides_from(args: argparse.Namespace, scenario: Any | None = None) -> dict[str, Any]:
    """The values of ``--prior FILE`` updated by every ``--set``.

    With ``scenario`` the file's values are checked against it (errors name the file) and
    a warning notes an exported file made for another scenario or an older scenario file.
    """
    from sme.files.prior_values import read_values

    values: dict[str, Any] = {}
    if args.prior:
        from_file, notes = read_values(args.prior, scenario)
        for note in notes:
            warn(note)
        values.update(from_file)
    for name, value in args.assignments:
        values[name] = value
    return values


COMMAND_NAMES = ("analyze", "simulate", "phase_diagram", "search", "candidates", "export", "check",
                 "schema", "reproduce", "params", "bench", "experiment", "tui")


@contextlib.contextmanager
def progress_bar(description: str, unit: str = "") -> Iterator[Callable[[int, int], None]]:
    """Progress on stderr; yields ``update(done, total)``.  On a terminal a rich progress
    bar; otherwise (a log, a pipe) plain lines every few seconds, with the estimated time of
    long work once its first part is measured (:class:`sme.runtime.progress.PlainProgress`;
    ``unit`` names what is counted)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from sme.runtime.progress import PlainProgress

    console = Console(stderr=True)
    if not console.is_terminal:
        plain = PlainProgress(description, unit)
        yield plain.update
        plain.finish()
        return
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=console, transient=True)
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    with progress:
        yield update


def command_modules() -> list[Any]:
    """The modules of ``sme.commands`` in help order; each has ``add_parser`` and ``run``."""
    import importlib

    return [importlib.import_module(f"sme.commands.{name}") for name in COMMAND_NAMES]


def warn(message: str) -> None:
    from sme.runtime.errors import escape_line

    print(f"sme: warning: {escape_line(message.strip())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sme`` console script (the error boundary: see the module
    docstring)."""
    from sme.runtime.limits import sanitize_thread_environment

    sanitize_thread_environment(warn=warn)  # before OpenBLAS reads it when NumPy loads
    from sme.runtime.errors import describe_failure

    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_BAD_INPUT
        from sme.runtime.allocator import keep_freed_memory
        from sme.runtime.limits import check_threads
        from sme.runtime.reading import forget_reads
        from sme.runtime.threads import apply_threads

        if getattr(args, "threads", None) is not None:
            args.threads = check_threads(args.threads, warn=warn)
        apply_threads(getattr(args, "threads", None))  # from cores and load, not inherited
        forget_reads()  # a new command: only its own inputs are protected from its outputs
        keep_freed_memory()
        with warnings.catch_warnings():
            if not args.debug:
                warnings.simplefilter("ignore")  # reported through the result instead
            return args.run(args)
    except KeyboardInterrupt:
        print("sme: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one error boundary of every command
        message = describe_failure(exc)
        if debug or message is None:
            raise
        print(f"sme: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
