"""Pauses, then receives the pause signal again while the interpreter tears down (a launcher repeating it).

Exits 75 when the late signal is harmless; 138 (killed by SIGUSR1) when it is not.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
import warnings

import lightning.pytorch as pl

from lightning_reflow.callbacks import PauseCallback
from lightning_reflow.callbacks.testing import QUIET_TRAINER, NoisyDataModule, NoisyModel, PauseAtBatch

warnings.filterwarnings("ignore")


class SlowTeardown:
    def __del__(self) -> None:
        time.sleep(1.5)  # like torch's seconds-long teardown: the late signal lands in here


_keep = SlowTeardown()


def _signal_me_late() -> None:
    subprocess.Popen(["sh", "-c", f"sleep 0.5; kill -USR1 {os.getpid()}"])


if __name__ == "__main__":
    atexit.register(_signal_me_late)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        **QUIET_TRAINER,
        callbacks=[PauseCallback(checkpoint_dir=sys.argv[1]), PauseAtBatch(2)],
    )
    trainer.fit(NoisyModel(), NoisyDataModule())
