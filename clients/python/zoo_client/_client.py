"""Synchronous and asynchronous clients for the zoo HTTP API.

:class:`Client` and :class:`AsyncClient` are twins: same constructor, same methods, the
async one awaits. Configuration, request building, retry decisions and response parsing
live in :class:`_BaseClient`; the subclasses only send, sleep and read the clock.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import pydantic

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ServiceUnavailableError,
    make_status_error,
)
from ._images import ImageInput, encode_images
from ._version import __version__
from .types import ClassifyResponse, ModelInfo

__all__ = [
    "Client",
    "AsyncClient",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "RETRY_STATUS_CODES",
    "retry_delay",
]

DEFAULT_BASE_URL = "http://127.0.0.1:3000"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2

# 408/429/503 mean "not now, try again"; 504 and other 5xx may mean the work already ran.
RETRY_STATUS_CODES = frozenset({408, 429, 503})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server may ask for a longer pause than our own backoff cap, but not an unbounded one.
MAX_RETRY_AFTER = 60.0
# Never give a readiness probe less than this, even when the deadline is nearly spent.
_MIN_PROBE_TIMEOUT = 0.1

_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)


class _ModelList(pydantic.BaseModel):
    models: list[ModelInfo]


def retry_delay(
    attempt: int, retry_after: str | None = None, *, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    A numeric ``Retry-After`` header wins (capped at ``MAX_RETRY_AFTER``); otherwise the
    delay is exponential backoff from ``INITIAL_RETRY_DELAY`` capped at ``MAX_RETRY_DELAY``,
    scaled by a jitter factor in ``(0.75, 1]`` so that many clients do not retry in lockstep.

    Args:
        attempt: Number of attempts already failed minus one (0 before the first retry).
        retry_after: The response's ``Retry-After`` header, if any.
        rand: Source of uniform ``[0, 1)`` numbers, injectable for tests.

    Returns:
        The delay in seconds.
    """
    if retry_after is not None:
        try:
            seconds = float(retry_after.strip())
        except ValueError:
            seconds = -1.0  # An HTTP-date or garbage: fall back to our own backoff.
        if 0.0 <= seconds < float("inf"):
            return min(seconds, MAX_RETRY_AFTER)
    delay = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2.0**attempt)
    return delay * (1.0 - 0.25 * rand())


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_number(name: str, kind: type[int] | type[float], default: float) -> Any:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {kind.__name__}") from None


def _request_of(error: httpx.RequestError) -> httpx.Request | None:
    try:
        return error.request
    except RuntimeError:  # httpx raises when the error was created without a request.
        return None


class _BaseClient:
    """Configuration and I/O-free logic shared by :class:`Client` and :class:`AsyncClient`."""

    base_url: str
    api_key: str | None
    timeout: float
    max_retries: int

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        timeout: float | None,
        max_retries: int | None,
    ) -> None:
        base_url = base_url or _env("ZOO_BASE_URL") or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or _env("ZOO_API_KEY")
        self.timeout = float(
            timeout if timeout is not None else _env_number("ZOO_TIMEOUT", float, DEFAULT_TIMEOUT)
        )
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        self.max_retries = int(
            max_retries
            if max_retries is not None
            else _env_number("ZOO_MAX_RETRIES", int, DEFAULT_MAX_RETRIES)
        )
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, timeout={self.timeout}, max_retries={self.max_retries})"

    @property
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"d2l-zoo-client/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @staticmethod
    def _classify_form(
        images: ImageInput | Sequence[ImageInput], model: str | None, top_k: int | None
    ) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
        # Validate everything before any byte goes on the wire.
        data: dict[str, str] = {}
        if top_k is not None:  # None: the model's own default
            if isinstance(top_k, bool) or not isinstance(top_k, int):
                raise TypeError(f"top_k must be an int, got {type(top_k).__name__}")
            if top_k < 1:
                raise ValueError(f"top_k must be >= 1, got {top_k}")
            data["top_k"] = str(top_k)
        if model is not None:
            if not isinstance(model, str):
                raise TypeError(
                    f"model must be a str like 'name' or 'name:version', got {type(model).__name__}"
                )
            if not model.strip():
                raise ValueError("model must not be empty; pass None for the server's default model")
            data["model"] = model
        files = [("images", part) for part in encode_images(images)]
        return data, files

    @staticmethod
    def _parse(response: httpx.Response, model: type[_ModelT]) -> _ModelT:
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError as err:
            raise APIResponseValidationError(
                f"unexpected response from {response.request.method} {response.request.url.path}: {err}",
                response=response,
            ) from err

    def _retry_or_raise(
        self,
        attempt: int,
        max_retries: int,
        *,
        response: httpx.Response | None = None,
        error: httpx.RequestError | None = None,
    ) -> float:
        """Return the delay before the next attempt, or raise the error that ends the request.

        Must be called with exactly one of ``response`` (a non-2xx answer) or ``error``
        (a transport failure), from inside the ``except`` block for the latter.
        """
        if error is not None:
            if attempt >= max_retries:
                if isinstance(error, httpx.TimeoutException):
                    raise APITimeoutError(request=_request_of(error)) from error
                raise APIConnectionError(f"Connection error: {error}", request=_request_of(error)) from error
            return retry_delay(attempt)
        assert response is not None
        if response.status_code not in RETRY_STATUS_CODES or attempt >= max_retries:
            raise make_status_error(response)
        return retry_delay(attempt, response.headers.get("retry-after"))


