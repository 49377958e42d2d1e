"""Client-overhead benchmarks (issue 6): run with ``python -m benchmarks.run``."""
