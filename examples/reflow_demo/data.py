"""Synthetic, deterministic classification data: spirals in a few dimensions plus noise."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


def make_dataset(num_samples: int, num_features: int, num_classes: int, seed: int) -> TensorDataset:
    """Points on ``num_classes`` interleaved spiral arms, embedded in ``num_features`` dimensions."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (num_samples,), generator=generator)
    radius = torch.rand(num_samples, generator=generator)
    angle = radius * 4.0 + labels.float() * (2 * torch.pi / num_classes)
    plane = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    projection = torch.randn(2, num_features, generator=generator)
    features = plane @ projection + 0.05 * torch.randn(num_samples, num_features, generator=generator)
    return TensorDataset(features, labels)


class DemoDataModule(pl.LightningDataModule):
    """Train and validation splits of the synthetic spirals; the train split is reshuffled every epoch.

    Args:
        num_samples: size of the train split (validation is a quarter of it).
        num_features: input dimension.
        num_classes: number of spiral arms.
        batch_size: batch size of both loaders.
        data_seed: seed of the data itself (the shuffling follows the global seed).
    """

    def __init__(
        self,
        num_samples: int = 2048,
        num_features: int = 8,
        num_classes: int = 3,
        batch_size: int = 32,
        data_seed: int = 1234,
    ) -> None:
        super().__init__()
        if num_samples < batch_size:
            raise ValueError(f"DemoDataModule(num_samples={num_samples}) must be at least batch_size={batch_size}.")
        self.save_hyperparameters()
        self.num_features = num_features
        self.num_classes = num_classes

    def setup(self, stage: str) -> None:
        hp = self.hparams
        self.train_set = make_dataset(hp.num_samples, hp.num_features, hp.num_classes, hp.data_seed)
        self.val_set = make_dataset(hp.num_samples // 4, hp.num_features, hp.num_classes, hp.data_seed + 1)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_set, batch_size=self.hparams.batch_size)
