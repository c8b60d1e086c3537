"""The LightningReflow Python API (filled by the reflow-cli work)."""
