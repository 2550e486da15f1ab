"""``python -m survey`` is the same as the ``kaimen`` command."""

from survey.cli import main

main()
