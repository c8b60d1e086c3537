"""Callbacks of LightningReflow.

Other reflow distributions add subpackages here (``reflow-wandb`` adds ``callbacks.wandb``), so the
package path is extended like the namespace root. Names are resolved lazily: importing
``lightning_reflow.callbacks`` does not import every callback's dependencies.
"""

from __future__ import annotations

import importlib
from pkgutil import extend_path
from typing import Any

__path__ = extend_path(__path__, __name__)

_EXPORTS = {
    "PauseCallback": "lightning_reflow.callbacks.pause.pause_callback",
    "PauseExit": "lightning_reflow.callbacks.pause.pause_callback",
    "PauseOutcome": "lightning_reflow.callbacks.pause.pause_callback",
    "EXIT_PAUSED": "lightning_reflow.callbacks.pause.pause_callback",
    "FlowProgressBarCallback": "lightning_reflow.callbacks.monitoring.flow_progress_bar",
    "EnvironmentCallback": "lightning_reflow.callbacks.environment.environment_callback",
    "MemoryCleanupCallback": "lightning_reflow.callbacks.core.memory_cleanup",
    "ConfigEmbeddingCallback": "lightning_reflow.callbacks.core.config_embedding",
    "CallbackConfigMixin": "lightning_reflow.callbacks.core.config_mixin",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
