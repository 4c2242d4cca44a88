"""``python -m appflags`` runs the command line."""

import sys

from appflags.cli import main

sys.exit(main())
