"""Benchmarks: run by ``scripts/bench``, never by CI's test run."""