class Client(_BaseClient):
    """Synchronous client for the zoo image classification service.

    Args:
        base_url: Server root, e.g. ``"http://127.0.0.1:3000"``. Defaults to ``$ZOO_BASE_URL``,
            then ``http://127.0.0.1:3000``.
        api_key: Sent as ``Authorization: Bearer <key>``. Defaults to ``$ZOO_API_KEY``.
        timeout: Per-request timeout in seconds. Defaults to ``$ZOO_TIMEOUT``, then 30.
        max_retries: Retries on 408/429/503 and connection errors. Defaults to
            ``$ZOO_MAX_RETRIES``, then 2.
        http_client: An ``httpx.Client`` to send with (proxies, transports, mocks). The caller
            keeps ownership: :meth:`close` does not close it.

    Example:
        >>> with Client() as client:  # doctest: +SKIP
        ...     print(client.classify("shoe.png").results[0].top.label)
    """

    # Class attributes so tests (or callers) can swap them: client._sleep = fake_sleep.
    _sleep: Callable[[float], None] = staticmethod(time.sleep)
    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, max_retries)
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError(f"http_client must be an httpx.Client, got {type(http_client).__name__}")
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else httpx.Client()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connection pool (unless it was passed in)."""
        if self._owns_client:
            self._client.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        retries = self.max_retries if max_retries is None else max_retries
        for attempt in itertools.count():
            try:
                response = self._client.request(
                    method,
                    self._url(path),
                    headers=self._headers,
                    data=data,
                    files=files,
                    timeout=timeout if timeout is not None else self.timeout,
                )
            except httpx.RequestError as err:
                delay = self._retry_or_raise(attempt, retries, error=err)
            else:
                if response.is_success:
                    return response
                delay = self._retry_or_raise(attempt, retries, response=response)
            self._sleep(delay)
        raise AssertionError("unreachable")

    def classify(
        self,
        images: ImageInput | Sequence[ImageInput],
        *,
        model: str | None = None,
        top_k: int | None = None,
    ) -> ClassifyResponse:
        """Classify one image or a batch of images.

        Args:
            images: One image or a list of images. An image is a file path, PNG/JPEG bytes,
                a PIL image or a uint8 numpy array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).
                Images are sent as they are; the server resizes and normalises.
            model: ``"name"`` or ``"name:version"``; ``None`` uses the server's default model.
            top_k: Number of predictions to return per image (default: the model's ``top_k``).

        Returns:
            The model that ran and one :class:`ClassifyResult` per image, in order.

        Raises:
            TypeError: For unsupported image types or arguments (before any request).
            ValueError: For empty batches, non-PNG/JPEG bytes or bad shapes (before any request).
            APIStatusError: A subclass per HTTP error status, with the server's message.
            APIConnectionError: If the server cannot be reached after all retries.
        """
        data, files = self._classify_form(images, model, top_k)
        return self._parse(self._request("POST", "/classify", data=data, files=files), ClassifyResponse)

    def models(self) -> list[ModelInfo]:
        """List the models the server can serve.

        Returns:
            One :class:`ModelInfo` per model; the one with ``default=True`` answers requests
            that name no model.
        """
        return self._parse(self._request("GET", "/v1/models"), _ModelList).models

    def _probe(self, path: str, timeout: float | None = None) -> bool:
        # Probes are single-shot: "not now" is an answer, not something to retry.
        try:
            self._request("GET", path, max_retries=0, timeout=timeout)
        except (APIConnectionError, ServiceUnavailableError):
            return False
        return True

    def live(self) -> bool:
        """Whether the server process is up (``GET /livez``).

        Returns:
            ``True`` on 2xx; ``False`` on 503 or when the server cannot be reached.

        Raises:
            APIStatusError: On any other error status (e.g. 401, 404: a misconfiguration).
        """
        return self._probe("/livez")

    def ready(self) -> bool:
        """Whether the server is ready to classify (``GET /readyz``).

        Returns:
            ``True`` on 2xx; ``False`` on 503 or when the server cannot be reached.

        Raises:
            APIStatusError: On any other error status (e.g. 401, 404: a misconfiguration).
        """
        return self._probe("/readyz")

    def wait_until_ready(self, timeout: float = 60.0, interval: float = 0.5) -> None:
        """Poll :meth:`ready` until it is true.

        Args:
            timeout: Seconds to wait in total.
            interval: Seconds between probes.

        Raises:
            APITimeoutError: If the server is not ready within ``timeout`` seconds.
            APIStatusError: If a probe gets an error status other than 503.
        """
        deadline = self._clock() + timeout
        while True:
            probe_timeout = max(min(self.timeout, deadline - self._clock()), _MIN_PROBE_TIMEOUT)
            if self._probe("/readyz", timeout=probe_timeout):
                return
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise APITimeoutError(f"{self.base_url} was not ready within {timeout:g}s")
            self._sleep(min(interval, remaining))


class AsyncClient(_BaseClient):
    """Asynchronous twin of :class:`Client`, on ``httpx.AsyncClient``.

    Args:
        base_url: Server root. Defaults to ``$ZOO_BASE_URL``, then ``http://127.0.0.1:3000``.
        api_key: Sent as ``Authorization: Bearer <key>``. Defaults to ``$ZOO_API_KEY``.
        timeout: Per-request timeout in seconds. Defaults to ``$ZOO_TIMEOUT``, then 30.
        max_retries: Retries on 408/429/503 and connection errors. Defaults to
            ``$ZOO_MAX_RETRIES``, then 2.
        http_client: An ``httpx.AsyncClient`` to send with. The caller keeps ownership:
            :meth:`aclose` does not close it.

    Example:
        >>> async with AsyncClient() as client:  # doctest: +SKIP
        ...     response = await client.classify(["a.png", "b.jpg"], top_k=3)
    """

    _sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)
    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, max_retries)
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}")
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else httpx.AsyncClient()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP connection pool (unless it was passed in)."""
        if self._owns_client:
            await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        retries = self.max_retries if max_retries is None else max_retries
        for attempt in itertools.count():
            try:
                response = await self._client.request(
                    method,
                    self._url(path),
                    headers=self._headers,
                    data=data,
                    files=files,
                    timeout=timeout if timeout is not None else self.timeout,
                )
            except httpx.RequestError as err:
                delay = self._retry_or_raise(attempt, retries, error=err)
            else:
                if response.is_success:
                    return response
                delay = self._retry_or_raise(attempt, retries, response=response)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def classify(
        self,
        images: ImageInput | Sequence[ImageInput],
        *,
        model: str | None = None,
        top_k: int | None = None,
    ) -> ClassifyResponse:
        """Classify one image or a batch of images; see :meth:`Client.classify`.

        Image encoding (file reads, PNG encoding) runs synchronously before the request.
        """
        data, files = self._classify_form(images, model, top_k)
        return self._parse(await self._request("POST", "/classify", data=data, files=files), ClassifyResponse)

    async def models(self) -> list[ModelInfo]:
        """List the models the server can serve; see :meth:`Client.models`."""
        return self._parse(await self._request("GET", "/v1/models"), _ModelList).models

    async def _probe(self, path: str, timeout: float | None = None) -> bool:
        try:
            await self._request("GET", path, max_retries=0, timeout=timeout)
        except (APIConnectionError, ServiceUnavailableError):
            return False
        return True

    async def live(self) -> bool:
        """Whether the server process is up; see :meth:`Client.live`."""
        return await self._probe("/livez")

    async def ready(self) -> bool:
        """Whether the server is ready to classify; see :meth:`Client.ready`."""
        return await self._probe("/readyz")

    async def wait_until_ready(self, timeout: float = 60.0, interval: float = 0.5) -> None:
        """Poll :meth:`ready` until it is true; see :meth:`Client.wait_until_ready`.

        Raises:
            APITimeoutError: If the server is not ready within ``timeout`` seconds.
        """
        deadline = self._clock() + timeout
        while True:
            probe_timeout = max(min(self.timeout, deadline - self._clock()), _MIN_PROBE_TIMEOUT)
            if await self._probe("/readyz", timeout=probe_timeout):
                return
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise APITimeoutError(f"{self.base_url} was not ready within {timeout:g}s")
            await self._sleep(min(interval, remaining))
