"""W&B integration of LightningReflow (filled by the reflow-wandb work)."""
