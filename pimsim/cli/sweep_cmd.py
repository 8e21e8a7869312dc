"""``pimsim sweep SWEEP.yaml``: design-space sweeps (local processes or a Dask cluster)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run a design-space sweep")
    p.set_defaults(func=lambda args: p.print_help() or 2)
