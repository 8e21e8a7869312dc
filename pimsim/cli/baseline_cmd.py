"""``pimsim baseline measure-cpu | measure-gpu``: measured GPU/CPU baselines."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("baseline", help="measure CPU/GPU baselines")
    p.set_defaults(func=lambda args: p.print_help() or 2)
