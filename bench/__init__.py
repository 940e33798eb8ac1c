"""Benchmarks: plain scripts, each runnable as `python -m bench.<name>`."""
