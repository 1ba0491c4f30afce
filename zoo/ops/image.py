"""Safe image decoding and the numpy image transforms every family shares.

Decoding accepts only an allow-list of formats, refuses images whose header announces more
pixels than a limit *before* any pixel is decoded (decompression bombs), applies the EXIF
orientation and converts the mode. Nothing here fetches a URL or unpickles anything.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 4096 * 4096


class ImageError(ValueError):
    """Base class of image input errors; ``status`` is the HTTP status a service should use."""

    status = 400


class ImageDecodeError(ImageError):
    """The bytes are not a decodable image of an allowed format."""

    status = 400


class ImageTooLargeError(ImageError):
    """The encoded file or its announced pixel count exceeds a limit."""

    status = 413


def decode_image(
    data: bytes,
    *,
    mode: str = "L",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    formats: tuple[str, ...] = ALLOWED_FORMATS,
) -> np.ndarray:
    """Decode an encoded image to a uint8 array.

    Args:
        data: the encoded file (PNG or JPEG by default).
        mode: the PIL mode to convert to: ``"L"`` gives (H, W), ``"RGB"`` gives (H, W, 3).
            Transparent pixels are composited on black, the background of Fashion-MNIST.
        max_bytes: refuse larger files.
        max_pixels: refuse images whose header announces more pixels, before decoding.
        formats: the PIL format names accepted.

    Returns:
        uint8 array of shape (H, W) or (H, W, C).

    Raises:
        ImageDecodeError: not an image, a format outside ``formats``, or a corrupt file.
        ImageTooLargeError: more than ``max_bytes`` bytes or ``max_pixels`` pixels.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageDecodeError(f"expected encoded image bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise ImageDecodeError("empty file: no image data")
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"image file is {len(data)} bytes; the limit is {max_bytes}")
    try:
        # Image.open reads only the header; pixels are decoded by load() below, after the
        # pixel count it announces has been checked against max_pixels.
        img = Image.open(io.BytesIO(data), formats=list(formats))
    except UnidentifiedImageError as e:
        raise ImageDecodeError(
            f"not a decodable image; accepted formats: {', '.join(formats)}"
        ) from e
    except Image.DecompressionBombError as e:
        raise ImageTooLargeError(f"image refused as a decompression bomb: {e}") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        # A recognised signature with a broken header (PIL raises any of these).
        raise ImageDecodeError(f"corrupt image header: {e}") from e
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels}"
        )
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageDecodeError(f"corrupt or truncated {img.format} image: {e}") from e
    img = _apply_exif_orientation(img)
    try:
        img = _convert(img, mode)
    except (OSError, ValueError) as e:
        raise ImageDecodeError(f"cannot convert {img.mode} image to {mode}: {e}") from e
    return np.asarray(img, dtype=np.uint8)


def _apply_exif_orientation(img: Image.Image) -> Image.Image:
    """Rotate/flip as the EXIF orientation tag says.

    Malformed EXIF makes Pillow raise almost anything (struct.error, TypeError, ...) while it
    rewrites the block; the pixels are still good, so such an image is used as stored.
    """
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - any EXIF parsing failure: keep the stored orientation
        return img


def _convert(img: Image.Image, mode: str) -> Image.Image:
    """Convert to ``mode``, compositing any transparency on black first."""
    if "transparency" in img.info and img.mode in ("P", "L", "RGB"):
        img = img.convert("RGBA")  # a palette or colour-key transparency becomes an alpha channel
    if img.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", img.size, (0, 0, 0, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale the full 16-bit range to 8 bits (not clip, not stretch).
        arr = np.clip(np.asarray(img, dtype=np.float64), 0, 65535)
        img = Image.fromarray((arr * 255 / 65535).round().astype(np.uint8))
    return img.convert(mode)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 (H, W) or (H, W, C) array to ``size`` = (height, width), bilinear.

    Returns the input unchanged when it already has that size.
    """
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(
        Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR), dtype=np.uint8
    )


def normalize(image: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """Scale uint8 pixels to [0, 1] then standardise per channel; returns float32 (C, H, W)."""
    x = image.astype(np.float32) / 255.0
    if x.ndim == 2:
        x = x[None]  # (1, H, W)
    else:
        x = x.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    m = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
    return (x - m) / s


def encode_png(image: np.ndarray) -> bytes:
    """Encode a uint8 (H, W) or (H, W, C) array as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
