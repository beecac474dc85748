"""Benchmarks: speed measured as ratios to a baseline run in the same process tree, never in tests."""
