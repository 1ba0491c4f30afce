"""One exception type for every client-visible error, rendered as JSON ``{"error", "code"}``."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ServiceError(Exception):
    """An error the client caused (4xx) or a declared overload/timeout (503/504).

    Args:
        status: HTTP status code.
        code: a stable machine-readable code, e.g. ``invalid_image``.
        message: a human-readable explanation.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        headers = {"Retry-After": "1"} if self.status == 503 else None
        return JSONResponse({"error": self.message, "code": self.code}, status_code=self.status, headers=headers)


def bad_request(message: str, code: str = "invalid_request") -> ServiceError:
    return ServiceError(400, code, message)


def not_found(message: str) -> ServiceError:
    return ServiceError(404, "model_not_found", message)
