"""Process-level fault tests (slow) and the metrics endpoint."""
