"""Thin, typed Python client for the d2l-zoo image classification service.

Example:
    >>> from zoo_client import Client
    >>> with Client("http://127.0.0.1:3000") as client:  # doctest: +SKIP
    ...     response = client.classify("shoe.png", top_k=3)
    ...     print(response.results[0].top.label)
"""

from __future__ import annotations

from ._client import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, AsyncClient, Client
from ._exceptions import (
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
from ._images import ImageInput
from ._version import __version__
from .types import ClassifyResponse, ClassifyResult, ModelInfo, Prediction

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "ImageInput",
    "Prediction",
    "ClassifyResult",
    "ClassifyResponse",
    "ModelInfo",
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
