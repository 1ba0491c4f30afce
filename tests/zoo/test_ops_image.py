"""zoo.ops.image: safe decoding (allow-list, size limits, bombs, EXIF, modes) and the transforms.

Fast code is pinned to slow, obvious references: a per-pixel loop for ``normalize`` and a
from-scratch separable triangle filter (Pillow's BILINEAR algorithm) for ``resize``.
"""

from __future__ import annotations

import io
import math
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from zoo.ops.image import (
    DEFAULT_MAX_PIXELS,
    ImageDecodeError,
    ImageError,
    ImageTooLargeError,
    decode_image,
    encode_png,
    normalize,
    resize,
)


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _png(array: np.ndarray, **kwargs) -> bytes:
    return _encode(Image.fromarray(array), "PNG", **kwargs)


def _gradient(h: int, w: int) -> np.ndarray:
    """A deterministic uint8 (H, W) image with distinct rows and columns."""
    y, x = np.mgrid[0:h, 0:w]
    return ((y * 7 + x * 3) % 256).astype(np.uint8)


def _with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR width/height of a PNG and recompute the chunk CRC (so Pillow trusts it)."""
    # Layout: 8-byte signature, then IHDR chunk = length(4) + b"IHDR" + 13 data bytes + crc(4).
    assert png[12:16] == b"IHDR"
    body = bytearray(png[12:29])  # chunk type + data, what the CRC covers
    struct.pack_into(">II", body, 4, width, height)
    crc = zlib.crc32(bytes(body)) & 0xFFFFFFFF
    return png[:12] + bytes(body) + struct.pack(">I", crc) + png[33:]


# --------------------------------------------------------------------------- errors


def test_error_classes_carry_http_status() -> None:
    assert issubclass(ImageDecodeError, ImageError) and issubclass(ImageTooLargeError, ImageError)
    assert issubclass(ImageError, ValueError)
    assert ImageDecodeError.status == 400
    assert ImageTooLargeError.status == 413


# --------------------------------------------------------------------------- accepted formats


def test_png_grey_decodes_exactly() -> None:
    a = _gradient(9, 13)
    out = decode_image(_png(a))
    assert out.dtype == np.uint8 and out.shape == (9, 13)
    np.testing.assert_array_equal(out, a)


def test_png_rgb_mode_gives_hwc() -> None:
    rgb = np.stack([_gradient(6, 5), 255 - _gradient(6, 5), np.full((6, 5), 17, np.uint8)], axis=2)
    out = decode_image(_png(rgb), mode="RGB")
    assert out.shape == (6, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, rgb)


def test_rgb_png_to_grey_uses_pil_luma() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 4, 3), dtype=np.uint8)
    out = decode_image(_png(rgb), mode="L")
    assert out.shape == (7, 4)
    np.testing.assert_array_equal(out, np.asarray(Image.fromarray(rgb).convert("L")))


def test_grey_png_to_rgb_replicates_channels() -> None:
    a = _gradient(5, 8)
    out = decode_image(_png(a), mode="RGB")
    assert out.shape == (5, 8, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], a)


def test_jpeg_accepted() -> None:
    a = np.full((16, 24), 128, np.uint8)
    out = decode_image(_encode(Image.fromarray(a), "JPEG", quality=95))
    assert out.shape == (16, 24) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - 128).max() <= 2  # flat grey survives JPEG almost exactly


@pytest.mark.parametrize("data_type", [bytearray, memoryview])
def test_bytes_like_inputs_accepted(data_type: type) -> None:
    a = _gradient(3, 4)
    np.testing.assert_array_equal(decode_image(data_type(_png(a))), a)


def test_bilevel_png_maps_to_0_and_255() -> None:
    bits = np.array([[0, 1, 1], [1, 0, 0]], dtype=bool)
    out = decode_image(_encode(Image.fromarray(bits), "PNG"))
    np.testing.assert_array_equal(out, bits.astype(np.uint8) * 255)


# --------------------------------------------------------------------------- refused input


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_formats_outside_allow_list_refused(fmt: str) -> None:
    data = _encode(Image.fromarray(_gradient(8, 8)), fmt)
    with pytest.raises(ImageDecodeError, match="PNG, JPEG"):
        decode_image(data)


def test_allow_list_is_the_reason_for_refusal() -> None:
    # The same GIF decodes when the caller allows GIF: the refusal above is policy, not a parse error.
    a = _gradient(8, 8)
    data = _encode(Image.fromarray(a), "GIF")
    out = decode_image(data, formats=("PNG", "JPEG", "GIF"))
    assert out.shape == (8, 8)


def test_empty_bytes_refused() -> None:
    with pytest.raises(ImageDecodeError, match="empty"):
        decode_image(b"")


@pytest.mark.parametrize("bad", ["a string", None, 123, np.zeros((2, 2), np.uint8), [1, 2, 3]])
def test_non_bytes_refused(bad: object) -> None:
    with pytest.raises(ImageDecodeError, match="expected encoded image bytes"):
        decode_image(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "garbage",
    [b"not an image at all", b"\x00" * 100, b"\x89PNG\r\n\x1a\n", bytes(range(256)) * 4],
)
def test_garbage_refused(garbage: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        decode_image(garbage)


def test_truncated_png_refused() -> None:
    rng = np.random.default_rng(1)
    data = _png(rng.integers(0, 256, (64, 64), dtype=np.uint8))  # noise: a large IDAT
    cut = data[: len(data) // 2]
    with pytest.raises(ImageDecodeError):
        decode_image(cut)


def test_truncated_jpeg_refused() -> None:
    rng = np.random.default_rng(2)
    data = _encode(Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)), "JPEG")
    with pytest.raises(ImageDecodeError):
        decode_image(data[: len(data) // 3])


def test_zero_width_png_refused() -> None:
    with pytest.raises(ImageDecodeError):
        decode_image(_with_ihdr_size(_png(_gradient(2, 2)), 0, 2))


# --------------------------------------------------------------------------- size limits


def test_oversize_file_refused_with_413_before_parsing() -> None:
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(b"x" * 101, max_bytes=100)  # not even an image: the size check comes first
    assert info.value.status == 413


def test_max_bytes_boundary() -> None:
    data = _png(_gradient(4, 4))
    assert decode_image(data, max_bytes=len(data)).shape == (4, 4)
    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_bytes=len(data) - 1)


def test_max_pixels_boundary() -> None:
    data = _png(_gradient(4, 5))  # 20 pixels
    assert decode_image(data, max_pixels=20).shape == (4, 5)
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(data, max_pixels=19)
    assert info.value.status == 413


@pytest.fixture
def load_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every call to Pillow's pixel decoder (``load``) during a test."""
    calls: list[str] = []
    real_file_load = ImageFile.ImageFile.load
    real_image_load = Image.Image.load

    def file_load(self):  # noqa: ANN001, ANN202
        calls.append("ImageFile.load")
        return real_file_load(self)

    def image_load(self):  # noqa: ANN001, ANN202
        calls.append("Image.load")
        return real_image_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", file_load)
    monkeypatch.setattr(Image.Image, "load", image_load)
    return calls


