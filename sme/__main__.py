"""``python -m sme`` runs the command line."""

import sys

from sme.cli import main

sys.exit(main())
