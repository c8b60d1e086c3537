"""Core callbacks and the small interfaces reflow callbacks use to find each other."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CallbackConfigMixin": "lightning_reflow.callbacks.core.config_mixin",
    "ConfigEmbeddingCallback": "lightning_reflow.callbacks.core.config_embedding",
    "MemoryCleanupCallback": "lightning_reflow.callbacks.core.memory_cleanup",
    "PauseStatus": "lightning_reflow.callbacks.core.protocols",
    "PauseStatusProvider": "lightning_reflow.callbacks.core.protocols",
    "CheckpointUploader": "lightning_reflow.callbacks.core.protocols",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
