"""The cycle-accurate DRAM core: commands, timing rules, reference engine, refresh, checker.

Knows nothing of GPT, SimPy, pandas or matplotlib, nor where commands come from.
"""
