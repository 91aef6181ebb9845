"""Benchmarks: hot path of the generated helpers, generation time, memory (``make bench``)."""
