"""``python -m appflags`` runs the command line."""

from appflags.cli import run

run()
