"""``python -m sme`` runs the command line."""

import sys

try:
    from sme.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python is still importing
    print("sme: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
