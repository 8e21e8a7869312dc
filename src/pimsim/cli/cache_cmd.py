"""``pimsim cache info|clear``: where the result cache is, what it holds; empty it."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json

from pimsim.cache.store import ENV_DIR, ResultCache


def register(sub) -> None:
    p = sub.add_parser("cache", help=COMMANDS["cache"][1],
                       description=f"The result cache shared by run, compare, sweep and the Python API: "
                                   f"${ENV_DIR} if set, else $XDG_CACHE_HOME/pimsim, else ~/.cache/pimsim.")
    p.add_argument("action", choices=("info", "clear"), help="info: location, entries, size; clear: remove every entry")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    cache = ResultCache()
    if args.action == "clear":
        out = {"path": str(cache.root), "removed": cache.clear()}
        text = f"removed {out['removed']} entries from {out['path']}"
    else:
        out = cache.info()
        versions = ", ".join(f"{n} of pimsim {v}" for v, n in out["versions"].items()) or "none"
        text = (f"result cache {out['path']}: {out['entries']} entries, {out['bytes'] / 1024:.1f} KiB "
                f"({versions}); set ${ENV_DIR} to move it")
    print(json.dumps(out) if args.json else text)
    return 0
