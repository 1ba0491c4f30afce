"""Sync Client: request shape, response parsing, headers, configuration, probes."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
import zoo_client
from zoo_client import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    ClassifyResponse,
    Client,
    ModelInfo,
    NotFoundError,
)

from .sdk_helpers import BASE_URL, CLASSIFY_JSON, MODELS_JSON, make_client, parse_multipart, sequence

PNG_1X1 = zoo_client._images.encode_png(b"\x00", 1, 1, 1)
JPEG_MAGIC = b"\xff\xd8\xff\xe0fake-jpeg-body"


def ok(payload: object) -> httpx.Response:
    return httpx.Response(200, json=payload)


def test_classify_sends_one_images_part_per_image_and_form_fields() -> None:
    handler, seen = sequence(ok(CLASSIFY_JSON))
    array = np.full((2, 3, 3), 200, dtype=np.uint8)
    with make_client(handler) as client:
        client.classify([array, JPEG_MAGIC], model="resnet18:20261122-abc", top_k=3)
    (request,) = seen
    assert request.method == "POST" and str(request.url) == f"{BASE_URL}/classify"
    parts = parse_multipart(request)
    fields = {p.name: p.data.decode() for p in parts if p.filename is None}
    assert fields == {"top_k": "3", "model": "resnet18:20261122-abc"}
    files = [(p.name, p.filename, p.content_type) for p in parts if p.filename is not None]
    assert files == [("images", "image0.png", "image/png"), ("images", "image1.jpg", "image/jpeg")]
    assert parts[-1].data == JPEG_MAGIC
    assert parts[-2].data == zoo_client._images.encode_image(array)[1]


def test_classify_defaults_send_no_top_k_and_no_model() -> None:
    """Without top_k and model, the server applies the model's own top_k and the default model."""
    handler, seen = sequence(ok(CLASSIFY_JSON))
    with make_client(handler) as client:
        client.classify(PNG_1X1)
    parts = parse_multipart(seen[0])
    assert [(p.name, p.filename) for p in parts] == [("images", "image0.png")]
    assert parts[0].data == PNG_1X1


def test_classify_parses_the_response() -> None:
    handler, _ = sequence(ok(CLASSIFY_JSON))
    with make_client(handler) as client:
        response = client.classify([PNG_1X1, PNG_1X1])
    assert isinstance(response, ClassifyResponse)
    assert (response.model, response.version, response.provider) == (
        "resnet18",
        "20261122-abc",
        "CPUExecutionProvider",
    )
    assert [r.top.label for r in response.results] == ["Trouser", "Ankle boot"]
    first = response.results[0].predictions
    assert [(p.index, p.label, p.score) for p in first] == [(1, "Trouser", 0.99), (3, "Dress", 0.01)]
    assert response.results[1].top.score == pytest.approx(0.7)


def test_top_of_an_empty_result_is_an_index_error() -> None:
    result = zoo_client.ClassifyResult(predictions=[])
    with pytest.raises(IndexError):
        _ = result.top


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"top_k": 0}, ValueError),
        ({"top_k": -1}, ValueError),
        ({"top_k": "3"}, TypeError),
        ({"top_k": 2.0}, TypeError),
        ({"top_k": True}, TypeError),
        ({"model": ""}, ValueError),
        ({"model": 3}, TypeError),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, object], error: type[Exception]) -> None:
    handler, seen = sequence()
    with make_client(handler) as client, pytest.raises(error):
        client.classify(PNG_1X1, **kwargs)  # type: ignore[arg-type]
    assert seen == []


@pytest.mark.parametrize(
    "images", [[], 42, [PNG_1X1, "/definitely/missing.png"], np.zeros((2, 2), np.float32)]
)
def test_bad_images_fail_before_any_request(images: object) -> None:
    handler, seen = sequence()
    with make_client(handler) as client, pytest.raises((TypeError, ValueError, OSError)):
        client.classify(images)  # type: ignore[arg-type]
    assert seen == []


def test_models_parses_the_listing() -> None:
    handler, seen = sequence(ok(MODELS_JSON))
    with make_client(handler) as client:
        models = client.models()
    assert seen[0].method == "GET" and seen[0].url.path == "/v1/models"
    assert all(isinstance(m, ModelInfo) for m in models)
    resnet, lenet = models
    assert (resnet.name, resnet.arch, resnet.image_size, resnet.top_k, resnet.default) == (
        "resnet18",
        "resnet18",
        96,
        5,
        True,
    )
    assert resnet.labels == ["T-shirt/top", "Trouser"]
    assert resnet.metrics == {"top1": 0.93, "epochs": 10.0}
    assert resnet.model_extra == {"sha256": "kept-as-extra"}
    assert lenet.default is False and lenet.labels == []


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json={"models": [{"name": "x"}]}),
        httpx.Response(200, json=[1, 2]),
    ],
)
def test_malformed_success_bodies_raise_response_validation_error(response: httpx.Response) -> None:
    handler, _ = sequence(response)
    with make_client(handler) as client, pytest.raises(APIResponseValidationError) as info:
        client.models()
    assert info.value.status_code == 200 and isinstance(info.value, zoo_client.ZooError)


