"""``python -m minigrad.exercises``: list, show, start, check (see minigrad/exercises/__init__.py)."""

from minigrad.exercises.checker import main

raise SystemExit(main())
