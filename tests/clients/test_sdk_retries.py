"""Retries: only 408/429/503 and connection errors, bounded by max_retries, backoff or Retry-After."""

from __future__ import annotations

import httpx
import pytest
from zoo_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    GatewayTimeoutError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
)
from zoo_client._client import MAX_RETRY_AFTER, MAX_RETRY_DELAY, retry_delay

from .sdk_helpers import CLASSIFY_JSON, MODELS_JSON, make_client, parse_multipart, sequence

PNG = b"\x89PNG\r\n\x1a\nrest-of-file"


def busy(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": "busy, try again", "code": "overloaded"}, headers=headers)


@pytest.mark.parametrize(
    "failure",
    [
        busy(429),
        busy(503),
        busy(408),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("eof"),
    ],
    ids=["429", "503", "408", "connect", "timeout", "protocol"],
)
def test_retryable_failure_then_success(failure: httpx.Response | Exception, sleeps: list[float]) -> None:
    handler, seen = sequence(failure, httpx.Response(200, json=MODELS_JSON))
    with make_client(handler, max_retries=2) as client:
        assert len(client.models()) == 2
    assert len(seen) == 2 and len(sleeps) == 1


def test_two_failures_then_success_within_budget(sleeps: list[float]) -> None:
    handler, seen = sequence(
        busy(503), httpx.ConnectError("refused"), httpx.Response(200, json=CLASSIFY_JSON)
    )
    with make_client(handler, max_retries=2) as client:
        assert client.classify(PNG).model == "resnet18"
    assert len(seen) == 3 and len(sleeps) == 2
    # The multipart body is rebuilt identically for every attempt.
    assert parse_multipart(seen[0]) == parse_multipart(seen[2])


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (500, InternalServerError),
        (502, InternalServerError),
        (504, GatewayTimeoutError),
        (409, APIStatusError),
    ],
)
def test_no_retry_on_other_statuses(status: int, cls: type[APIStatusError], sleeps: list[float]) -> None:
    handler, seen = sequence(busy(status), httpx.Response(200, json=MODELS_JSON))
    with make_client(handler, max_retries=5) as client, pytest.raises(cls, match="busy, try again"):
        client.models()
    assert len(seen) == 1 and sleeps == []


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_max_retries_is_respected(max_retries: int, sleeps: list[float]) -> None:
    handler, seen = sequence(*[busy(503)] * (max_retries + 1))
    with (
        make_client(handler, max_retries=max_retries) as client,
        pytest.raises(ServiceUnavailableError) as info,
    ):
        client.models()
    assert len(seen) == max_retries + 1 and len(sleeps) == max_retries
    assert info.value.message == "busy, try again" and info.value.code == "overloaded"


def test_exhausted_connection_errors_raise_api_connection_error(sleeps: list[float]) -> None:
    handler, seen = sequence(*[httpx.ConnectError("refused")] * 3)
    with make_client(handler, max_retries=2) as client, pytest.raises(APIConnectionError) as info:
        client.models()
    assert type(info.value) is APIConnectionError and len(seen) == 3


def test_exhausted_timeouts_raise_api_timeout_error(sleeps: list[float]) -> None:
    handler, seen = sequence(*[httpx.ConnectTimeout("slow")] * 2)
    with make_client(handler, max_retries=1) as client, pytest.raises(APITimeoutError):
        client.models()
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("header", "expected"), [("2", 2.0), ("0", 0.0), ("1.5", 1.5), ("3600", MAX_RETRY_AFTER)]
)
def test_numeric_retry_after_is_honoured_and_capped(
    header: str, expected: float, sleeps: list[float]
) -> None:
    handler, _ = sequence(busy(429, **{"Retry-After": header}), httpx.Response(200, json=MODELS_JSON))
    with make_client(handler) as client:
        client.models()
    assert sleeps == [expected]


@pytest.mark.parametrize("header", ["Wed, 21 Oct 2015 07:28:00 GMT", "-5", "soon", "inf", "nan"])
def test_non_numeric_retry_after_falls_back_to_backoff(header: str, sleeps: list[float]) -> None:
    handler, _ = sequence(busy(503, **{"Retry-After": header}), httpx.Response(200, json=MODELS_JSON))
    with make_client(handler) as client:
        client.models()
    assert 0.375 <= sleeps[0] <= 0.5


def test_backoff_is_exponential_with_jitter_and_capped(sleeps: list[float]) -> None:
    assert [retry_delay(n, rand=lambda: 0.0) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert [retry_delay(n, rand=lambda: 0.999999) for n in range(2)] == pytest.approx([0.375, 0.75])
    handler, _ = sequence(*[busy(503)] * 7)
    with make_client(handler, max_retries=6) as client, pytest.raises(ServiceUnavailableError):
        client.models()
    upper = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(0.75 * hi <= s <= hi for s, hi in zip(sleeps, upper, strict=True))
    assert max(sleeps) <= MAX_RETRY_DELAY


def test_rate_limit_error_after_retries(sleeps: list[float]) -> None:
    handler, seen = sequence(busy(429, **{"Retry-After": "1"}), busy(429, **{"Retry-After": "1"}))
    with make_client(handler, max_retries=1) as client, pytest.raises(RateLimitError):
        client.classify(PNG)
    assert sleeps == [1.0] and len(seen) == 2
