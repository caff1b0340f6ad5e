"""`python -m bench`: runs the scenarios and writes docs/bench/."""

from bench.cli import main

raise SystemExit(main())
