"""EnvironmentCallback: the environment variables of a run, applied early, recorded, and restored on resume."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from lightning_reflow.callbacks.environment.apply_environment import (
    apply_environment,
    check_merge_strategy,
    normalise_env_vars,
    restore_environment,
)
from lightning_reflow.utils.checkpoint import reflow_section
from lightning_reflow.utils.config.secrets import mask_secrets


class EnvironmentCallback(Callback):
    """Set environment variables for a run, record them in its checkpoints, and restore them on resume.

    Precedence: the command line and config (``env_vars``) > the checkpoint being resumed > the existing
    process environment. Variables are applied

    - when the callback is constructed: with a plain ``Trainer`` this is before the ``Trainer`` exists,
      so before Lightning looks for devices; anything your script did before (importing a model that
      allocates on CUDA) is not covered, so build the callback first;
    - by the reflow CLI before it instantiates any class from the config (it calls
      :func:`~lightning_reflow.callbacks.environment.apply_environment` with the config's and the
      checkpoint's variables), so neither the model, the data nor the Trainer can see CUDA first;
    - again in ``setup`` on every rank (so ``ddp_spawn`` ranks and ranks started by another launcher get
      them), and in ``load_state_dict`` when resuming, with the checkpoint's variables below the config's.

    Checkpoints record the applied variables in ``checkpoint["lightning_reflow"]["environment"]`` and in
    this callback's state; a variable whose name looks secret (see
    :func:`lightning_reflow.utils.config.is_secret_name`) is recorded with the value ``None``: on
    resume it is never invented, and a warning names it when it is unset. At ``teardown`` every variable
    this callback changed gets back the value it had before.

    Args:
        env_vars: variables to set, e.g. ``{"PYTORCH_CUDA_ALLOC_CONF": "max_split_size_mb:128"}``;
            numbers and booleans are written as strings (``false`` as ``"false"``). ``None``: set
            nothing, only restore what a resumed checkpoint recorded.
        merge_strategy: ``"override"``: a higher-precedence value replaces a lower one whole;
            ``"merge"``: ``key:value`` lists (``PYTORCH_CUDA_ALLOC_CONF``) are joined key by key, the
            higher-precedence value winning each key.

    Raises:
        ValueError: a name or value is malformed, or ``merge_strategy`` is not one of the two choices.
    """

    def __init__(
        self,
        env_vars: dict[str, str | int | float | bool] | None = None,
        merge_strategy: str = "override",
    ) -> None:
        super().__init__()
        self.env_vars = normalise_env_vars(env_vars, what="EnvironmentCallback(env_vars=...)")
        self.merge_strategy = check_merge_strategy(merge_strategy)
        self._checkpoint_env: dict[str, str | None] = {}
        self._applied: dict[str, str] = {}
        self.apply()

    def apply(self, checkpoint_env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """Apply ``env_vars`` (and ``checkpoint_env`` below them) to ``os.environ``; return what was set."""
        if checkpoint_env is not None:
            self._checkpoint_env.update(checkpoint_env)
        applied = apply_environment(
            self.env_vars, checkpoint_env=self._checkpoint_env or None, merge_strategy=self.merge_strategy
        )
        self._applied.update(applied)
        return applied

    @property
    def recorded_environment(self) -> dict[str, str | None]:
        """What checkpoints record: the applied variables, secrets (and unset secrets resumed) as ``None``."""
        recorded: dict[str, str | None] = {name: None for name, value in self._checkpoint_env.items() if value is None}
        recorded.update(self._applied)
        return mask_secrets(recorded)

    @override
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.apply()

    @override
    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        restore_environment([*self._applied, *self._checkpoint_env])
        self._applied.clear()
        self._checkpoint_env.clear()

    @override
    def state_dict(self) -> dict[str, Any]:
        return {"environment": self.recorded_environment, "merge_strategy": self.merge_strategy}

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.apply(checkpoint_env=dict(state_dict.get("environment") or {}))

    @override
    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        reflow_section(checkpoint)["environment"] = self.recorded_environment
