"""`python -m stackpick` runs the CLI."""

from stackpick.cli import main

raise SystemExit(main())
