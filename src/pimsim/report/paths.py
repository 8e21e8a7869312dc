"""Where a command will write, checked before any long work starts: a clear one-line error naming the
option, rather than a traceback after the simulation."""

from __future__ import annotations

import os
from pathlib import Path

from pimsim.errors import PimsimError


def check_folder(path: str | Path, option: str) -> Path:
    """A folder a command will write into: an existing writable folder, or one that can be created
    (tried, then removed again, so that nothing is left behind if the command fails later)."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise PimsimError(f"{path} exists and is not a folder", where=option)
        if not os.access(path, os.W_OK):
            raise PimsimError(f"{path} is not writable", where=option)
        return path
    missing = [p for p in [path.absolute(), *path.absolute().parents] if not p.exists()]
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise PimsimError(f"cannot create {path} ({exc.strerror or exc})", where=option) from None
    for made in missing:  # deepest first
        made.rmdir()
    return path


def check_file(path: str | Path, option: str) -> Path:
    """A file a command will write: its folder must exist and be writable; the path no folder."""
    path = Path(path)
    if path.is_dir():
        raise PimsimError(f"{path} is a folder, expected a file name", where=option)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PimsimError(f"folder {folder} does not exist", where=option)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PimsimError(f"{path} is not writable", where=option)
    return path
