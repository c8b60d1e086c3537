"""The LightningReflow demo: a small classifier on synthetic data that trains on CPU in seconds.

Importable with ``PYTHONPATH=examples``; configs in ``examples/configs/`` name its classes as
``reflow_demo.DemoModel`` and ``reflow_demo.DemoDataModule``.
"""

from reflow_demo.data import DemoDataModule
from reflow_demo.model import DemoModel

__all__ = ["DemoDataModule", "DemoModel"]
