"""``python -m simulate`` runs the command line."""

from simulate.cli import main

main()
