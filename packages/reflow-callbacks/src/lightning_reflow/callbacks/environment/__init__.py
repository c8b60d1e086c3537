"""Environment variables that follow the run: applied early, recorded in checkpoints, restored on resume.

The functions import neither torch nor Lightning (the CLI calls them before building anything);
``EnvironmentCallback`` is loaded on first use.
"""

from __future__ import annotations

from lightning_reflow.callbacks.environment.apply_environment import apply_environment, restore_environment
from lightning_reflow.callbacks.environment.config_lookup import checkpoint_environment, env_vars_from_config
from lightning_reflow.utils.lazy_exports import lazy_exports

__all__ = [
    "EnvironmentCallback",
    "apply_environment",
    "checkpoint_environment",
    "env_vars_from_config",
    "restore_environment",
]


__getattr__, __dir__ = lazy_exports(
    __name__, {"EnvironmentCallback": "lightning_reflow.callbacks.environment.environment_callback"}
)
