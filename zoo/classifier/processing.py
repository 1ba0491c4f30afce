"""Classifier pre- and post-processing in numpy: the only copy, used by training evaluation,
export validation and the service alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from zoo.classifier.config import ClassifierConfig
from zoo.ops.image import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode_image, normalize, resize
from zoo.ops.metrics import softmax, top_k


@dataclass(frozen=True)
class Prediction:
    """One ranked label: class index, name and softmax probability."""

    index: int
    label: str
    score: float


def decode(
    data: bytes,
    config: ClassifierConfig,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode an uploaded PNG/JPEG to the uint8 array ``preprocess`` takes (safe decoding)."""
    return decode_image(data, mode=config.color_mode, max_bytes=max_bytes, max_pixels=max_pixels)


def _to_mode(image: np.ndarray, config: ClassifierConfig) -> np.ndarray:
    """Bring a uint8 (H, W) or (H, W, C) array to the channel count the network takes.

    Conversions go through PIL, as decoding does: RGBA is composited on black first.
    """
    if image.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]  # (H, W, 1) is greyscale
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2) if config.in_channels == 3 else image
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"an image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got shape {image.shape}")
    if image.shape[2] == 3 and config.in_channels == 3:
        return image
    pil = Image.fromarray(image)
    if pil.mode == "RGBA":
        pil = Image.alpha_composite(Image.new("RGBA", pil.size, (0, 0, 0, 255)), pil)
    return np.asarray(pil.convert(config.color_mode))


def preprocess(images: Sequence[np.ndarray], config: ClassifierConfig) -> np.ndarray:
    """Turn uint8 images into the network input.

    Args:
        images: uint8 arrays, (H, W) greyscale or (H, W, 3) RGB, any size.
        config: gives image size, channel count, mean and std.

    Returns:
        float32 array (N, C, S, S) with S = ``config.image_size``.
    """
    if len(images) == 0:
        raise ValueError("no images to preprocess")
    size = (config.image_size, config.image_size)
    out = np.empty((len(images), config.in_channels, *size), dtype=np.float32)
    for i, image in enumerate(images):
        out[i] = normalize(resize(_to_mode(image, config), size), config.mean, config.std)
    return out


def postprocess(logits: np.ndarray, config: ClassifierConfig, k: int | None = None) -> list[list[Prediction]]:
    """Softmax the logits (N, num_classes) and keep the ``k`` best labels of each row."""
    k = config.top_k if k is None else k
    if logits.ndim != 2 or logits.shape[1] != config.num_classes:
        raise ValueError(f"logits must be (N, {config.num_classes}), got shape {logits.shape}")
    probs = softmax(logits.astype(np.float64), axis=1)
    idx, vals = top_k(probs, k)
    return [
        [Prediction(int(i), config.labels[int(i)], float(v)) for i, v in zip(ri, rv)]
        for ri, rv in zip(idx, vals)
    ]