@pytest.mark.parametrize(
    "side",
    [
        50_000,  # 2.5e9 pixels: beyond Pillow's own bomb limit
        5_000,  # 2.5e7 pixels: under Pillow's limit, over ours (4096 * 4096)
    ],
)
def test_decompression_bomb_refused_from_header_without_decoding(side: int, load_spy: list[str]) -> None:
    bomb = _with_ihdr_size(_png(np.zeros((2, 2), np.uint8)), side, side)
    assert len(bomb) < 100 and side * side > DEFAULT_MAX_PIXELS
    load_spy.clear()  # encoding the seed PNG above decoded its own 2x2 pixels
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(bomb)
    assert time.perf_counter() - start < 0.5
    assert info.value.status == 413
    assert load_spy == [], "pixels were decoded before the bomb was refused"


def test_load_spy_sees_a_normal_decode(load_spy: list[str]) -> None:
    # Guards the bomb test above: the spy does observe pixel decoding when it happens.
    data = _png(_gradient(3, 3))
    load_spy.clear()
    decode_image(data)
    assert load_spy


# --------------------------------------------------------------------------- EXIF orientation


def _exif_orientation(value: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


def test_exif_orientation_6_rotates_png_exactly() -> None:
    a = _gradient(4, 7)
    data = _encode(Image.fromarray(a), "PNG", exif=_exif_orientation(6))
    out = decode_image(data)
    # Orientation 6: the stored image must be turned 90 degrees clockwise to display upright.
    np.testing.assert_array_equal(out, np.rot90(a, k=-1))


def test_exif_orientation_6_transposes_jpeg_shape() -> None:
    a = np.zeros((16, 32), np.uint8)
    a[:, 16:] = 255  # left half dark, right half bright
    data = _encode(Image.fromarray(a), "JPEG", quality=95, exif=_exif_orientation(6))
    out = decode_image(data)
    assert out.shape == (32, 16)
    # After a clockwise quarter turn the stored right half is the bottom half.
    assert out[:12].mean() < 30 and out[20:].mean() > 225


def test_exif_orientation_1_is_unchanged() -> None:
    a = _gradient(4, 7)
    data = _encode(Image.fromarray(a), "PNG", exif=_exif_orientation(1))
    np.testing.assert_array_equal(decode_image(data), a)


# --------------------------------------------------------------------------- transparency and depth


def test_rgba_composited_on_black() -> None:
    rgba = np.array(
        [[[255, 255, 255, 255], [255, 255, 255, 0]], [[200, 100, 50, 128], [10, 20, 30, 255]]],
        dtype=np.uint8,
    )
    data = _png(rgba)
    grey = decode_image(data, mode="L")
    assert grey[0, 0] == 255  # opaque white stays white
    assert grey[0, 1] == 0  # fully transparent white becomes the black background
    rgb = decode_image(data, mode="RGB")
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_array_equal(rgb[0, 1], [0, 0, 0])
    np.testing.assert_array_equal(rgb[1, 1], [10, 20, 30])
    expected = np.array([200, 100, 50]) * 128 / 255  # half transparency: colour * alpha
    assert np.abs(rgb[1, 0].astype(float) - expected).max() <= 1


def test_la_composited_on_black() -> None:
    la = Image.fromarray(np.array([[[200, 255], [200, 0]]], dtype=np.uint8), mode="LA")
    out = decode_image(_encode(la, "PNG"))
    np.testing.assert_array_equal(out, [[200, 0]])


def test_palette_with_transparency_composited_on_black() -> None:
    img = Image.new("P", (3, 1))
    img.putpalette([255, 255, 255, 0, 255, 0, 255, 0, 0] + [0, 0, 0] * 253)
    img.putdata([0, 1, 2])
    data = _encode(img, "PNG", transparency=0)  # palette index 0 (white) is transparent
    rgb = decode_image(data, mode="RGB")
    np.testing.assert_array_equal(rgb[0], [[0, 0, 0], [0, 255, 0], [255, 0, 0]])
    grey = decode_image(data, mode="L")
    assert grey[0, 0] == 0


def test_palette_without_transparency_keeps_colours() -> None:
    img = Image.new("P", (2, 1))
    img.putpalette([255, 255, 255, 0, 0, 255] + [0, 0, 0] * 254)
    img.putdata([0, 1])
    rgb = decode_image(_encode(img, "PNG"), mode="RGB")
    np.testing.assert_array_equal(rgb[0], [[255, 255, 255], [0, 0, 255]])


def test_grey_png_with_transparency_key_composited_on_black() -> None:
    a = np.array([[0, 255], [100, 255]], dtype=np.uint8)
    out = decode_image(_png(a, transparency=255))  # value 255 is fully transparent
    np.testing.assert_array_equal(out, [[0, 0], [100, 0]])


def test_16bit_grey_png_full_range_scaled_not_clipped() -> None:
    a16 = np.array([[0, 65535], [32768, 257 * 100]], dtype=np.uint16)
    data = _png(a16)
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    out = decode_image(data)
    assert out.dtype == np.uint8 and out.shape == (2, 2)
    assert out[0, 0] == 0 and out[0, 1] == 255
    # Clipping would give 255 for every non-zero 16-bit value; scaling keeps the ordering.
    assert 0 < out[1, 1] < out[1, 0] < 255
    assert abs(int(out[1, 0]) - 128) <= 1 and abs(int(out[1, 1]) - 100) <= 1
    rgb = decode_image(data, mode="RGB")
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_array_equal(rgb[:, :, 0], out)


def test_16bit_png_of_8bit_image_decodes_like_the_8bit_png() -> None:
    a8 = _gradient(6, 6) % 201  # max 200, not 255
    a16 = a8.astype(np.uint16) * 257  # the exact 16-bit encoding of each 8-bit value
    np.testing.assert_array_equal(decode_image(_png(a16)), decode_image(_png(a8)))


# --------------------------------------------------------------------------- resize


def _triangle_weights(in_size: int, out_size: int) -> list[tuple[int, list[float]]]:
    """Pillow's BILINEAR resampling weights, written out: a triangle filter widened by the scale
    when shrinking (antialiasing), sampled at pixel centres, normalised to sum 1."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale
    rows = []
    for o in range(out_size):
        center = (o + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        ws = [max(0.0, 1.0 - abs((i - center + 0.5) / filterscale)) for i in range(lo, hi)]
        total = sum(ws)
        rows.append((lo, [w / total for w in ws]))
    return rows


def _slow_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Separable resize: horizontal pass to uint8, then vertical pass to uint8 (Pillow's order)."""
    img = image if image.ndim == 3 else image[:, :, None]
    h, w, c = img.shape

    def to_u8(v: float) -> int:
        return min(255, max(0, math.floor(v + 0.5)))

    tmp = img
    if width != w:
        tmp = np.zeros((h, width, c), np.uint8)
        for x, (lo, ws) in enumerate(_triangle_weights(w, width)):
            for y in range(h):
                for ch in range(c):
                    tmp[y, x, ch] = to_u8(sum(wt * float(img[y, lo + j, ch]) for j, wt in enumerate(ws)))
    out = tmp
    if height != h:
        out = np.zeros((height, width, c), np.uint8)
        for y, (lo, ws) in enumerate(_triangle_weights(h, height)):
            for x in range(width):
                for ch in range(c):
                    out[y, x, ch] = to_u8(sum(wt * float(tmp[lo + j, x, ch]) for j, wt in enumerate(ws)))
    return out if image.ndim == 3 else out[:, :, 0]


def test_resize_same_size_is_identity() -> None:
    a = _gradient(5, 6)
    assert resize(a, (5, 6)) is a


@pytest.mark.parametrize("size", [(40, 40), (11, 13), (28, 7), (20, 28), (1, 1)])
def test_resize_grey_matches_slow_bilinear(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (20, 28), dtype=np.uint8)
    out = resize(a, size)
    assert out.shape == size and out.dtype == np.uint8
    ref = _slow_bilinear(a, *size)
    # Pillow uses fixed-point weights: allow one grey level of rounding difference.
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1


def test_resize_rgb_matches_pil_and_slow_bilinear() -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    out = resize(a, (17, 5))
    assert out.shape == (17, 5, 3) and out.dtype == np.uint8
    pil = np.asarray(Image.fromarray(a).resize((5, 17), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(out, pil)
    assert np.abs(out.astype(int) - _slow_bilinear(a, 17, 5).astype(int)).max() <= 1


def test_resize_takes_height_then_width() -> None:
    out = resize(_gradient(10, 10), (3, 8))
    assert out.shape == (3, 8)


def test_resize_of_a_constant_image_is_constant() -> None:
    out = resize(np.full((7, 9), 77, np.uint8), (31, 4))
    assert (out == 77).all()


# --------------------------------------------------------------------------- normalize


def _slow_normalize(image: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    img = image if image.ndim == 3 else image[:, :, None]
    h, w, c = img.shape
    out = np.zeros((c, h, w), np.float64)
    for ch in range(c):
        for y in range(h):
            for x in range(w):
                out[ch, y, x] = (float(img[y, x, ch]) / 255.0 - mean[ch]) / std[ch]
    return out


def test_normalize_grey_matches_slow_loop() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (6, 9), dtype=np.uint8)
    a[0, 0], a[0, 1] = 0, 255
    out = normalize(a, (0.286,), (0.353,))
    assert out.shape == (1, 6, 9) and out.dtype == np.float32
    np.testing.assert_allclose(out, _slow_normalize(a, (0.286,), (0.353,)), rtol=1e-6, atol=1e-6)


def test_normalize_rgb_matches_slow_loop_per_channel() -> None:
    rng = np.random.default_rng(6)
    a = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = normalize(a, mean, std)
    assert out.shape == (3, 5, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, _slow_normalize(a, mean, std), rtol=1e-6, atol=1e-6)


def test_normalize_identity_stats_scale_to_unit_interval() -> None:
    a = np.array([[0, 51, 255]], np.uint8)
    np.testing.assert_allclose(normalize(a, (0.0,), (1.0,)), [[[0.0, 0.2, 1.0]]], atol=1e-7)


# --------------------------------------------------------------------------- encode_png


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (5, 7, 3), (3, 4, 4)])
def test_encode_png_round_trip(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    data = encode_png(a)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), a)
    if len(shape) == 2:
        np.testing.assert_array_equal(decode_image(data), a)
    elif shape[2] == 3:
        np.testing.assert_array_equal(decode_image(data, mode="RGB"), a)


def test_encode_png_of_a_non_contiguous_view() -> None:
    a = _gradient(6, 8)
    view = a[::2, ::-1]
    np.testing.assert_array_equal(decode_image(encode_png(view)), view)
