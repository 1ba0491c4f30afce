"""The classify handler's overload (503) and timeout (504) answers, in-process."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from service.batcher import AdaptiveBatcher
from service.registry import ModelRegistry
from service.settings import Settings
from tests.conftest import TINY_MODEL
from zoo.classifier.config import ClassifierConfig
from zoo.ops.image import encode_png


def _handler(fn, **settings):
    """A ZooService instance wired to a fake model whose network is ``fn``."""
    from service.service import ZooService

    svc = ZooService.inner.__new__(ZooService.inner)
    svc.settings = Settings(**settings)
    model = SimpleNamespace(name="m", version="v", onnx=SimpleNamespace(provider="CPUExecutionProvider"),
                            pipeline=SimpleNamespace(config=ClassifierConfig()),
                            batcher=AdaptiveBatcher(fn, max_batch_size=4, max_queue=settings.get("max_queue", 1024)))
    svc.registry = SimpleNamespace(get=lambda spec: model)
    svc.decoder = ThreadPoolExecutor(1)
    return svc


def _image(tmp_path: Path) -> Path:
    p = tmp_path / "a.png"
    p.write_bytes(encode_png(np.zeros((28, 28), np.uint8)))
    return p


async def test_timeout_is_504(tmp_path):
    gate = threading.Event()
    svc = _handler(lambda x: gate.wait(5) and np.zeros((len(x), 10)), request_timeout_s=0.2)
    resp = await svc.classify([_image(tmp_path)])
    gate.set()
    assert resp.status_code == 504 and json.loads(resp.body)["code"] == "timeout"


async def test_overload_is_503_with_retry_after(tmp_path):
    gate = threading.Event()

    def blocked(x):
        gate.wait(5)
        return np.zeros((len(x), 10))

    svc = _handler(blocked, max_queue=2)
    img = _image(tmp_path)
    first = asyncio.ensure_future(svc.classify([img, img]))  # 2 rows fill the queue
    await asyncio.sleep(0.2)
    second = asyncio.ensure_future(svc.classify([img, img]))
    await asyncio.sleep(0.2)
    resp = await svc.classify([img])
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert json.loads(resp.body)["code"] == "overloaded"
    gate.set()
    assert (await first).results and (await second).results


def test_latest_spec_is_resolved(tiny_export):
    reg = ModelRegistry(Settings(models=(f"{TINY_MODEL}:latest",)))
    reg.load_all()
    version = tiny_export["tag"].split(":")[1]
    assert reg.get(None).version == version
    assert reg.get(f"{TINY_MODEL}:latest").version == version
    assert reg.get(TINY_MODEL).version == version
