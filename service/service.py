"""The BentoML service: classify images with the classifiers in the model store.

    bentoml serve service.service:ZooService --host 127.0.0.1 --port 3000

Routes: ``POST /classify`` (multipart images), ``GET /v1/models``, BentoML's ``/livez``,
``/readyz`` (ready once every model is loaded and warmed up), ``/metrics`` and ``/docs.json``.
Configuration: environment variables documented in :mod:`service.settings` and the README.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bentoml
import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.batcher import QueueFullError
from service.errors import ServiceError, bad_request
from service.middleware import ApiKeyMiddleware, BodyLimitMiddleware
from service.registry import ModelRegistry
from service.schemas import ClassifyResponse, ClassifyResultOut, PredictionOut
from service.settings import Settings
from zoo.classifier.config import ClassifierConfig
from zoo.classifier.processing import decode, postprocess, preprocess
from zoo.ops.image import ImageError

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
log = logging.getLogger("zoo.service")
SETTINGS = Settings.from_env()

BATCH_ROWS = bentoml.metrics.Histogram(
    name="zoo_batch_rows", documentation="images per onnxruntime run", labelnames=["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
BATCH_SECONDS = bentoml.metrics.Histogram(
    name="zoo_batch_seconds", documentation="seconds per onnxruntime run", labelnames=["model"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


def _observe(model: str, rows: int, seconds: float) -> None:
    BATCH_ROWS.labels(model=model).observe(rows)
    BATCH_SECONDS.labels(model=model).observe(seconds)


async def list_models(request: Request) -> JSONResponse:
    registry: ModelRegistry | None = getattr(request.app.state, "registry", None)
    if registry is None or not registry.ready:
        return JSONResponse({"error": "models are still loading", "code": "not_ready"}, status_code=503)
    return JSONResponse({"models": [m.info(m.tag == registry.default).model_dump() for m in registry.unique()],
                         "settings": registry.settings.public()})


v1 = Starlette(routes=[Route("/models", list_models, methods=["GET"])])


@bentoml.service(
    name="d2l_zoo",
    workers=1,  # one process: onnxruntime's intra-op threads use the cores
    # BentoML's own limit sits above ours, so that our 504 (with its JSON body) answers first.
    traffic={"timeout": SETTINGS.request_timeout_s * 2, "max_concurrency": SETTINGS.max_concurrency},
)
@bentoml.asgi_app(v1, path="/v1")
class ZooService:
    """Image classification over onnxruntime with adaptive batching."""

    def __init__(self) -> None:
        self.settings = SETTINGS
        self.registry = ModelRegistry(self.settings)
        self.registry.load_all(on_batch=_observe)
        # Decoding runs here, off the event loop; its size bounds how many full-size decoded
        # images exist at once (each is resized to the network input right after decoding).
        self.decoder = ThreadPoolExecutor(max_workers=self.settings.decode_threads, thread_name_prefix="decode")
        v1.state.registry = self.registry

    def __is_ready__(self) -> bool:
        return self.registry.ready

    @bentoml.api(route="/classify")
    async def classify(self, images: list[Path], top_k: int | None = None, model: str | None = None) -> ClassifyResponse:
        """Classify one or more uploaded PNG/JPEG images.

        Args:
            images: the image files (multipart field ``images``, repeated).
            top_k: labels per image, 1..number of classes (default: the model's ``top_k``).
            model: ``name`` or ``name:version`` of a loaded model (default: the service default).
        """
        try:
            return await self._classify(images, top_k, model)
        except ServiceError as e:
            return e.response()  # type: ignore[return-value]

    def _decode_one(self, i: int, path: Path, cfg: ClassifierConfig) -> np.ndarray:
        """Safely decode one upload and preprocess it at once (the zoo's one copy): (1, C, S, S)."""
        s = self.settings
        try:
            image = decode(path.read_bytes(), cfg, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        except ImageError as e:
            code = "image_too_large" if e.status == 413 else "invalid_image"
            raise ServiceError(e.status, code, f"image {i}: {e}") from e
        return preprocess([image], cfg)

    async def _classify(self, images: list[Path], top_k: int | None, model_spec: str | None) -> ClassifyResponse:
        s = self.settings
        loaded = self.registry.get(model_spec)
        cfg = loaded.pipeline.config
        if not images:
            raise bad_request("no images: send one or more files in the multipart field 'images'")
        if len(images) > s.max_images:
            raise ServiceError(413, "too_many_images", f"{len(images)} images; the limit is {s.max_images} per request")
        k = cfg.top_k if top_k is None else top_k
        if not 1 <= k <= cfg.num_classes:
            raise bad_request(f"top_k must be between 1 and {cfg.num_classes}, got {k}", "invalid_parameter")
        sizes = [path.stat().st_size for path in images]
        for i, size in enumerate(sizes):
            if size > s.max_image_bytes:
                raise ServiceError(413, "image_too_large",
                                   f"image {i}: file is {size} bytes; the limit is {s.max_image_bytes}")
        loop = asyncio.get_running_loop()
        x = np.concatenate(await asyncio.gather(*(
            loop.run_in_executor(self.decoder, self._decode_one, i, path, cfg) for i, path in enumerate(images)
        )))
        try:
            logits = await asyncio.wait_for(loaded.batcher.submit(x), s.request_timeout_s)
        except QueueFullError as e:
            raise ServiceError(503, "overloaded", f"server overloaded, retry later ({e})") from e
        except TimeoutError as e:
            raise ServiceError(504, "timeout", f"inference took longer than {s.request_timeout_s}s") from e
        ranked = postprocess(logits, cfg, k)
        return ClassifyResponse(
            model=loaded.name, version=loaded.version, provider=loaded.onnx.provider,
            results=[ClassifyResultOut(predictions=[PredictionOut(index=p.index, label=p.label, score=p.score)
                                                    for p in row]) for row in ranked],
        )


# Both answer before the app reads the body: a wrong key (401) or an oversized body (413).
ZooService.add_asgi_middleware(BodyLimitMiddleware, max_bytes=SETTINGS.max_body_bytes)
ZooService.add_asgi_middleware(ApiKeyMiddleware, api_key=SETTINGS.api_key)
