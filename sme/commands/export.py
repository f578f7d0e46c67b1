"""``sme export``: write a searched prior to a TOML, JSON or YAML file."""

from __future__ import annotations

import argparse
from typing import Any

from sme.cli import EXIT_OK, EXIT_UNSAFE, int_at_least, warn

_trial_number = int_at_least(0, "a trial number ≥ 0")


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    from sme.commands.candidates import add_study_options

    parser = commands.add_parser(
        "export", help="write a searched prior to a .toml/.json/.yaml file",
        description="Write one trial of a study made by `sme search` — every parameter value "
        "(prior, world, reward), its phase, Berk–Nash set, equilibria and objectives, and "
        "where it came from — to a file that `sme analyze --prior` and `sme check` read. The "
        "format follows the suffix (.toml, .json, .yaml/.yml); the file is written atomically "
        "and never overwritten without --force. Storage credentials are never written.",
        epilog="example: sme export --study sycophancy --trial 137 -o chosen.toml",
    )
    add_study_options(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--trial", type=_trial_number, metavar="N", help="the trial to export")
    which.add_argument("--best", action="store_true",
                       help="the best safe trial (first of `sme candidates`)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file (default: <study>-trial<N>.toml)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export the trial."""
    from pathlib import Path

    from search.results import best_candidate, export_document, open_study
    from search.storage import StorageSpec
    from search.study import quiet_optuna
    from sme.files.export import check_destination, write_export

    if args.output:  # an input, a bad suffix, directory or existing file fails before reading
        storage = StorageSpec(args.storage).local_file if args.storage else None
        check_destination(args.output, force=args.force,
                          reads=[(args.scenario, "the scenario file"),
                                 (storage, "the study's storage")])
    with quiet_optuna():
        study, spec = open_study(args.scenario, args.study, args.storage)
        if args.best:
            best = best_candidate(study)
            if best is None:
                warn(f"no safe prior in study {study.study_name!r}; nothing exported")
                return EXIT_UNSAFE
            number = best.trial
        else:
            number = args.trial
        document = export_document(study, number, spec.label)
    output = Path(args.output or f"{study.study_name}-trial{number}.toml")
    write_export(document, output, force=args.force)
    if document.objectives is not None and not document.objectives.feasible:
        warn(f"trial {number} is not safe (phase {document.result.phase}); exported anyway")
    print(f"wrote {output}: trial {number} of study {study.study_name!r}, phase "
          f"{document.result.phase}, Berk–Nash set {{{', '.join(document.result.bn_set)}}}")
    return EXIT_OK
