"""A content-addressed store of run records, keyed by ``run_hash`` (pimsim.config.hashes).

Location: ``$PIMSIM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/pimsim``, else ``~/.cache/pimsim``;
an entry is ``<root>/runs/<first two hex digits>/<run_hash>.json`` holding the run's metrics, its
per-op and per-pass rows, and the hash again. The key covers the resolved hardware config, the
resolved workload, the op trace and the pimsim version, so an entry is never stale: a new version
or any changed parameter is a new key.

Writes are atomic: a uniquely named temporary file in the entry's folder, flushed, then
``os.replace``d onto the name. Two processes writing the same point (sweep workers, two sweeps,
a sweep and a ``run``) each replace the name with a whole file of the same content, and a reader
only ever sees a whole file. An entry that cannot be read, or whose hash does not match its name,
is a miss and is overwritten.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Optional, Union

ENV_DIR = "PIMSIM_CACHE_DIR"
RUNS = "runs"


def default_dir() -> Path:
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pimsim"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the name only ever holds a whole file (safe under
    concurrent writers of the same name: each has its own temporary file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class ResultCache:
    """Run records by ``run_hash``; ``root`` None: the default location."""

    def __init__(self, root: Union[str, Path, None] = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_dir()

    def path(self, run_hash: str) -> Path:
        return self.root / RUNS / run_hash[:2] / f"{run_hash}.json"

    def get(self, run_hash: str) -> Optional[dict[str, Any]]:
        """The record stored under ``run_hash``, or None."""
        try:
            record = json.loads(self.path(run_hash).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("run_hash") != run_hash:
            return None
        return record

    def put(self, run_hash: str, record: dict[str, Any]) -> None:
        path = self.path(run_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({**record, "run_hash": run_hash}) + "\n")  # key order is kept: it is the files' column order

    def entries(self) -> list[Path]:
        return sorted((self.root / RUNS).glob("*/*.json"))

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries it holds and their size, by pimsim version."""
        entries = self.entries()
        versions: Counter = Counter()
        for path in entries:
            try:
                versions[json.loads(path.read_text(encoding="utf-8"))["metrics"]["pimsim"]] += 1
            except (OSError, ValueError, KeyError, TypeError):
                versions["unreadable"] += 1
        return {"path": str(self.root), "entries": len(entries), "bytes": sum(p.stat().st_size for p in entries),
                "versions": dict(sorted(versions.items()))}

    def clear(self) -> int:
        """Remove every entry (and stray temporary files); returns how many entries were removed."""
        entries = self.entries()
        for path in entries:
            path.unlink(missing_ok=True)
        for stray in (self.root / RUNS).glob("*/.*.tmp"):
            stray.unlink(missing_ok=True)
        for folder in (self.root / RUNS).glob("*"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return len(entries)
