"""HTTP error statuses → one exception class each, carrying the server's message in every body shape."""

from __future__ import annotations

import httpx
import pytest
from zoo_client import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UnprocessableEntityError,
    ZooError,
)
from zoo_client._exceptions import make_status_error

from .sdk_helpers import make_client, sequence

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, APIStatusError),
    (413, PayloadTooLargeError),
    (418, APIStatusError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (501, InternalServerError),
    (502, InternalServerError),
    (503, ServiceUnavailableError),
    (504, GatewayTimeoutError),
]

MESSAGE = "image 0 is not a valid PNG or JPEG"


def body_shapes(message: str) -> dict[str, dict[str, object]]:
    return {
        "zoo": {"json": {"error": message, "code": "bad_image"}},
        "bentoml_list": {"json": [{"error": message}]},
        "bentoml_validation": {"json": {"error": message, "detail": []}},
        "plain_text": {"text": message, "headers": {"content-type": "text/plain"}},
    }


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
@pytest.mark.parametrize("shape", ["zoo", "bentoml_list", "bentoml_validation", "plain_text"])
def test_status_maps_to_exception_with_server_message(
    status: int, cls: type[APIStatusError], shape: str
) -> None:
    handler, seen = sequence(httpx.Response(status, **body_shapes(MESSAGE)[shape]))
    with make_client(handler, max_retries=0) as client, pytest.raises(APIStatusError) as info:
        client.classify(b"\x89PNG\r\n\x1a\n")
    error = info.value
    assert type(error) is cls
    assert isinstance(error, ZooError)
    assert error.message == MESSAGE
    assert error.status_code == status
    assert error.response.status_code == status and error.response.request is seen[0]
    assert error.code == ("bad_image" if shape == "zoo" else None)
    assert str(error).startswith(f"HTTP {status}") and MESSAGE in str(error)


def test_validation_detail_is_kept_in_the_message() -> None:
    detail = [{"loc": ["body", "top_k"], "msg": "Input should be a valid integer", "type": "int_parsing"}]
    error = make_status_error(httpx.Response(400, json={"error": "Invalid request", "detail": detail}))
    assert isinstance(error, BadRequestError)
    assert error.message == "Invalid request (top_k: Input should be a valid integer)"
    assert error.body == {"error": "Invalid request", "detail": detail}


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"detail": [{"loc": ["body", "images"], "msg": "Field required"}]}, "images: Field required", None),
        ({"detail": "Not authenticated"}, "Not authenticated", None),
        ({"message": "try later", "code": "busy"}, "try later", "busy"),
        ({"error": {"message": "nested", "code": "inner"}}, "nested", "inner"),
        ([{"error": "first"}, {"error": "second"}], "first", None),
        ("just a JSON string", "just a JSON string", None),
    ],
)
def test_other_body_shapes(body: object, message: str, code: str | None) -> None:
    error = make_status_error(httpx.Response(422, json=body))
    assert (error.message, error.code) == (message, code)


def test_json_without_a_message_falls_back_to_the_text() -> None:
    response = httpx.Response(500, content=b'{"unexpected": 1}', headers={"content-type": "application/json"})
    error = make_status_error(response)
    assert (type(error), error.message, error.body) == (
        InternalServerError,
        '{"unexpected": 1}',
        {"unexpected": 1},
    )


def test_empty_body_falls_back_to_the_reason_phrase() -> None:
    error = make_status_error(httpx.Response(502))
    assert error.message == "502 Bad Gateway"


def test_long_html_pages_are_truncated() -> None:
    error = make_status_error(httpx.Response(502, text="<html>" + "x" * 5000 + "</html>"))
    assert error.message.startswith("<html>xx") and len(error.message) == 500


def test_connection_errors_wrap_the_httpx_error() -> None:
    cause = httpx.ConnectError("[Errno 111] Connection refused")
    handler, _ = sequence(cause)
    with make_client(handler, max_retries=0) as client, pytest.raises(APIConnectionError) as info:
        client.models()
    assert type(info.value) is APIConnectionError
    assert info.value.__cause__ is cause and "Connection refused" in info.value.message
    assert info.value.request is not None and info.value.request.url.path == "/v1/models"


def test_timeouts_are_api_timeout_errors() -> None:
    handler, _ = sequence(httpx.ReadTimeout("slow"))
    with make_client(handler, max_retries=0) as client, pytest.raises(APITimeoutError) as info:
        client.models()
    assert isinstance(info.value, APIConnectionError) and info.value.message == "Request timed out."


def test_hierarchy() -> None:
    for _, cls in STATUS_CLASSES:
        assert issubclass(cls, APIStatusError) and issubclass(cls, ZooError)
    for cls in (APIConnectionError, APITimeoutError, APIResponseValidationError):
        assert issubclass(cls, ZooError) and not issubclass(cls, APIStatusError)
