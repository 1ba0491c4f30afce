"""End to end: a real ``bentoml serve`` process on loopback, called through the SDK and raw HTTP."""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zlib

import httpx
import numpy as np
import pytest
import zoo_client
from PIL import Image

from tests.conftest import TINY_LENET, TINY_MODEL
from zoo.artifact import STORE_SUBDIR
from zoo.classifier.pipeline import ClassifierPipeline
from zoo.ops.image import encode_png

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(server: str) -> zoo_client.Client:
    with zoo_client.Client(server, max_retries=0, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def local_pipeline(tiny_export: dict) -> ClassifierPipeline:
    """The same artifact loaded in-process: what the server must answer."""
    import bentoml

    model = bentoml.models.get(tiny_export["tag"])
    pipeline, _, _ = ClassifierPipeline.from_artifact(f"{model.path}/{STORE_SUBDIR}", providers="cpu")
    return pipeline


def _png(arr: np.ndarray) -> bytes:
    return encode_png(arr)


def test_classify_matches_in_process_pipeline(client, local_pipeline, fashion_test):
    images, labels = fashion_test
    batch = [images[i] for i in range(8)]
    resp = client.classify(batch, top_k=3)
    assert resp.model == TINY_MODEL and resp.provider == "CPUExecutionProvider"
    expected = local_pipeline(batch, top_k=3)
    assert len(resp.results) == 8
    for got, want in zip(resp.results, expected):
        assert [p.index for p in got.predictions] == [p.index for p in want]
        assert [p.label for p in got.predictions] == [p.label for p in want]
        np.testing.assert_allclose([p.score for p in got.predictions], [p.score for p in want], rtol=1e-5)


def test_classify_accuracy_through_http(client, fashion_test, tiny_export):
    images, labels = fashion_test
    n = 200  # five requests of 40 images, the server's per-request limit in these tests
    pred = np.array([r.predictions[0].index for start in range(0, n, 40)
                     for r in client.classify([images[i] for i in range(start, start + 40)], top_k=1).results])
    acc = float(np.mean(pred == labels[:n]))
    # The tiny model (1 epoch on 4k images) reaches ~0.75; the HTTP road must not lose accuracy.
    assert acc >= tiny_export["test_accuracy_onnx"] - 0.08


def test_every_input_kind(client, fashion_test, tmp_path):
    img = fashion_test[0][0]
    path = tmp_path / "x.png"
    path.write_bytes(_png(img))
    jpeg = io.BytesIO()
    Image.fromarray(img).save(jpeg, format="JPEG", quality=95)
    kinds = [str(path), path, _png(img), jpeg.getvalue(), Image.fromarray(img), img]
    resp = client.classify(kinds, top_k=1)
    tops = [r.predictions[0].index for r in resp.results]
    assert len(set(tops[:3] + tops[4:])) == 1  # lossless inputs agree exactly


def test_model_selection_and_listing(client, tiny_export, tiny_lenet_export):
    models = {m.name: m for m in client.models()}
    assert set(models) == {TINY_MODEL, TINY_LENET}
    assert models[TINY_MODEL].default and not models[TINY_LENET].default
    assert models[TINY_MODEL].labels[1] == "Trouser"
    assert models[TINY_MODEL].provider == "CPUExecutionProvider"
    assert models[TINY_MODEL].metrics["test_accuracy_onnx"] == pytest.approx(tiny_export["test_accuracy_onnx"])
    img = np.zeros((28, 28), np.uint8)
    assert client.classify(img, model=TINY_LENET).model == TINY_LENET
    version = tiny_lenet_export["tag"].split(":")[1]
    r = client.classify(img, model=f"{TINY_LENET}:{version}")
    assert (r.model, r.version) == (TINY_LENET, version)
    assert client.classify(img, model=f"{TINY_LENET}:latest").version == version
    assert len(client.classify(img).results[0].predictions) == 5  # the model's own top_k


def test_health_ready_metrics(server, client):
    assert client.live() and client.ready()
    client.classify(np.zeros((28, 28), np.uint8))
    metrics = httpx.get(f"{server}/metrics").text
    assert "zoo_batch_rows" in metrics and f'model="{TINY_MODEL}"' in metrics


def _bomb_png(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header is patched to announce width x height pixels."""
    raw = bytearray(_png(np.zeros((1, 1), np.uint8)))
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(raw[ihdr : ihdr + 17])) & 0xFFFFFFFF
    raw[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(raw)


def _post(server: str, files: list, data: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server}/classify", files=files, data=data or {}, timeout=30)


BAD_INPUTS = [
    ("not_an_image", lambda: [("images", ("a.png", b"hello world", "image/png"))], {}, 400, "invalid_image"),
    ("empty_file", lambda: [("images", ("a.png", b"", "image/png"))], {}, 400, "invalid_image"),
    ("gif_not_allowed", lambda: [("images", ("a.gif", _gif(), "image/gif"))], {}, 400, "invalid_image"),
    ("truncated_png", lambda: [("images", ("a.png", _png(np.ones((64, 64), np.uint8) * 7)[:60], "image/png"))], {},
     400, "invalid_image"),
    ("file_too_large", lambda: [("images", ("a.png", _png(np.random.default_rng(0).integers(0, 255, (600, 600), np.uint8)),
                                            "image/png"))], {}, 413, "image_too_large"),
    ("decompression_bomb", lambda: [("images", ("a.png", _bomb_png(60000, 60000), "image/png"))], {}, 413,
     "image_too_large"),
    ("too_many_pixels", lambda: [("images", ("a.png", _png(np.zeros((1100, 1000), np.uint8)), "image/png"))], {}, 413,
     "image_too_large"),
    ("unknown_model", lambda: [("images", ("a.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))],
     {"model": "nope"}, 404, "model_not_found"),
    ("unknown_version", lambda: [("images", ("a.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))],
     {"model": f"{TINY_MODEL}:doesnotexist"}, 404, "model_not_found"),
    ("top_k_zero", lambda: [("images", ("a.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))],
     {"top_k": "0"}, 400, "invalid_parameter"),
    ("top_k_too_big", lambda: [("images", ("a.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))],
     {"top_k": "11"}, 400, "invalid_parameter"),
    ("too_many_images", lambda: [("images", (f"{i}.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))
                                 for i in range(41)], {}, 413, "too_many_images"),
]


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="GIF")
    return buf.getvalue()


@pytest.mark.parametrize("name,files,data,status,code", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_clear_4xx(server, name, files, data, status, code):
    r = _post(server, files(), data)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["error"]


def test_validation_errors_are_400_json(server):
    r = _post(server, [("images", ("a.png", _png(np.zeros((28, 28), np.uint8)), "image/png"))], {"top_k": "abc"})
    assert r.status_code == 400 and "error" in r.json()
    r = httpx.post(f"{server}/classify", data={"top_k": "3"}, files=[("other", ("x", b"x"))])
    assert r.status_code == 400 and "error" in r.json()


def test_body_limit_refused_before_reading(server):
    big = b"\0" * 2_100_000
    r = _post(server, [("images", ("a.png", big, "image/png"))])
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_sdk_raises_typed_errors(client):
    with pytest.raises(zoo_client.NotFoundError) as e:
        client.classify(np.zeros((28, 28), np.uint8), model="nope")
    assert "unknown model" in e.value.message
    with pytest.raises(zoo_client.BadRequestError):
        client.classify(b"\x89PNG\r\n\x1a\n" + b"not really a png")
    with pytest.raises(zoo_client.PayloadTooLargeError):
        client.classify(_bomb_png(50000, 50000))


def test_concurrent_requests_are_batched(server):
    """64 concurrent single-image requests (bounded): all answered, and some ran together."""
    img = _png(np.zeros((28, 28), np.uint8))

    def batch_count() -> tuple[float, float]:
        text = httpx.get(f"{server}/metrics").text
        vals = {}
        for line in text.splitlines():
            if line.startswith("zoo_batch_rows_") and f'model="{TINY_MODEL}"' in line and "_bucket" not in line:
                key = line.split("{")[0]
                vals[key] = float(line.rsplit(" ", 1)[1])
        return vals.get("zoo_batch_rows_count", 0.0), vals.get("zoo_batch_rows_sum", 0.0)

    before = batch_count()

    async def run() -> list[int]:
        async with zoo_client.AsyncClient(server, max_retries=0, timeout=60) as c:
            results = await asyncio.wait_for(asyncio.gather(*(c.classify(img, top_k=1) for _ in range(64))), 90)
            return [r.results[0].predictions[0].index for r in results]

    start = time.monotonic()
    tops = asyncio.run(run())
    assert time.monotonic() - start < 90
    assert len(tops) == 64 and len(set(tops)) == 1
    after = batch_count()
    runs, rows = after[0] - before[0], after[1] - before[1]
    assert rows == 64
    assert runs < 64, "no two requests shared a batch"


def test_json_strings_are_never_paths_or_urls(server, tmp_path):
    """A JSON body naming a server file or a URL is refused as input, never opened or fetched."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png(np.zeros((28, 28), np.uint8)))  # a valid image: it would classify if opened
    for value in (str(secret), f"file://{secret}", "http://127.0.0.1:1/x.png"):
        r = httpx.post(f"{server}/classify", json={"images": [value]}, timeout=30)
        assert r.status_code == 400, (value, r.text)
        # Refused by type before anything is read: a fetched URL or an opened file would have
        # produced image bytes (200, or invalid_image for the unreachable URL) instead.
        assert r.json()["detail"][0]["msg"] == "Invalid file type", r.text


def test_pickle_bodies_are_refused(server):
    r = httpx.post(f"{server}/classify", content=b"\x80\x04K\x01.",
                   headers={"Content-Type": "application/vnd.bentoml+pickle"}, timeout=30)
    assert r.status_code == 415
