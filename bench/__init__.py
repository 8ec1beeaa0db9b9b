"""Benchmarks of vvs, each reported against a ceiling measured in the same run."""
