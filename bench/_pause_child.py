"""Child process of pause_latency.py: trains a mid-sized MLP until paused, printing step times."""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_reflow.callbacks import PauseCallback

warnings.filterwarnings("ignore")
WIDTH = int(sys.argv[2]) if len(sys.argv) > 2 else 1024


class Mlp(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            *[nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU()) for _ in range(4)], nn.Linear(WIDTH, 1)
        )

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=1e-4)


class Steps(Callback):
    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        print(f"STEP {trainer.global_step} {time.time():.6f}", flush=True)


def loader() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64 * 400, WIDTH, generator=g)
    return DataLoader(TensorDataset(x, x[:, :1]), batch_size=64, shuffle=True)


def trainer(callbacks: list[Callback], steps: int) -> pl.Trainer:
    return pl.Trainer(
        max_steps=steps,
        accelerator="cpu",
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


if __name__ == "__main__":
    pl.seed_everything(0, verbose=False)
    trainer([PauseCallback(checkpoint_dir=sys.argv[1]), Steps()], 100_000).fit(Mlp(), loader())
