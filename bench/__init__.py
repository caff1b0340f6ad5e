"""Carenotes benchmark suite: `python -m bench` (see docs/bench/results.md)."""
