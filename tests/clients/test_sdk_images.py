"""Image inputs → encoded bytes: every accepted kind round-trips through Pillow pixel-exactly."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from zoo_client._images import encode_image, encode_images, encode_png, sniff_content_type

RNG = np.random.default_rng(0)


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("shape", "mode"),
    [
        ((5, 7), "L"),
        ((5, 7, 1), "L"),
        ((5, 7, 3), "RGB"),
        ((5, 7, 4), "RGBA"),
        ((1, 1, 3), "RGB"),
        ((9, 1), "L"),
    ],
)
def test_numpy_arrays_encode_to_lossless_png(shape: tuple[int, ...], mode: str) -> None:
    array = RNG.integers(0, 256, size=shape, dtype=np.uint8)
    filename, data, content_type = encode_image(array, index=2)
    assert (filename, content_type) == ("image2.png", "image/png")
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == mode and image.size == (shape[1], shape[0])
    np.testing.assert_array_equal(decode(data), array.reshape(shape[:2]) if mode == "L" else array)


def test_extreme_values_and_non_contiguous_arrays() -> None:
    base = np.zeros((6, 8, 3), dtype=np.uint8)
    base[::2] = 255  # Every other row saturated: filter bytes must not leak into pixels.
    for array in (base, base[:, ::2], base[::-1], np.asfortranarray(base), base.transpose(1, 0, 2)):
        assert not array.flags["C_CONTIGUOUS"] or array is base
        np.testing.assert_array_equal(decode(encode_image(array)[1]), array)


def test_no_resizing_on_the_client() -> None:
    array = RNG.integers(0, 256, size=(3, 1000), dtype=np.uint8)
    assert decode(encode_image(array)[1]).shape == (3, 1000)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, np.int8, np.int64, bool])
def test_non_uint8_arrays_are_rejected(dtype: type) -> None:
    with pytest.raises(TypeError, match="uint8"):
        encode_image(np.zeros((4, 4, 3), dtype=dtype))


@pytest.mark.parametrize("shape", [(4,), (4, 4, 2), (4, 4, 5), (2, 4, 4, 3), (0, 4), (4, 0, 3)])
def test_unsupported_array_shapes_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        encode_image(np.zeros(shape, dtype=np.uint8))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16"])
def test_pil_images_are_saved_as_png(mode: str) -> None:
    array = RNG.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    image = Image.fromarray(array).convert(mode)
    filename, data, content_type = encode_image(image)
    assert (filename, content_type) == ("image0.png", "image/png")
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.mode == image.mode
        np.testing.assert_array_equal(np.asarray(decoded), np.asarray(image))


def test_pil_image_that_png_cannot_hold_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="CMYK"):
        encode_image(Image.new("CMYK", (2, 2)))


def test_png_and_jpeg_bytes_are_sent_as_is() -> None:
    array = RNG.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    png, jpeg = png_bytes(array), jpeg_bytes(array)
    assert encode_image(png) == ("image0.png", png, "image/png")
    assert encode_image(jpeg, index=1) == ("image1.jpg", jpeg, "image/jpeg")
    assert encode_image(bytearray(jpeg)) == ("image0.jpg", jpeg, "image/jpeg")


def test_paths_are_read(tmp_path: Path) -> None:
    array = RNG.integers(0, 256, size=(8, 8), dtype=np.uint8)
    png_path, jpeg_path = tmp_path / "a.png", tmp_path / "b.jpeg"
    png_path.write_bytes(png_bytes(array))
    jpeg_path.write_bytes(jpeg_bytes(array))
    assert encode_image(str(png_path)) == ("image0.png", png_path.read_bytes(), "image/png")
    assert encode_image(jpeg_path) == ("image0.jpg", jpeg_path.read_bytes(), "image/jpeg")


def test_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        encode_image(tmp_path / "nope.png")


def test_non_png_jpeg_data_is_rejected(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="not PNG or JPEG"):
        encode_image(text)
    with pytest.raises(ValueError, match="not PNG or JPEG"):
        encode_image(b"GIF89a....")
    with pytest.raises(ValueError, match="not PNG or JPEG"):
        encode_image(b"")


@pytest.mark.parametrize("value", [None, 3, 1.5, {"a": 1}, [b"x"], object()])
def test_unsupported_types_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError, match="unsupported image type"):
        encode_image(value)  # type: ignore[arg-type]


def test_batches() -> None:
    array = np.zeros((2, 2), dtype=np.uint8)
    png = png_bytes(array)
    assert [name for name, _, _ in encode_images([png, array, jpeg_bytes(array)])] == [
        "image0.png",
        "image1.png",
        "image2.jpg",
    ]
    assert len(encode_images((png, png))) == 2
    assert len(encode_images(array)) == 1  # An array is one image, not a batch of rows.
    with pytest.raises(ValueError, match="at least one"):
        encode_images([])


def test_encode_png_chunks_are_well_formed() -> None:
    data = encode_png(bytes([0, 128, 255, 7, 8, 9]), height=2, width=1, channels=3)
    assert sniff_content_type(data) == "image/png"
    # IHDR: width=1, height=2, depth 8, colour type 2 (RGB); CRCs checked by Pillow's verify().
    assert data[16:26] == b"\x00\x00\x00\x01\x00\x00\x00\x02\x08\x02"
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    np.testing.assert_array_equal(decode(data), [[[0, 128, 255]], [[7, 8, 9]]])
    # Scanlines: one filter byte (0) then the row's pixels.
    idat_length = int.from_bytes(data[33:37], "big")
    assert zlib.decompress(data[41 : 41 + idat_length]) == b"\x00\x00\x80\xff\x00\x07\x08\x09"


def test_encode_png_checks_sizes() -> None:
    with pytest.raises(ValueError, match="pixel bytes"):
        encode_png(b"\x00" * 5, height=2, width=1, channels=3)
    with pytest.raises(ValueError, match="channels"):
        encode_png(b"\x00" * 4, height=1, width=2, channels=2)


def test_importing_the_client_imports_neither_pil_nor_numpy() -> None:
    code = "import sys, zoo_client; print(sorted({'PIL', 'numpy', 'torch', 'bentoml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
