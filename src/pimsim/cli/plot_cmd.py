"""``pimsim plot DIR``: redraw the figures of a run or comparison folder from its saved tables."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
from pathlib import Path

import pandas as pd

from pimsim.errors import PimsimError
from pimsim.report.compare import redraw
from pimsim.report.figures import run_figures
from pimsim.report.sweep_figures import sweep_figures


def register(sub) -> None:
    p = sub.add_parser("plot", help=COMMANDS["plot"][1])
    p.add_argument("folder", help="a run, comparison or sweep folder (its tables are read; figures/ is rewritten)")
    p.set_defaults(func=run)


def run(args) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise PimsimError("not a folder", where=str(folder))
    try:
        if (folder / "compare.csv").exists():
            paths = redraw(folder)
        elif (folder / "summary.json").exists() and (folder / "tokens.csv").exists():
            paths = run_figures(json.loads((folder / "summary.json").read_text()), pd.read_csv(folder / "tokens.csv"),
                                folder)
        elif (folder / "results.csv").exists() and (folder / "sweep.json").exists():
            paths = sweep_figures(folder)
        else:
            raise PimsimError("holds no pimsim tables (compare.csv, or summary.json and tokens.csv)",
                              where=str(folder))
    except (KeyError, ValueError, pd.errors.ParserError) as exc:
        raise PimsimError(f"its tables are not what pimsim writes ({exc.__class__.__name__}: {exc})",
                          where=str(folder)) from None
    for p in paths:
        print(p)
    return 0
