"""Seed import path for WandbArtifactCheckpoint (filled by the reflow-wandb work)."""
