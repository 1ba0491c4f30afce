"""Fixtures for the client SDK tests: a clean environment, no real sleeps, a fake clock."""

from __future__ import annotations

import pytest
from zoo_client import AsyncClient, Client


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZOO_BASE_URL", "ZOO_API_KEY", "ZOO_TIMEOUT", "ZOO_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff sleep, recorded instead of slept (sync and async clients alike)."""
    calls: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        calls.append(seconds)

    monkeypatch.setattr(Client, "_sleep", staticmethod(calls.append))
    monkeypatch.setattr(AsyncClient, "_sleep", staticmethod(fake_async_sleep))
    return calls


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
