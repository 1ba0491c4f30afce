"""Exceptions raised by the client, one class per kind of failure.

Every exception carries the server's message in ``.message``. HTTP errors are
:class:`APIStatusError` subclasses picked by status code; transport failures are
:class:`APIConnectionError` (or :class:`APITimeoutError` for timeouts).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "ZooError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "GatewayTimeoutError",
]

# Plain-text bodies (an HTML error page from a proxy, say) are cut to this many characters.
_MAX_TEXT_MESSAGE = 500


class ZooError(Exception):
    """Base class of every exception raised by ``zoo_client``.

    Attributes:
        message: Human-readable description, the server's own message where there is one.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(ZooError):
    """The server could not be reached, or the connection failed mid-request.

    Attributes:
        request: The ``httpx.Request`` that failed, when known.
    """

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request (or :meth:`Client.wait_until_ready`) ran out of time."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APIResponseValidationError(ZooError):
    """A 2xx response whose body does not match the documented schema.

    Attributes:
        response: The raw ``httpx.Response``.
    """

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code


class APIStatusError(ZooError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        status_code: The HTTP status code.
        message: The server's error message.
        code: The server's machine-readable error code (``"code"`` in the body), if any.
        body: The decoded JSON body, or the text body when it is not JSON.
        response: The raw ``httpx.Response``.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.code = code
        self.body = body

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        return f"HTTP {self.status_code}{code}: {self.message}"


class BadRequestError(APIStatusError):
    """HTTP 400: the request was malformed (bad image, bad ``top_k``, unknown field)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the API key may not do this."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown route or unknown model name/version."""


class PayloadTooLargeError(APIStatusError):
    """HTTP 413: too many images or too many bytes in one request."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was well formed but could not be processed."""


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests; retried automatically."""


class InternalServerError(APIStatusError):
    """HTTP 5xx other than 503 and 504: the server failed."""


class ServiceUnavailableError(APIStatusError):
    """HTTP 503: the server is overloaded or not ready yet; retried automatically."""


class GatewayTimeoutError(APIStatusError):
    """HTTP 504: the server or a proxy gave up waiting; not retried (the work may have run)."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def _error_class(status_code: int) -> type[APIStatusError]:
    if status_code in _STATUS_ERRORS:
        return _STATUS_ERRORS[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIStatusError


def _detail_text(detail: Any) -> str | None:
    """Flatten a validation ``detail`` (a string, or a list of pydantic-style dicts) to one line."""
    if isinstance(detail, str):
        return detail or None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                parts.append(f"{loc}: {item['msg']}" if loc else str(item["msg"]))
            else:
                parts.append(str(item))
        return "; ".join(parts) or None
    return None


def _message_and_code(body: Any) -> tuple[str | None, str | None]:
    """Extract ``(message, code)`` from whichever error-body shape the server produced.

    Handles ``{"error": msg, "code": c}``, BentoML's ``[{"error": msg}]`` and
    ``{"error": msg, "detail": [...]}``, nested ``{"error": {"message": msg}}`` and
    ``{"detail": ...}`` / ``{"message": ...}`` bodies.
    """
    # BentoML sometimes wraps the error object in a one-element list.
    if isinstance(body, list) and len(body) >= 1:
        return _message_and_code(body[0])
    if isinstance(body, str):
        return (body or None), None
    if not isinstance(body, dict):
        return None, None
    code = body.get("code") if isinstance(body.get("code"), str) else None
    error = body.get("error")
    if isinstance(error, dict):
        inner_message, inner_code = _message_and_code(error)
        return inner_message, code or inner_code
    message = error if isinstance(error, str) and error else None
    if message is None and isinstance(body.get("message"), str):
        message = body["message"] or None
    detail = _detail_text(body.get("detail"))
    if message is None:
        message = detail
    elif detail and detail not in message:
        message = f"{message} ({detail})"
    return message, code


def make_status_error(response: httpx.Response) -> APIStatusError:
    """Build the :class:`APIStatusError` subclass matching ``response``'s status and body.

    Args:
        response: A response with a 4xx or 5xx status; its body must already be read.

    Returns:
        The exception to raise, carrying the server's message and code.
    """
    text = response.text
    body: Any
    message: str | None = None
    code: str | None = None
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = text  # Plain text (or an HTML page from a proxy): the fallback below trims it.
    else:
        message, code = _message_and_code(body)
    if message is None:
        stripped = text.strip()
        message = (
            stripped[:_MAX_TEXT_MESSAGE]
            if stripped
            else f"{response.status_code} {response.reason_phrase}".strip()
        )
    return _error_class(response.status_code)(message, response=response, code=code, body=body)
