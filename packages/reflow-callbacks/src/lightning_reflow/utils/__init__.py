"""Utilities of LightningReflow (checkpoint and config helpers); other distributions may extend it."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
