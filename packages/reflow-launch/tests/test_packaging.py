"""The launcher works from its wheel: everything it needs at run time ships inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from _launching import REPO


def test_wheel_carries_the_entry_shim_and_no_namespace_init(tmp_path: Path) -> None:
    package = REPO / "packages" / "reflow-launch"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(package)],
                   check=True, capture_output=True)  # fmt: skip
    (wheel,) = tmp_path.glob("reflow_launch-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert {
        "lightning_reflow/launch/_entry.py",
        "lightning_reflow/launch/py.typed",
        "lightning_reflow/launch/cli.py",
    } <= names
    assert "lightning_reflow/__init__.py" not in names  # the namespace root belongs to reflow-callbacks
    assert "reflow-launch = lightning_reflow.launch.cli:main" in scripts
