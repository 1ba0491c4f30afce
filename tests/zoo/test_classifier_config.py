"""zoo.classifier.config: validation of every field, derived properties, dict round trip."""

from __future__ import annotations

import json

import pytest

from zoo.classifier.config import (
    ARCHS,
    FASHION_MNIST_LABELS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MIN_IMAGE_SIZE,
    ClassifierConfig,
)


def _rgb(**kwargs: object) -> ClassifierConfig:
    return ClassifierConfig(
        in_channels=3,
        mean=list(IMAGENET_MEAN),
        std=list(IMAGENET_STD),
        **kwargs,  # type: ignore[arg-type]
    )


def test_defaults_are_fashion_mnist_lenet_bn() -> None:
    cfg = ClassifierConfig()
    assert cfg.arch == "lenet_bn" and cfg.image_size == 28 and cfg.in_channels == 1
    assert cfg.labels == list(FASHION_MNIST_LABELS)
    assert cfg.num_classes == 10
    assert cfg.color_mode == "L"
    assert cfg.top_k == 5


def test_every_arch_has_a_min_size() -> None:
    assert set(ARCHS) == set(MIN_IMAGE_SIZE)


@pytest.mark.parametrize("arch", ARCHS)
def test_each_arch_accepts_its_min_size_and_refuses_one_less(arch: str) -> None:
    size = MIN_IMAGE_SIZE[arch]
    assert ClassifierConfig(arch=arch, image_size=size).image_size == size
    with pytest.raises(ValueError, match=f"image_size >= {size}"):
        ClassifierConfig(arch=arch, image_size=size - 1)


@pytest.mark.parametrize("arch", ["resnet50", "", "LeNet", "vgg"])
def test_unknown_arch_raises(arch: str) -> None:
    with pytest.raises(ValueError, match="unknown arch"):
        ClassifierConfig(arch=arch)


@pytest.mark.parametrize("in_channels", [0, 2, 4, -1])
def test_bad_in_channels_raises(in_channels: int) -> None:
    with pytest.raises(ValueError, match="in_channels"):
        ClassifierConfig(
            in_channels=in_channels, mean=[0.5] * max(in_channels, 1), std=[0.5] * max(in_channels, 1)
        )


@pytest.mark.parametrize(
    ("in_channels", "mean", "std"),
    [
        (3, [0.5], [0.5]),  # defaults are one-channel
        (3, [0.5, 0.5, 0.5], [0.5]),
        (1, [0.5], [0.5, 0.5]),
        (1, [], []),
    ],
)
def test_mismatched_mean_std_raises(in_channels: int, mean: list[float], std: list[float]) -> None:
    with pytest.raises(ValueError, match="mean and std"):
        ClassifierConfig(in_channels=in_channels, mean=mean, std=std)


def test_empty_labels_raises() -> None:
    with pytest.raises(ValueError, match="labels"):
        ClassifierConfig(labels=[])


@pytest.mark.parametrize("top_k", [0, -2])
def test_top_k_below_one_raises(top_k: int) -> None:
    with pytest.raises(ValueError, match="top_k"):
        ClassifierConfig(top_k=top_k)


def test_top_k_above_num_classes_allowed() -> None:
    # top_k clips to the number of classes at postprocessing time.
    assert ClassifierConfig(labels=["a", "b"], top_k=5).top_k == 5


def test_num_classes_and_color_mode() -> None:
    cfg = _rgb(arch="resnet18", image_size=96, labels=["cat", "dog", "bird"])
    assert cfg.num_classes == 3
    assert cfg.color_mode == "RGB"
    assert ClassifierConfig(labels=["x"]).num_classes == 1


@pytest.mark.parametrize(
    "cfg",
    [
        ClassifierConfig(),
        ClassifierConfig(arch="vgg11", image_size=224, vgg_width_ratio=4, top_k=3),
        ClassifierConfig(
            arch="efficientnet_lite0",
            image_size=224,
            in_channels=3,
            mean=list(IMAGENET_MEAN),
            std=list(IMAGENET_STD),
            pretrained=True,
            labels=["a", "b"],
        ),
    ],
)
def test_to_dict_round_trip(cfg: ClassifierConfig) -> None:
    d = cfg.to_dict()
    assert ClassifierConfig(**d) == cfg
    # The checkpoint and meta.json store it as JSON.
    assert ClassifierConfig(**json.loads(json.dumps(d))) == cfg


def test_to_dict_is_a_copy() -> None:
    cfg = ClassifierConfig()
    d = cfg.to_dict()
    d["labels"].append("extra")
    assert cfg.num_classes == 10


def test_default_lists_are_not_shared() -> None:
    a, b = ClassifierConfig(), ClassifierConfig()
    a.labels.append("extra")
    assert b.num_classes == 10
