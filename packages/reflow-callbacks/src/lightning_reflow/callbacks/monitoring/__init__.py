"""Training monitoring: the progress bar that tells the truth about steps, validation and pauses."""

from __future__ import annotations

from typing import Any

__all__ = ["FlowProgressBarCallback"]


def __getattr__(name: str) -> Any:
    if name == "FlowProgressBarCallback":
        from lightning_reflow.callbacks.monitoring.flow_progress_bar import FlowProgressBarCallback

        return FlowProgressBarCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
