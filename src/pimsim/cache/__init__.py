"""The result cache: one content-addressed store of simulated runs, shared by ``pimsim run``,
``compare``, ``sweep`` and the Python API (store.py: where and how entries are kept; runs.py: a
simulation that looks there first)."""
