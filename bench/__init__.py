"""Benchmarks: `make bench` runs bench.run (data from bench.generate)."""
