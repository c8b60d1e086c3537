"""Under 2-rank DDP (CPU, gloo) a pause requested on rank 1 stops both ranks; only rank 0 uploads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lightning_reflow.wandb.offline_records import offline_run_dirs, recorded_artifacts


def test_ddp_pause_with_upload_publishes_once_from_rank_zero(wandb_env: Path, tmp_path: Path) -> None:
    script = Path(__file__).with_name("ddp_pause_script.py")
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "run")],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 75, result.stderr[-3000:]
    (run,) = offline_run_dirs(tmp_path / "run")  # one W&B run: rank 1 never starts one
    records = recorded_artifacts(run, wait=30)
    assert [sorted(r.aliases) for r in records] == [["epoch-0", "latest"], ["latest", "paused"]]
    paused = records[-1].metadata
    (checkpoint,) = (tmp_path / "run" / "pause").glob("pause-*.ckpt")
    assert paused["reason"] == "pause" and paused["details"]["source_file"] == checkpoint.name
    assert checkpoint.name.endswith(f"-step={paused['global_step']}.ckpt") and paused["global_step"] > 4
    assert not list((tmp_path / "run" / "ckpt").glob("emergency-*"))
