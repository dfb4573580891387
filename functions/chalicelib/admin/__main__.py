"""`python -m chalicelib.admin` is `motcua` (the console script), for a venv not on PATH."""

from chalicelib.admin.cli import main

raise SystemExit(main())
