"""reflow-launch: build the trainer image and run ``reflow fit``/``reflow resume`` in containers.

The launcher needs neither torch nor Lightning: it talks to the trainer only through argv,
environment, mounted files, exit statuses and signals. The command is ``reflow-launch``
(:func:`lightning_reflow.launch.cli.main`); the pieces below are its public building blocks.
"""

from __future__ import annotations

from lightning_reflow.launch.errors import LaunchError
from lightning_reflow.launch.gpus import GpuInventory, GpuRequest
from lightning_reflow.launch.host import Host
from lightning_reflow.launch.image_recipe import ImageRecipe
from lightning_reflow.launch.launch_plan import ContainerSpec, LaunchPlan
from lightning_reflow.launch.run_record import RunRecord, RunStore

__all__ = [
    "ContainerSpec",
    "GpuInventory",
    "GpuRequest",
    "Host",
    "ImageRecipe",
    "LaunchError",
    "LaunchPlan",
    "RunRecord",
    "RunStore",
]
