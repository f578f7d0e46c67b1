"""One module per subcommand of ``sme``: ``add_parser(subparsers)`` and ``run(args)``."""
