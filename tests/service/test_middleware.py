"""API key and body limit middlewares, in-process over ASGI."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.middleware import ApiKeyMiddleware, BodyLimitMiddleware
from service.settings import Settings


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"bytes": len(body)})


def _app(api_key: str | None = "s3cret", max_bytes: int = 1000):
    app = Starlette(routes=[Route("/classify", echo, methods=["POST"]), Route("/readyz", echo, methods=["GET", "POST"])])
    return BodyLimitMiddleware(ApiKeyMiddleware(app, api_key), max_bytes)


async def _post(app, path="/classify", **kw) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.post(path, **kw)


async def test_api_key_required_when_configured():
    app = _app()
    r = await _post(app, content=b"x")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    r = await _post(app, content=b"x", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = await _post(app, content=b"x", headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200
    r = await _post(app, path="/readyz", content=b"x")  # probes need no key
    assert r.status_code == 200


async def test_no_key_configured_means_open():
    r = await _post(_app(api_key=None), content=b"x")
    assert r.status_code == 200


async def test_body_limit_on_content_length_and_on_stream():
    app = _app(api_key=None, max_bytes=1000)
    assert (await _post(app, content=b"x" * 1000)).status_code == 200
    r = await _post(app, content=b"x" * 1001)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

    async def chunks():  # no Content-Length: counted while reading
        for _ in range(5):
            yield b"x" * 400

    r = await _post(app, content=chunks())
    assert r.status_code == 413


def test_settings_from_env_validates(monkeypatch):
    monkeypatch.setenv("ZOO_MODELS", "a, b:v1")
    monkeypatch.setenv("ZOO_MAX_BATCH_SIZE", "8")
    s = Settings.from_env()
    assert s.models == ("a", "b:v1") and s.max_batch_size == 8
    assert "api_key" not in s.public()
    for name, bad in [("ZOO_MAX_BATCH_SIZE", "0"), ("ZOO_MAX_BATCH_SIZE", "x"), ("ZOO_MAX_WAIT_MS", "-1"),
                      ("ZOO_REQUEST_TIMEOUT_S", "soon")]:
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValueError, match=name):
            Settings.from_env()
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZOO_MODELS", " , ")
    with pytest.raises(ValueError):
        Settings.from_env()
