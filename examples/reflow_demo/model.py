"""A small MLP classifier with dropout, AdamW and a cosine learning-rate schedule."""

from __future__ import annotations

import time

import lightning.pytorch as pl
import torch
from torch import nn


class DemoModel(pl.LightningModule):
    """An MLP that learns the demo spirals.

    Args:
        num_features: input dimension (matches ``DemoDataModule.num_features``).
        num_classes: number of classes.
        hidden_dim: width of the hidden layers.
        dropout: dropout probability (randomness an exact resume must carry over).
        learning_rate: peak learning rate of AdamW.
        step_delay: seconds to sleep per training step, to make the demo slow enough to pause by hand.
    """

    def __init__(
        self,
        num_features: int = 8,
        num_classes: int = 3,
        hidden_dim: int = 64,
        dropout: float = 0.1,
        learning_rate: float = 0.01,
        step_delay: float = 0.0,
    ) -> None:
        super().__init__()
        if learning_rate <= 0:
            raise ValueError(f"DemoModel(learning_rate={learning_rate}) must be positive.")
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(num_features, hidden_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if self.hparams.step_delay:
            time.sleep(self.hparams.step_delay)
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.learning_rate)
        total = self.trainer.estimated_stepping_batches
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, int(total)))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
