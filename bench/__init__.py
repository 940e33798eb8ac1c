"""Benchmarks: scripts that measure, not tests. See each module's docstring."""