def test_api_key_is_sent_as_bearer_token() -> None:
    handler, seen = sequence(ok(MODELS_JSON), ok(MODELS_JSON))
    with make_client(handler, api_key="s3cret") as client:
        client.models()
    with make_client(handler) as client:
        client.models()
    assert seen[0].headers["authorization"] == "Bearer s3cret"
    assert "authorization" not in seen[1].headers
    assert seen[0].headers["user-agent"] == f"d2l-zoo-client/{zoo_client.__version__}"
    assert seen[0].headers["accept"] == "application/json"


def test_api_key_is_not_in_repr() -> None:
    assert "s3cret" not in repr(Client(api_key="s3cret"))


def test_defaults_without_environment() -> None:
    client = Client()
    assert client.base_url == "http://127.0.0.1:3000"
    assert client.api_key is None
    assert client.timeout == 30.0
    assert client.max_retries == 2
    client.close()


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_BASE_URL", "http://env.test:8080/prefix/")
    monkeypatch.setenv("ZOO_API_KEY", "env-key")
    monkeypatch.setenv("ZOO_TIMEOUT", "2.5")
    monkeypatch.setenv("ZOO_MAX_RETRIES", "4")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(MODELS_JSON)

    with Client(http_client=httpx.Client(transport=httpx.MockTransport(handler))) as client:
        assert (client.base_url, client.api_key, client.timeout, client.max_retries) == (
            "http://env.test:8080/prefix",
            "env-key",
            2.5,
            4,
        )
        client.models()
    assert str(seen[0].url) == "http://env.test:8080/prefix/v1/models"
    assert seen[0].headers["authorization"] == "Bearer env-key"
    assert seen[0].extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


def test_explicit_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_BASE_URL", "http://env.test")
    monkeypatch.setenv("ZOO_API_KEY", "env-key")
    monkeypatch.setenv("ZOO_TIMEOUT", "2.5")
    monkeypatch.setenv("ZOO_MAX_RETRIES", "4")
    client = Client("https://arg.test", api_key="arg-key", timeout=1.0, max_retries=0)
    assert (client.base_url, client.api_key, client.timeout, client.max_retries) == (
        "https://arg.test",
        "arg-key",
        1.0,
        0,
    )
    client.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [("ZOO_TIMEOUT", "soon"), ("ZOO_MAX_RETRIES", "1.5"), ("ZOO_BASE_URL", "zoo.test:3000")],
)
def test_invalid_environment_values_are_value_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name if name != "ZOO_BASE_URL" else "http"):
        Client()


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": -1.0}, {"max_retries": -1}])
def test_invalid_arguments_are_value_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Client(**kwargs)  # type: ignore[arg-type]


def test_wrong_http_client_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="httpx.Client"):
        Client(http_client=httpx.AsyncClient())  # type: ignore[arg-type]


def test_close_leaves_a_caller_owned_http_client_open() -> None:
    http_client = httpx.Client(transport=httpx.MockTransport(lambda r: ok(MODELS_JSON)))
    with Client(BASE_URL, http_client=http_client):
        pass
    assert not http_client.is_closed
    http_client.close()
    owned = Client(BASE_URL)
    owned.close()
    assert owned._client.is_closed


@pytest.mark.parametrize(("method", "path"), [("live", "/livez"), ("ready", "/readyz")])
def test_probes(method: str, path: str) -> None:
    handler, seen = sequence(
        httpx.Response(200, text="OK"),
        httpx.Response(503, text="Service Unavailable"),
        httpx.ConnectError("refused"),
        httpx.Response(404, text="Not Found"),
    )
    with make_client(handler, max_retries=3) as client:
        probe = getattr(client, method)
        assert probe() is True
        assert probe() is False
        assert probe() is False
        with pytest.raises(NotFoundError):
            probe()
    # Probes never retry: four calls, four requests.
    assert [r.url.path for r in seen] == [path] * 4


def test_wait_until_ready_polls_until_ready(fake_time) -> None:  # noqa: ANN001
    handler, seen = sequence(
        httpx.ConnectError("starting"),
        httpx.Response(503, text="not ready"),
        httpx.Response(200, text="ready"),
    )
    with make_client(handler) as client:
        client._sleep, client._clock = fake_time.sleep, fake_time.clock
        client.wait_until_ready(timeout=10, interval=0.25)
    assert len(seen) == 3 and fake_time.sleeps == [0.25, 0.25]


def test_wait_until_ready_times_out(fake_time) -> None:  # noqa: ANN001
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="not ready")

    with make_client(handler) as client:
        client._sleep, client._clock = fake_time.sleep, fake_time.clock
        with pytest.raises(APITimeoutError, match="not ready within 2s"):
            client.wait_until_ready(timeout=2, interval=0.5)
    assert sum(fake_time.sleeps) == pytest.approx(2.0)
    assert isinstance(APITimeoutError("x"), APIConnectionError)


def test_wait_until_ready_raises_on_misconfiguration(fake_time) -> None:  # noqa: ANN001
    handler, _ = sequence(httpx.Response(401, json={"error": "missing API key", "code": "unauthorized"}))
    with make_client(handler) as client:
        client._sleep, client._clock = fake_time.sleep, fake_time.clock
        with pytest.raises(AuthenticationError, match="missing API key"):
            client.wait_until_ready()


def test_public_api_is_exported() -> None:
    assert zoo_client.__version__ == "0.1.0"
    for name in zoo_client.__all__:
        assert hasattr(zoo_client, name), name
    assert json.loads(json.dumps(CLASSIFY_JSON)) == CLASSIFY_JSON
