"""Side-by-side benchmarks: ``python -m bench`` (``--quick`` for the CI guard)."""
