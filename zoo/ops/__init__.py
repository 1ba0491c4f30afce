"""Numpy-only operations shared by every family (no torch)."""
