"""The benchmark suite: `.venv/bin/python -m benchmarks` (see README, "Performance")."""
