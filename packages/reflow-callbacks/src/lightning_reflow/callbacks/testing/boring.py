"""Test doubles: a model and data with every kind of randomness an exact resume must carry over."""

from __future__ import annotations

import os
import signal
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn
from torch.utils.data import DataLoader, Dataset
from typing_extensions import override

QUIET_TRAINER: dict[str, Any] = {
    "logger": False,
    "enable_checkpointing": False,
    "enable_progress_bar": False,
    "enable_model_summary": False,
}
"""``Trainer`` arguments for tests: no logger, no ModelCheckpoint, no bar, no model summary."""


class _NoisyDataset(Dataset):
    def __init__(self, x: torch.Tensor, y: torch.Tensor, noise: float) -> None:
        self.x, self.y, self.noise = x, y, noise

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        # Augmentation from the global RNG (or the worker's): the data order AND the RNG must match.
        return self.x[index] + self.noise * torch.randn_like(self.x[index]), self.y[index]


class NoisyModel(pl.LightningModule):
    """A regression MLP with dropout, SGD with momentum and a per-step LR schedule."""

    def __init__(self, in_features: int = 8, hidden: int = 16, lr: float = 0.01, dropout: float = 0.2) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.Dropout(dropout), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @override
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("loss", loss, prog_bar=True)
        return loss

    @override
    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self(x), y), prog_bar=True)

    @override
    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.9)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


class NoisyDataModule(pl.LightningDataModule):
    """Synthetic regression data; shuffled train loader (plain or stateful), optional validation.

    Args:
        size: number of training samples.
        batch_size: batch size.
        stateful: use torchdata's ``StatefulDataLoader`` for training.
        validation: provide a validation loader.
        num_workers: loader worker processes.
        noise: per-sample augmentation noise drawn from the RNG.
    """

    def __init__(
        self,
        size: int = 48,
        batch_size: int = 4,
        stateful: bool = False,
        validation: bool = True,
        num_workers: int = 0,
        noise: float = 0.1,
    ) -> None:
        super().__init__()
        self.size, self.batch_size, self.stateful = size, batch_size, stateful
        self.validation, self.num_workers, self.noise = validation, num_workers, noise
        generator = torch.Generator().manual_seed(1234)
        self.x = torch.randn(size + 16, 8, generator=generator)
        self.y = self.x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(size + 16, 1, generator=generator)

    @override
    def train_dataloader(self) -> Any:
        dataset = _NoisyDataset(self.x[: self.size], self.y[: self.size], self.noise)
        if self.stateful:
            from torchdata.stateful_dataloader import StatefulDataLoader

            return StatefulDataLoader(dataset, batch_size=self.batch_size, shuffle=True, num_workers=self.num_workers)
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=True, num_workers=self.num_workers)

    @override
    def val_dataloader(self) -> Any:
        if not self.validation:
            return []
        return DataLoader(_NoisyDataset(self.x[self.size :], self.y[self.size :], 0.0), batch_size=8, shuffle=True)


class PauseAtBatch(Callback):
    """Sends the pause signal (or writes the pause file) to this process at a given global batch.

    The request arrives like a real one, from outside the training step; the pause itself happens
    at the next safe point.

    Args:
        batch: global training batch (counted across epochs, from 0) after which to send it.
        how: ``"signal"`` (SIGUSR1 to this process), ``"file"`` (``PAUSE`` in ``checkpoint_dir``),
            ``"sigterm"`` or ``"during_validation"`` (the signal during the first validation batch
            after ``batch``).
        checkpoint_dir: where the ``PAUSE`` file goes, for ``how="file"``.
    """

    def __init__(self, batch: int, how: str = "signal", checkpoint_dir: str = "pause_checkpoints") -> None:
        super().__init__()
        self.batch, self.how, self.checkpoint_dir = batch, how, checkpoint_dir
        self.sent = False
        self._seen = 0

    def _send(self) -> None:
        self.sent = True
        if self.how == "file":
            os.makedirs(self.checkpoint_dir, exist_ok=True)
            with open(os.path.join(self.checkpoint_dir, "PAUSE"), "w") as handle:
                handle.write("pause\n")
        else:
            os.kill(os.getpid(), signal.SIGTERM if self.how == "sigterm" else signal.SIGUSR1)

    @override
    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        self._seen += 1
        if not self.sent and self.how != "during_validation" and self._seen > self.batch:
            self._send()

    @override
    def on_validation_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if (
            not self.sent
            and self.how == "during_validation"
            and self._seen > self.batch
            and not trainer.sanity_checking
        ):
            self._send()


def final_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's parameters and buffers."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
