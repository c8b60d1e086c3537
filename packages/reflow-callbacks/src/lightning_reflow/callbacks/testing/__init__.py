"""Reusable test doubles for reflow's own tests and for users testing their pause/resume set-up.

A small model with dropout, a dataset that draws random noise per sample, shuffled loaders (plain
or torchdata's ``StatefulDataLoader``), a step-wise LR scheduler and an optional validation loop:
every source of randomness an exact resume must carry over.
"""

from lightning_reflow.callbacks.testing.boring import (
    QUIET_TRAINER,
    NoisyDataModule,
    NoisyModel,
    PauseAtBatch,
    final_weights,
)

__all__ = ["QUIET_TRAINER", "NoisyDataModule", "NoisyModel", "PauseAtBatch", "final_weights"]
