"""LightningReflow: pause anywhere, resume exactly, for PyTorch Lightning.

This is the shared namespace of the reflow distributions. ``reflow-callbacks`` owns it and
extends ``__path__`` so that ``reflow-cli``, ``reflow-wandb`` and ``reflow-launch`` can add their
subpackages; nothing heavy is imported here, so ``lightning_reflow.launch`` starts without torch.
"""

from __future__ import annotations

from pkgutil import extend_path
from typing import Any

__path__ = extend_path(__path__, __name__)

__all__ = ["LightningReflow"]


def __getattr__(name: str) -> Any:
    if name == "LightningReflow":
        try:
            from lightning_reflow.core import LightningReflow
        except ModuleNotFoundError as err:
            raise ImportError(
                "`LightningReflow` is provided by the `reflow-cli` distribution, which is misspelled or not "
                "installed: `pip install reflow-cli`."
            ) from err
        return LightningReflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
