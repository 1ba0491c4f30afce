"""Mutated PNG/JPEG bytes either decode or raise ImageError: never anything else (no 500s)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from zoo.ops.image import ImageError, decode_image, encode_png


def _jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG")
    return buf.getvalue()


def test_mutated_images_raise_only_image_errors():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (32, 32), dtype=np.uint8)
    seeds = [encode_png(base), _jpeg(base), encode_png(np.stack([base] * 3, axis=2))]
    outcomes = {"decoded": 0, "refused": 0}
    for original in seeds:
        for _ in range(150):
            data = bytearray(original)
            kind = rng.integers(0, 3)
            if kind == 0:  # flip a few bytes
                for pos in rng.integers(0, len(data), rng.integers(1, 8)):
                    data[pos] = rng.integers(0, 256)
            elif kind == 1:  # truncate
                data = data[: rng.integers(1, len(data))]
            else:  # keep the signature, replace the rest
                data = data[:8] + bytearray(rng.integers(0, 256, rng.integers(0, 64), dtype=np.uint8))
            try:
                out = decode_image(bytes(data))
            except ImageError:
                outcomes["refused"] += 1
            else:
                assert out.dtype == np.uint8 and out.ndim == 2
                outcomes["decoded"] += 1
    assert outcomes["refused"] > 0


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it skips
def test_malformed_exif_never_escapes():
    """Random bytes inside a JPEG's EXIF segment: decoded (orientation ignored) or ImageError."""
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (8, 12), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    exif[0x010F] = "camera"
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    original = buf.getvalue()
    start = original.index(b"Exif\x00\x00") + 6
    end = start + int.from_bytes(original[start - 8 : start - 6], "big") - 8
    for _ in range(300):
        data = bytearray(original)
        for pos in rng.integers(start, end, rng.integers(1, 6)):
            data[pos] = rng.integers(0, 256)
        try:
            out = decode_image(bytes(data))
        except ImageError:
            continue
        assert out.shape in ((8, 12), (12, 8))
