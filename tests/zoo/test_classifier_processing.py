"""zoo.classifier.processing: preprocess pinned to a slow reference, postprocess to softmax, and the
serving road (decode of an upload) equal to the training road (the array itself)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from zoo.classifier.config import IMAGENET_MEAN, IMAGENET_STD, ClassifierConfig
from zoo.classifier.processing import Prediction, decode, postprocess, preprocess
from zoo.ops.image import ImageDecodeError, ImageTooLargeError, encode_png
from zoo.ops.metrics import softmax

GREY = ClassifierConfig()  # lenet_bn, 28x28, 1 channel, Fashion-MNIST stats
RGB = ClassifierConfig(
    arch="resnet18", image_size=32, in_channels=3, mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD)
)


def _rand(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _slow_preprocess_one(image: np.ndarray, config: ClassifierConfig) -> np.ndarray:
    """The obvious way: PIL to the right mode, PIL bilinear resize, then per-pixel standardise."""
    pil = Image.fromarray(image)
    pil = pil.convert(config.color_mode)
    s = config.image_size
    if pil.size != (s, s):
        pil = pil.resize((s, s), Image.Resampling.BILINEAR)
    arr = np.asarray(pil)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    out = np.zeros((config.in_channels, s, s), np.float64)
    for c in range(config.in_channels):
        for y in range(s):
            for x in range(s):
                out[c, y, x] = (arr[y, x, c] / 255.0 - config.mean[c]) / config.std[c]
    return out


# --------------------------------------------------------------------------- preprocess


def test_preprocess_shape_and_dtype() -> None:
    out = preprocess([_rand((28, 28)), _rand((40, 17), 1)], GREY)
    assert out.shape == (2, 1, 28, 28) and out.dtype == np.float32
    out = preprocess([_rand((50, 60, 3))], RGB)
    assert out.shape == (1, 3, 32, 32) and out.dtype == np.float32


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (GREY, (28, 28)),  # no resize
        (GREY, (20, 33)),  # upscale, non-square
        (GREY, (56, 56)),  # downscale
        (RGB, (45, 30, 3)),
        (RGB, (32, 32, 3)),
    ],
)
def test_preprocess_matches_slow_reference(config: ClassifierConfig, shape: tuple[int, ...]) -> None:
    image = _rand(shape, seed=len(shape) * 100 + shape[0])
    out = preprocess([image], config)
    np.testing.assert_allclose(out[0], _slow_preprocess_one(image, config), rtol=1e-5, atol=1e-5)


def test_preprocess_batch_rows_are_independent() -> None:
    images = [_rand((28, 28), i) for i in range(3)]
    batch = preprocess(images, GREY)
    for i, image in enumerate(images):
        np.testing.assert_array_equal(batch[i], preprocess([image], GREY)[0])


def test_grey_image_replicated_to_three_channels() -> None:
    image = _rand((20, 24), 3)
    out = preprocess([image], RGB)[0]
    # Undo the per-channel standardisation: the three channels hold the same pixels.
    raw = (
        out * np.asarray(RGB.std, np.float32)[:, None, None] + np.asarray(RGB.mean, np.float32)[:, None, None]
    )
    np.testing.assert_allclose(raw[0], raw[1], atol=1e-6)
    np.testing.assert_allclose(raw[0], raw[2], atol=1e-6)
    np.testing.assert_array_equal(out, preprocess([np.repeat(image[:, :, None], 3, axis=2)], RGB)[0])


def test_rgb_image_converted_to_grey_for_one_channel_model() -> None:
    image = _rand((28, 28, 3), 4)
    out = preprocess([image], GREY)
    assert out.shape == (1, 1, 28, 28)
    grey = np.asarray(Image.fromarray(image).convert("L"))
    np.testing.assert_array_equal(out, preprocess([grey], GREY))


@pytest.mark.parametrize("cfg", [GREY, RGB], ids=["grey", "rgb"])
def test_rgba_array_is_composited_on_black_like_decoding(cfg) -> None:
    from zoo.classifier.processing import decode
    from zoo.ops.image import encode_png

    rgb = _rand((28, 28, 3), 5)
    opaque = np.concatenate([rgb, np.full((28, 28, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(preprocess([opaque], cfg), preprocess([rgb], cfg))
    clear = np.concatenate([rgb, np.zeros((28, 28, 1), np.uint8)], axis=2)
    black = np.zeros((28, 28, 3), np.uint8)
    np.testing.assert_array_equal(preprocess([clear], cfg), preprocess([black], cfg))
    half = np.concatenate([rgb, np.full((28, 28, 1), 128, np.uint8)], axis=2)
    # the array road and the upload road agree
    np.testing.assert_array_equal(preprocess([half], cfg), preprocess([decode(encode_png(half), cfg)], cfg))


@pytest.mark.parametrize("shape", [(28, 28, 1), (19, 23, 1)])
def test_single_channel_hw1_accepted_by_one_channel_model(shape: tuple[int, ...]) -> None:
    image = _rand(shape, 6)
    np.testing.assert_array_equal(preprocess([image], GREY), preprocess([image[:, :, 0]], GREY))


def test_single_channel_hw1_same_size_for_three_channel_model() -> None:
    image = _rand((32, 32, 1), 7)
    np.testing.assert_array_equal(preprocess([image], RGB), preprocess([image[:, :, 0]], RGB))


def test_single_channel_hw1_resized_for_three_channel_model() -> None:
    image = _rand((20, 24, 1), 8)
    np.testing.assert_array_equal(preprocess([image], RGB), preprocess([image[:, :, 0]], RGB))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, np.int64, np.bool_])
def test_non_uint8_raises(dtype: type) -> None:
    with pytest.raises(ValueError, match="uint8"):
        preprocess([np.zeros((28, 28), dtype=dtype)], GREY)


def test_one_bad_image_in_a_batch_raises() -> None:
    with pytest.raises(ValueError, match="uint8"):
        preprocess([_rand((28, 28)), np.zeros((28, 28), np.float32)], GREY)


@pytest.mark.parametrize("shape", [(28,), (1, 28, 28, 1)])
def test_wrong_rank_raises(shape: tuple[int, ...]) -> None:
    for config in (GREY, RGB):
        with pytest.raises(ValueError, match=r"\(H, W\)"):
            preprocess([np.zeros(shape, np.uint8)], config)


def test_empty_list_raises() -> None:
    with pytest.raises(ValueError, match="no images"):
        preprocess([], GREY)


def test_preprocess_does_not_modify_input() -> None:
    image = _rand((30, 30, 3), 9)
    before = image.copy()
    preprocess([image], GREY)
    preprocess([image], RGB)
    np.testing.assert_array_equal(image, before)


# --------------------------------------------------------------------------- postprocess


def test_postprocess_sorted_and_matches_softmax() -> None:
    rng = np.random.default_rng(10)
    logits = rng.normal(0, 3, (4, GREY.num_classes)).astype(np.float32)
    preds = postprocess(logits, GREY)
    probs = softmax(logits.astype(np.float64), axis=1)
    assert len(preds) == 4
    for row, p in zip(preds, probs, strict=True):
        assert len(row) == GREY.top_k
        assert all(isinstance(x, Prediction) for x in row)
        scores = [x.score for x in row]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) <= 1.0 + 1e-12
        for x in row:
            assert x.label == GREY.labels[x.index]
            assert x.score == pytest.approx(p[x.index], rel=1e-12)
        # The kept classes are the best ones.
        assert [x.index for x in row] == sorted(range(len(p)), key=lambda c: (-p[c], c))[: GREY.top_k]


def test_postprocess_k_default_and_override() -> None:
    logits = np.zeros((1, 10))
    assert len(postprocess(logits, ClassifierConfig(top_k=3))[0]) == 3
    assert len(postprocess(logits, ClassifierConfig(top_k=3), k=7)[0]) == 7
    full = postprocess(logits, GREY, k=50)[0]  # clipped to the number of classes
    assert len(full) == 10
    assert sum(x.score for x in full) == pytest.approx(1.0)
    # Equal logits: ties ranked by class index.
    assert [x.index for x in full] == list(range(10))


def test_postprocess_labels() -> None:
    cfg = ClassifierConfig(labels=["cat", "dog", "bird"], top_k=2)
    preds = postprocess(np.array([[0.0, 5.0, 1.0], [9.0, 0.0, 1.0]]), cfg)
    assert [(x.index, x.label) for x in preds[0]] == [(1, "dog"), (2, "bird")]
    assert [(x.index, x.label) for x in preds[1]] == [(0, "cat"), (2, "bird")]
    assert isinstance(preds[0][0].index, int) and isinstance(preds[0][0].score, float)


def test_postprocess_large_float32_logits() -> None:
    cfg = ClassifierConfig(labels=["a", "b"], top_k=2)
    (row,) = postprocess(np.array([[1000.0, 1001.0]], np.float32), cfg)
    e = math.exp(1.0)
    assert row[0].index == 1 and row[0].score == pytest.approx(e / (1 + e))
    assert all(math.isfinite(x.score) for x in row)


def test_postprocess_bad_k_raises() -> None:
    with pytest.raises(ValueError):
        postprocess(np.zeros((1, 10)), GREY, k=0)


# --------------------------------------------------------------------------- decode: serving road


@pytest.mark.parametrize(
    ("config", "shape"),
    [(GREY, (28, 28)), (GREY, (37, 21)), (GREY, (28, 28, 3)), (RGB, (40, 33, 3)), (RGB, (25, 25))],
)
def test_decoded_png_preprocesses_exactly_like_the_array(
    config: ClassifierConfig, shape: tuple[int, ...]
) -> None:
    image = _rand(shape, seed=shape[0])
    served = preprocess([decode(encode_png(image), config)], config)
    trained = preprocess([image], config)
    np.testing.assert_array_equal(served, trained)


def test_decode_gives_config_mode() -> None:
    data = encode_png(_rand((10, 12, 3)))
    assert decode(data, GREY).shape == (10, 12)
    assert decode(data, RGB).shape == (10, 12, 3)


def test_decode_limits_and_errors() -> None:
    data = encode_png(_rand((10, 10)))
    with pytest.raises(ImageTooLargeError):
        decode(data, GREY, max_bytes=len(data) - 1)
    with pytest.raises(ImageTooLargeError):
        decode(data, GREY, max_pixels=99)
    assert decode(data, GREY, max_pixels=100).shape == (10, 10)
    with pytest.raises(ImageDecodeError):
        decode(b"garbage", GREY)
