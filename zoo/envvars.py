"""Reading numeric settings from environment variables, with validation and clear errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def env_number(name: str, default: N | None, *, minimum: N, cast: Callable[[str], N]) -> N | None:
    """``cast(os.environ[name])``, or ``default`` when unset or empty.

    Raises:
        ValueError: naming the variable, when the value does not parse or is below ``minimum``.
    """
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = cast(raw)
    except ValueError as e:
        kind = "an integer" if cast is int else "a number"
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from e
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value
