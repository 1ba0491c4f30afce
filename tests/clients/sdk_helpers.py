"""Helpers for the client SDK tests: canned responses, mock-transport clients, a multipart parser."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from zoo_client import AsyncClient, Client

BASE_URL = "http://zoo.test"

CLASSIFY_JSON = {
    "model": "resnet18",
    "version": "20261122-abc",
    "provider": "CPUExecutionProvider",
    "results": [
        {
            "predictions": [
                {"index": 1, "label": "Trouser", "score": 0.99},
                {"index": 3, "label": "Dress", "score": 0.01},
            ]
        },
        {"predictions": [{"index": 9, "label": "Ankle boot", "score": 0.7, "extra": "ignored"}]},
    ],
}

MODELS_JSON = {
    "models": [
        {
            "name": "resnet18",
            "version": "20261122-abc",
            "family": "resnet",
            "arch": "resnet18",
            "labels": ["T-shirt/top", "Trouser"],
            "metrics": {"top1": 0.93, "epochs": 10},
            "provider": "CUDAExecutionProvider",
            "image_size": 96,
            "top_k": 5,
            "default": True,
            "sha256": "kept-as-extra",
        },
        {
            "name": "lenet",
            "version": "1",
            "family": "lenet",
            "arch": "lenet5",
            "labels": [],
            "metrics": {},
            "provider": "CPUExecutionProvider",
            "image_size": 28,
            "top_k": 3,
            "default": False,
        },
    ]
}

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Part:
    """One multipart/form-data part as the server would see it."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(request: httpx.Request) -> list[Part]:
    """Split a multipart/form-data request body into its parts, in order."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    body = request.read()
    chunks = body.split(b"--" + boundary)
    assert chunks[0] == b"" and chunks[-1] == b"--\r\n"
    parts = []
    for chunk in chunks[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            headers[key.lower()] = value
        disposition = headers["content-disposition"]
        name = re.search(r'(?:^|; )name="([^"]*)"', disposition)
        filename = re.search(r'; filename="([^"]*)"', disposition)
        assert name is not None
        parts.append(
            Part(name.group(1), filename.group(1) if filename else None, headers.get("content-type"), data)
        )
    return parts


def make_client(handler: Handler, **kwargs: object) -> Client:
    """A Client whose requests go to ``handler`` instead of the network."""
    kwargs.setdefault("base_url", BASE_URL)
    return Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)  # type: ignore[arg-type]


def make_async_client(handler: Handler, **kwargs: object) -> AsyncClient:
    """An AsyncClient whose requests go to ``handler`` instead of the network."""
    kwargs.setdefault("base_url", BASE_URL)
    return AsyncClient(http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)), **kwargs)  # type: ignore[arg-type]


def sequence(*outcomes: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers (or raises) ``outcomes`` in order, and the list of requests it saw."""
    seen: list[httpx.Request] = []
    remaining = list(outcomes)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert remaining, "more requests than expected"
        outcome = remaining.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return handler, seen
