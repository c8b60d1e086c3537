"""Core callbacks and the small interfaces reflow callbacks use to find each other."""

from __future__ import annotations

from lightning_reflow.utils.lazy_exports import lazy_exports

_EXPORTS = {
    "CallbackConfigMixin": "lightning_reflow.callbacks.core.config_mixin",
    "ConfigEmbeddingCallback": "lightning_reflow.callbacks.core.config_embedding",
    "MemoryCleanupCallback": "lightning_reflow.callbacks.core.memory_cleanup",
    "PauseStatus": "lightning_reflow.callbacks.core.protocols",
    "PauseStatusProvider": "lightning_reflow.callbacks.core.protocols",
    "CheckpointUploader": "lightning_reflow.callbacks.core.protocols",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
