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
