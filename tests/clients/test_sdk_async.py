"""AsyncClient is the exact twin of Client: same requests, parsing, errors, retries and probes."""

from __future__ import annotations

import inspect

import httpx
import numpy as np
import pytest
from zoo_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    BadRequestError,
    Client,
    GatewayTimeoutError,
    InternalServerError,
    ModelInfo,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
)

from .sdk_helpers import BASE_URL, CLASSIFY_JSON, MODELS_JSON, make_async_client, parse_multipart, sequence

PNG = b"\x89PNG\r\n\x1a\nrest-of-file"


def test_same_public_surface_and_signatures() -> None:
    public = {name for name in dir(Client) if not name.startswith("_")}
    assert public == {name for name in dir(AsyncClient) if not name.startswith("_")} ^ {"close", "aclose"}
    for name in ("classify", "models", "live", "ready", "wait_until_ready", "__init__"):
        sync_sig, async_sig = (
            inspect.signature(getattr(Client, name)),
            inspect.signature(getattr(AsyncClient, name)),
        )
        assert list(sync_sig.parameters) == list(async_sig.parameters), name
        assert [p.default for p in sync_sig.parameters.values()] == [
            p.default for p in async_sig.parameters.values()
        ]
        if name != "__init__":
            assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name


async def test_classify_request_and_response() -> None:
    handler, seen = sequence(httpx.Response(200, json=CLASSIFY_JSON))
    array = np.zeros((4, 4, 3), dtype=np.uint8)
    async with make_async_client(handler, api_key="k") as client:
        response = await client.classify([array, PNG], model="resnet18", top_k=2)
    parts = parse_multipart(seen[0])
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("top_k", None, None),
        ("model", None, None),
        ("images", "image0.png", "image/png"),
        ("images", "image1.png", "image/png"),
    ]
    assert parts[0].data == b"2" and parts[1].data == b"resnet18" and parts[3].data == PNG
    assert seen[0].headers["authorization"] == "Bearer k"
    assert str(seen[0].url) == f"{BASE_URL}/classify"
    assert [r.top.label for r in response.results] == ["Trouser", "Ankle boot"]


async def test_bad_input_fails_before_any_request() -> None:
    handler, seen = sequence()
    async with make_async_client(handler) as client:
        with pytest.raises(ValueError):
            await client.classify([])
        with pytest.raises(TypeError):
            await client.classify(np.zeros((2, 2), dtype=np.float32))
        with pytest.raises(ValueError):
            await client.classify(PNG, top_k=0)
    assert seen == []


async def test_models() -> None:
    handler, _ = sequence(httpx.Response(200, json=MODELS_JSON))
    async with make_async_client(handler) as client:
        models = await client.models()
    assert [m.name for m in models] == ["resnet18", "lenet"] and isinstance(models[0], ModelInfo)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": "bad image", "code": "bad_image"}, BadRequestError),
        (404, [{"error": "bad image"}], NotFoundError),
        (413, {"error": "bad image", "detail": []}, PayloadTooLargeError),
        (500, "bad image", InternalServerError),
        (504, "bad image", GatewayTimeoutError),
    ],
)
async def test_errors(status: int, body: object, cls: type[Exception]) -> None:
    response = (
        httpx.Response(status, text=body) if isinstance(body, str) else httpx.Response(status, json=body)
    )
    handler, seen = sequence(response)
    async with make_async_client(handler) as client:
        with pytest.raises(cls) as info:
            await client.classify(PNG)
    assert info.value.message == "bad image" and info.value.status_code == status  # type: ignore[attr-defined]
    assert len(seen) == 1  # None of these is retried.


async def test_retries_then_success(sleeps: list[float]) -> None:
    handler, seen = sequence(
        httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": "3"}),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=CLASSIFY_JSON),
    )
    async with make_async_client(handler, max_retries=2) as client:
        assert (await client.classify(PNG)).version == "20261122-abc"
    assert len(seen) == 3 and sleeps[0] == 3.0 and 0.75 <= sleeps[1] <= 1.0


async def test_max_retries_then_errors(sleeps: list[float]) -> None:
    handler, seen = sequence(*[httpx.Response(503, json={"error": "warming up"})] * 2)
    async with make_async_client(handler, max_retries=1) as client:
        with pytest.raises(ServiceUnavailableError, match="warming up"):
            await client.models()
    assert len(seen) == 2 and len(sleeps) == 1
    handler, seen = sequence(*[httpx.ReadTimeout("slow")] * 3)
    async with make_async_client(handler, max_retries=2) as client:
        with pytest.raises(APITimeoutError):
            await client.models()
    assert len(seen) == 3


async def test_probes_and_wait_until_ready(fake_time) -> None:  # noqa: ANN001
    handler, seen = sequence(
        httpx.Response(200, text="OK"),
        httpx.Response(503, text="not ready"),
        httpx.ConnectError("starting"),
        httpx.Response(503, text="not ready"),
        httpx.Response(200, text="ready"),
    )
    async with make_async_client(handler, max_retries=4) as client:
        assert await client.live() is True
        assert await client.ready() is False
        client._sleep, client._clock = fake_time.async_sleep, fake_time.clock
        await client.wait_until_ready(timeout=5, interval=1.0)
    assert [r.url.path for r in seen] == ["/livez"] + ["/readyz"] * 4
    assert fake_time.sleeps == [1.0, 1.0]


async def test_wait_until_ready_times_out(fake_time) -> None:  # noqa: ANN001
    async with make_async_client(lambda request: httpx.Response(503)) as client:
        client._sleep, client._clock = fake_time.async_sleep, fake_time.clock
        with pytest.raises(APITimeoutError, match="not ready"):
            await client.wait_until_ready(timeout=1.2, interval=0.5)
    assert fake_time.sleeps == pytest.approx([0.5, 0.5, 0.2])


async def test_connection_error_without_retries() -> None:
    handler, _ = sequence(httpx.ConnectError("refused"))
    async with make_async_client(handler, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="refused"):
            await client.models()


async def test_aclose_closes_only_an_owned_client() -> None:
    http_client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    async with AsyncClient(BASE_URL, http_client=http_client):
        pass
    assert not http_client.is_closed
    await http_client.aclose()
    owned = AsyncClient(BASE_URL)
    await owned.aclose()
    assert owned._client.is_closed


def test_wrong_http_client_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="httpx.AsyncClient"):
        AsyncClient(http_client=httpx.Client())  # type: ignore[arg-type]
