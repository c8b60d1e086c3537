"""Scenario across packages: the README's demo (reflow-cli + reflow-callbacks + examples/).

`reflow fit` on the demo config, paused by SIGUSR1 from outside mid-epoch, resumed with the command
the pause printed, ends with weights bitwise identical to an uninterrupted run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_pauses_by_signal_and_resumes_exactly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_demo.py"), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "exit status 75 (paused)" in done.stdout
    assert "bitwise identical to the uninterrupted run" in done.stdout
    resume_log = (tmp_path / "paused" / "resume.log").read_text()
    assert "Restored all states from the checkpoint" in resume_log
    # the resume ran from the checkpoint alone: the pause record's command names no config file
    record = (tmp_path / "paused" / "runs" / "pause_checkpoints" / "last-pause.json").read_text()
    assert "--config" not in record
