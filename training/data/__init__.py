"""Offline dataset readers (numpy only)."""
