"""Turn the accepted image inputs into encoded PNG/JPEG bytes for upload.

No resizing or normalisation happens here: the server owns all preprocessing. PIL and
numpy are duck-typed so that neither is a dependency of the client.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

__all__ = ["ImageInput", "EncodedImage", "encode_image", "encode_images", "encode_png", "sniff_content_type"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"

# PNG colour types by channel count (PNG spec, IHDR): grey, RGB, RGBA.
_PNG_COLOR_TYPE = {1: 0, 3: 2, 4: 6}


class SupportsSave(Protocol):
    """Anything saved like a PIL image: ``img.save(fp, format="PNG")``."""

    def save(self, fp: Any, format: str | None = None, **params: Any) -> None: ...


class SupportsArray(Protocol):
    """Anything shaped like a numpy array: ``shape``, ``dtype`` and ``tobytes()``."""

    @property
    def __array_interface__(self) -> dict[str, Any]: ...

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> Any: ...

    def tobytes(self) -> bytes: ...


ImageInput: TypeAlias = str | os.PathLike[str] | bytes | bytearray | SupportsSave | SupportsArray
"""One image: a file path, encoded PNG/JPEG bytes, a PIL image or a uint8 numpy array."""

EncodedImage: TypeAlias = tuple[str, bytes, str]
"""``(filename, data, content_type)``, the shape httpx expects for a file part."""


def sniff_content_type(data: bytes) -> str | None:
    """Return ``"image/png"`` or ``"image/jpeg"`` from the magic bytes, else ``None``."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    return None


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    # Each chunk: length, type, payload, CRC32 of type + payload (all big-endian).
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png(pixels: bytes, height: int, width: int, channels: int) -> bytes:
    """Encode raw 8-bit pixels as a PNG with a minimal pure-Python encoder.

    Args:
        pixels: Row-major ``height * width * channels`` bytes.
        height: Image height in pixels.
        width: Image width in pixels.
        channels: 1 (grey), 3 (RGB) or 4 (RGBA).

    Returns:
        The PNG file as bytes.

    Raises:
        ValueError: If the sizes do not match or ``channels`` is unsupported.
    """
    if channels not in _PNG_COLOR_TYPE:
        raise ValueError(f"PNG encoding supports 1, 3 or 4 channels, got {channels}")
    if height <= 0 or width <= 0:
        raise ValueError(f"image must be non-empty, got height={height} width={width}")
    stride = width * channels
    if len(pixels) != height * stride:
        raise ValueError(f"expected {height * stride} pixel bytes, got {len(pixels)}")
    # Bit depth 8, colour type, compression 0 (deflate), filter method 0, no interlace.
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOR_TYPE[channels], 0, 0, 0)
    # Every scanline starts with its filter type; 0 (None) keeps the encoder trivial.
    raw = b"".join(b"\x00" + pixels[row * stride : (row + 1) * stride] for row in range(height))
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 6))
        + _png_chunk(b"IEND", b"")
    )


def _is_array(obj: Any) -> bool:
    return hasattr(obj, "__array_interface__") and hasattr(obj, "shape") and hasattr(obj, "dtype")


def _array_to_png(array: Any) -> bytes:
    if str(array.dtype) != "uint8":
        raise TypeError(f"arrays must have dtype uint8, got {array.dtype}; scale and cast before sending")
    shape = tuple(int(n) for n in array.shape)
    if len(shape) == 2:
        height, width, channels = shape[0], shape[1], 1
    elif len(shape) == 3 and shape[2] in _PNG_COLOR_TYPE:
        height, width, channels = shape
    else:
        raise ValueError(f"arrays must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got shape {shape}")
    # tobytes() is C-ordered whatever the memory layout, so strided views encode correctly.
    return encode_png(array.tobytes(), height, width, channels)


def _pil_to_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    try:
        image.save(buffer, format="PNG")
    except (OSError, KeyError, ValueError) as err:
        mode = getattr(image, "mode", "?")
        raise ValueError(f"could not encode image (mode {mode}) as PNG: {err}") from err
    return buffer.getvalue()


def _to_bytes(image: Any) -> bytes:
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return f.read()
    # PIL images also expose __array_interface__, so test for .save first.
    if callable(getattr(image, "save", None)):
        return _pil_to_png(image)
    if _is_array(image):
        return _array_to_png(image)
    raise TypeError(
        f"unsupported image type {type(image).__name__}: pass a file path, PNG/JPEG bytes, "
        "a PIL image or a uint8 numpy array"
    )


def encode_image(image: ImageInput, index: int = 0) -> EncodedImage:
    """Encode one image input into a multipart file part.

    Args:
        image: A ``str``/``os.PathLike`` path, PNG/JPEG ``bytes``, a PIL image or a uint8
            numpy array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).
        index: Position in the request, used for the filename ``image{index}.png``.

    Returns:
        ``(filename, data, content_type)``.

    Raises:
        TypeError: For unsupported input types or non-uint8 arrays.
        ValueError: For bytes/files that are not PNG or JPEG, or unsupported array shapes.
        OSError: If a path cannot be read.
    """
    data = _to_bytes(image)
    content_type = sniff_content_type(data)
    if content_type is None:
        where = f" ({os.fspath(image)!s})" if isinstance(image, (str, os.PathLike)) else ""
        raise ValueError(f"image {index}{where} is not PNG or JPEG data")
    extension = "png" if content_type == "image/png" else "jpg"
    return f"image{index}.{extension}", data, content_type


def encode_images(images: ImageInput | Sequence[ImageInput]) -> list[EncodedImage]:
    """Encode one image or a list/tuple of images; see :func:`encode_image`.

    Raises:
        ValueError: If ``images`` is an empty list.
    """
    items = list(images) if isinstance(images, (list, tuple)) else [images]
    if not items:
        raise ValueError("images must contain at least one image")
    return [encode_image(image, i) for i, image in enumerate(items)]
