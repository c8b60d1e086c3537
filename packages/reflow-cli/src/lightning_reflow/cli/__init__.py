"""The `reflow` command and LightningReflowCLI (filled by the reflow-cli work)."""
