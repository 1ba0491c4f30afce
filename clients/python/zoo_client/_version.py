"""Version of the ``d2l-zoo-client`` distribution (read statically by setuptools)."""

__version__ = "0.1.0"
