"""ConfigEmbeddingCallback: the resolved training config inside every checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import yaml
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from lightning_reflow.utils.checkpoint.metadata import fill_run_metadata


class ConfigEmbeddingCallback(Callback):
    """Embed the run's fully resolved config (and run metadata) in every checkpoint the run writes.

    ``reflow-cli`` adds it with the config it parsed, captured in memory at start; pause, periodic
    and emergency checkpoints all go through ``on_save_checkpoint`` and so all carry it. Read it back
    with :func:`lightning_reflow.utils.checkpoint.extract_embedded_config`.

    Args:
        config: the config as a YAML string or a mapping (dumped to YAML), or ``None``.
        extra: further keys for the checkpoint's reflow section (e.g. ``{"cli": {...}}``); plain
            types only, so that ``torch.load(weights_only=True)`` reads them.

    Raises:
        ValueError: ``config`` is neither a string, a mapping nor ``None``.
    """

    def __init__(self, config: str | Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        if config is not None and not isinstance(config, (str, Mapping)):
            raise ValueError(
                f"ConfigEmbeddingCallback(config=<{type(config).__name__}>) takes a YAML string, a mapping or None."
            )
        self.config = yaml.safe_dump(dict(config), sort_keys=False) if isinstance(config, Mapping) else config
        self.extra = dict(extra or {})

    @override
    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        section = fill_run_metadata(trainer, checkpoint)
        if self.config is not None:
            section["config"] = self.config
        for key, value in self.extra.items():
            section.setdefault(key, value)
