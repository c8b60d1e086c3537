"""A training script driven by the process-level tests: prints each step, saves final weights.

Usage: train.py CKPT_DIR OUT [--resume PATH] [--ddp] [--early-signal] [--step-sleep S] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

from lightning_reflow.callbacks import PauseCallback, PauseExit
from lightning_reflow.callbacks.pause import install_early_signal_handlers
from lightning_reflow.callbacks.testing import QUIET_TRAINER, NoisyDataModule, NoisyModel, final_weights

warnings.filterwarnings("ignore")


class Announce(Callback):
    def __init__(self, sleep: float, pid_dir: str) -> None:
        self.sleep, self.pid_dir = sleep, pid_dir

    def on_train_start(self, trainer: pl.Trainer, *args: Any) -> None:
        with open(os.path.join(self.pid_dir, f"rank{trainer.global_rank}.pid"), "w") as handle:
            handle.write(str(os.getpid()))

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        # one write per line: both DDP ranks share the pipe, and print() writes the newline separately
        sys.stdout.write(f"STEP {trainer.global_step} RANK {trainer.global_rank}\n")
        sys.stdout.flush()
        time.sleep(self.sleep)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt_dir")
    parser.add_argument("out")
    parser.add_argument("--resume")
    parser.add_argument("--ddp", action="store_true")
    parser.add_argument("--early-signal", action="store_true")
    parser.add_argument("--step-sleep", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.early_signal:
        install_early_signal_handlers()
        os.kill(os.getpid(), signal.SIGUSR1)  # before any trainer exists: must be remembered
    pl.seed_everything(7, verbose=False)
    model, data = NoisyModel(), NoisyDataModule()
    ddp = {"strategy": "ddp", "devices": 2} if args.ddp else {"devices": 1}
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        callbacks=[PauseCallback(checkpoint_dir=args.ckpt_dir), Announce(args.step_sleep, args.ckpt_dir)],
        **QUIET_TRAINER,
        deterministic=True,
        **ddp,
    )
    try:
        trainer.fit(model, data, ckpt_path=args.resume)  # a pause leaves through PauseExit: exit status 75
    except PauseExit:
        # every rank records where it stopped (the test compares them with the checkpoint)
        with open(os.path.join(args.ckpt_dir, f"stopped-rank{trainer.global_rank}.json"), "w") as handle:
            json.dump({"global_step": trainer.global_step}, handle)
        raise
    if trainer.is_global_zero:
        torch.save(final_weights(model), args.out)
    sys.exit(0)


if __name__ == "__main__":
    main()
