"""Repeatable performance scripts (issue 8): `make bench`, or `python -m benchmarks.<name>`."""
