"""Config helpers shared by the reflow distributions (other distributions may add modules here)."""

from pkgutil import extend_path

from lightning_reflow.utils.config.secrets import is_secret, is_secret_name, mask_secrets

__path__ = extend_path(__path__, __name__)

__all__ = ["is_secret", "is_secret_name", "mask_secrets"]
