"""Benchmarks: scripts run from the repository root (`python bench/accuracy.py`); importable for tests."""
