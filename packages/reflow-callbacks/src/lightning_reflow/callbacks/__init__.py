"""Callbacks of LightningReflow.

Other reflow distributions add subpackages here (``reflow-wandb`` adds ``callbacks.wandb``), so the
package path is extended like the namespace root. Names are resolved lazily: importing
``lightning_reflow.callbacks`` does not import every callback's dependencies.
"""

from __future__ import annotations

from pkgutil import extend_path

from lightning_reflow.utils.lazy_exports import lazy_exports

__path__ = extend_path(__path__, __name__)

_EXPORTS = {
    "PauseCallback": "lightning_reflow.callbacks.pause.pause_callback",
    "PauseExit": "lightning_reflow.callbacks.pause.pause_exit",
    "PauseOutcome": "lightning_reflow.callbacks.pause.pause_exit",
    "EXIT_PAUSED": "lightning_reflow.callbacks.pause.pause_exit",
    "FlowProgressBarCallback": "lightning_reflow.callbacks.monitoring.flow_progress_bar",
    "EnvironmentCallback": "lightning_reflow.callbacks.environment.environment_callback",
    "MemoryCleanupCallback": "lightning_reflow.callbacks.core.memory_cleanup",
    "ConfigEmbeddingCallback": "lightning_reflow.callbacks.core.config_embedding",
    "CallbackConfigMixin": "lightning_reflow.callbacks.core.config_mixin",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
