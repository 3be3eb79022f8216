"""Baselines that char-lstm and friends are measured against (not generators of the benchmark)."""
