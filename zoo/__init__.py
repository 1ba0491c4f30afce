"""Shared library of the D2L model zoo: artifacts, runtime, numpy ops and per-family processing.

Importing ``zoo`` (or ``zoo.<family>.processing``) never imports torch; only the
``model.py`` modules do, and only training and export import those.
"""

from __future__ import annotations

__version__ = "0.1.0"
