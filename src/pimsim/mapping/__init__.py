"""Workload ops -> per-channel programs of macro-commands (pure data: computes no time)."""
