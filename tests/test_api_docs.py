"""docs/api.md's examples run as written, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_every_example_in_the_api_docs_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    out = capsys.readouterr().out
    assert "ms/token" in out and "did you mean mac_lanes?" in out


def test_importing_pimsim_loads_no_simulator_until_it_is_used():
    import subprocess
    import sys

    code = "import sys, pimsim; print(any(m.startswith('pimsim.sim') or m == 'pandas' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_the_api_functions_are_not_shadowed_by_subpackages_once_everything_is_imported():
    import importlib
    import pkgutil

    import pimsim

    for info in pkgutil.walk_packages(pimsim.__path__, "pimsim."):
        if not info.name.startswith(("pimsim.cli", "pimsim.__main__")):
            importlib.import_module(info.name)
    for name in ("simulate", "compare", "sweep", "trace", "load_hw"):
        assert callable(getattr(pimsim, name)) and not hasattr(getattr(pimsim, name), "__path__"), name
