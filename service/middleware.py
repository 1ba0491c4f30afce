"""Pure ASGI middlewares: request body size limit and the optional API key."""

from __future__ import annotations

import hmac
import json
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]

# Health, metrics and the docs stay open so that probes and scrapers need no key.
OPEN_PATHS = ("/livez", "/readyz", "/healthz", "/metrics", "/docs.json", "/schema.json", "/")


async def _send_json(send: Any, status: int, body: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413: on Content-Length before reading, else while reading."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_large = {"error": f"request body exceeds {self.max_bytes} bytes", "code": "payload_too_large"}
        if length is not None:
            try:
                if int(length) > self.max_bytes:
                    return await _send_json(send, 413, too_large)
            except ValueError:
                return await _send_json(send, 400, {"error": "bad Content-Length", "code": "invalid_request"})
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    if not started and not refused:
                        refused = True
                        await _send_json(send, 413, too_large)
                    # The app sees a disconnected client and stops reading; what it sends is dropped.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the disconnect staged after the 413 was sent: nothing left to do.


class ApiKeyMiddleware:
    """When a key is configured, API routes need ``Authorization: Bearer <key>`` (else 401)."""

    def __init__(self, app: Any, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.api_key or scope.get("path", "/") in OPEN_PATHS:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"").decode("latin-1")
        token = given[7:] if given.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(token.encode(), self.api_key.encode()):
            return await _send_json(send, 401, {"error": "missing or wrong API key (Authorization: Bearer <key>)",
                                                "code": "unauthorized"})
        return await self.app(scope, receive, send)
