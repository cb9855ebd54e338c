"""The built wheel holds the top-level package and every subpackage, and runs from itself."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_imports_calcgrade_and_its_subpackages_from_itself(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("calcgrade-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "calcgrade = calcgrade.grader.cli:main" in archive.read(entry_points).decode()
    subpackages = [f"calcgrade/grader/{folder}/__init__.py"
                   for folder in ("course", "generation", "grading", "integrations", "sandbox")]
    for name in ("calcgrade/__init__.py", "calcgrade/api.py", "calcgrade/core/__init__.py",
                 "calcgrade/grader/cli_export.py", "calcgrade/grader/integrations/lms.py",
                 "calcgrade/grader/integrations/github.py", "calcgrade/examples/roster.csv",
                 *subpackages):
        assert name in names, name
    site = tmp_path / "site"
    code = ("import calcgrade, calcgrade.core, calcgrade.grader, calcgrade.grader.cli as cli; "
            "print(calcgrade.__file__); print(calcgrade.core.__file__); "
            "print(calcgrade.grader.__file__); print(calcgrade.sample('derivative', 1).family); "
            "cli.main(['--help'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(line.startswith(str(site)) for line in lines[:3]), lines[:3]
    assert lines[3] == "derivative"
    assert "export" in out.stdout and "grade" in out.stdout
