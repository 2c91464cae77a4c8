"""``python -m engine.cli`` runs the ``chainrule`` command."""

from engine.cli import main

raise SystemExit(main())
