"""Service configuration from environment variables, each with a default and validation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from zoo.envvars import env_number

DEFAULT_MODELS = "lenet_bn,resnet18"


def _int(name: str, default: int, minimum: int = 0) -> int:
    return env_number(name, default, minimum=minimum, cast=int)


def _float(name: str, default: float, minimum: float = 0.0) -> float:
    return env_number(name, default, minimum=minimum, cast=float)


@dataclass(frozen=True)
class Settings:
    """Knobs of the service (environment variable in brackets).

    Attributes:
        models: model tags to load, ``name`` (latest version) or ``name:version`` [ZOO_MODELS].
        default_model: model used when a request names none; default the first [ZOO_DEFAULT_MODEL].
        max_batch_size: most images per onnxruntime run [ZOO_MAX_BATCH_SIZE].
        max_wait_ms: how long a non-full batch waits for more requests [ZOO_MAX_WAIT_MS].
        max_queue: most images waiting per model before 503 [ZOO_MAX_QUEUE].
        max_images: most images in one request [ZOO_MAX_IMAGES].
        max_image_bytes: largest accepted image file [ZOO_MAX_IMAGE_BYTES].
        max_image_pixels: most pixels an image header may announce [ZOO_MAX_IMAGE_PIXELS].
        max_body_bytes: largest request body, checked on Content-Length and while reading [ZOO_MAX_BODY_BYTES].
        request_timeout_s: inference time limit per request, then 504 [ZOO_REQUEST_TIMEOUT_S].
        decode_threads: images decoded at once; bounds the memory of full-size decoded images
            (each is resized right after decoding) [ZOO_DECODE_THREADS].
        max_concurrency: requests BentoML admits at once [ZOO_MAX_CONCURRENCY].
        api_key: when set, every API route needs ``Authorization: Bearer <key>`` [ZOO_API_KEY].
    """

    models: tuple[str, ...] = field(default_factory=lambda: tuple(DEFAULT_MODELS.split(",")))
    default_model: str | None = None
    max_batch_size: int = 32
    max_wait_ms: float = 2.0
    max_queue: int = 1024
    max_images: int = 64
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 4096 * 4096
    max_body_bytes: int = 64 * 1024 * 1024
    request_timeout_s: float = 30.0
    decode_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_concurrency: int = 512
    api_key: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        models = tuple(m.strip() for m in os.environ.get("ZOO_MODELS", DEFAULT_MODELS).split(",") if m.strip())
        if not models:
            raise ValueError("ZOO_MODELS names no model")
        return cls(
            models=models,
            default_model=os.environ.get("ZOO_DEFAULT_MODEL") or None,
            max_batch_size=_int("ZOO_MAX_BATCH_SIZE", 32, 1),
            max_wait_ms=_float("ZOO_MAX_WAIT_MS", 2.0),
            max_queue=_int("ZOO_MAX_QUEUE", 1024, 1),
            max_images=_int("ZOO_MAX_IMAGES", 64, 1),
            max_image_bytes=_int("ZOO_MAX_IMAGE_BYTES", 10 * 1024 * 1024, 1),
            max_image_pixels=_int("ZOO_MAX_IMAGE_PIXELS", 4096 * 4096, 1),
            max_body_bytes=_int("ZOO_MAX_BODY_BYTES", 64 * 1024 * 1024, 1),
            request_timeout_s=_float("ZOO_REQUEST_TIMEOUT_S", 30.0, 0.001),
            decode_threads=_int("ZOO_DECODE_THREADS", os.cpu_count() or 1, 1),
            max_concurrency=_int("ZOO_MAX_CONCURRENCY", 512, 1),
            api_key=os.environ.get("ZOO_API_KEY") or None,
        )

    def public(self) -> dict[str, object]:
        """Settings without secrets, for the model listing."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}
