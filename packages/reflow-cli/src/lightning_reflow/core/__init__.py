"""The LightningReflow Python API: ``LightningReflow().fit(config=...)`` and ``.resume(resume_source=...)``."""

from __future__ import annotations

from lightning_reflow.core.lightning_reflow import LightningReflow, ReflowResult

__all__ = ["LightningReflow", "ReflowResult"]
