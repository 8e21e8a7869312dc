"""The package lives under src/: a clone in a folder named ``pimsim`` (the working directory's
``pimsim/`` is then a namespace-package candidate) cannot shadow the installed package."""

import subprocess
import sys


def test_a_folder_named_pimsim_in_the_working_directory_does_not_shadow_the_package(tmp_path):
    clone = tmp_path / "pimsim"
    (clone / "src" / "pimsim").mkdir(parents=True)
    (clone / "README.md").write_text("a clone of the repository\n")
    proc = subprocess.run([sys.executable, "-c", "import pimsim; print(pimsim.simulate.__name__)"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "simulate"
