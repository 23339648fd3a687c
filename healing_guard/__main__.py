"""``python -m healing_guard`` is the ``healing-guard`` command."""

from .cli import main

raise SystemExit(main())
