"""``python -m engine`` runs the ``chainrule`` command."""

from engine.cli import main

raise SystemExit(main())
