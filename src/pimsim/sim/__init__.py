"""Builds the PIM-GPT system from a config, runs instruction streams on it, collects results."""
