"""Configuration of the classifier family: architecture, labels, preprocessing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FASHION_MNIST_LABELS: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
# Statistics of the 60k Fashion-MNIST training images, pixels scaled to [0, 1].
FASHION_MNIST_MEAN: tuple[float, ...] = (0.2860,)
FASHION_MNIST_STD: tuple[float, ...] = (0.3530,)
IMAGENET_MEAN: tuple[float, ...] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, ...] = (0.229, 0.224, 0.225)

ARCHS: tuple[str, ...] = (
    "lenet", "lenet_bn", "alexnet", "vgg11", "nin", "googlenet", "resnet18", "efficientnet_lite0",
)  # fmt: skip
# Smallest input side each architecture's pooling stack accepts.
MIN_IMAGE_SIZE: dict[str, int] = {
    "lenet": 28, "lenet_bn": 28, "alexnet": 67, "vgg11": 32, "nin": 67,
    "googlenet": 32, "resnet18": 28, "efficientnet_lite0": 32,
}  # fmt: skip


@dataclass
class ClassifierConfig:
    """Everything needed to rebuild a classifier and its pre/post-processing.

    Attributes:
        arch: one of :data:`ARCHS`.
        image_size: side of the square network input; images are resized to it (the course
            resizes Fashion-MNIST from 28 to 224 for AlexNet/VGG/NiN and 96 for GoogLeNet/ResNet).
        in_channels: 1 for greyscale, 3 for RGB (pretrained ImageNet networks).
        labels: class names, index = class id.
        mean, std: per-channel normalisation after scaling pixels to [0, 1].
        vgg_width_ratio: the course's ``ratio`` that divides VGG channel counts (1 = VGG-11).
        pretrained: start from pretrained weights (EfficientNet-Lite0 only).
        top_k: default number of labels returned.
    """

    arch: str = "lenet_bn"
    image_size: int = 28
    in_channels: int = 1
    labels: list[str] = field(default_factory=lambda: list(FASHION_MNIST_LABELS))
    mean: list[float] = field(default_factory=lambda: list(FASHION_MNIST_MEAN))
    std: list[float] = field(default_factory=lambda: list(FASHION_MNIST_STD))
    vgg_width_ratio: int = 1
    pretrained: bool = False
    top_k: int = 5

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}; choose from {', '.join(ARCHS)}")
        if self.image_size < MIN_IMAGE_SIZE[self.arch]:
            raise ValueError(
                f"{self.arch} needs image_size >= {MIN_IMAGE_SIZE[self.arch]}, got {self.image_size}"
            )
        if self.in_channels not in (1, 3):
            raise ValueError(f"in_channels must be 1 or 3, got {self.in_channels}")
        if len(self.mean) != self.in_channels or len(self.std) != self.in_channels:
            raise ValueError("mean and std need one value per input channel")
        if not self.labels:
            raise ValueError("labels must not be empty")
        if self.vgg_width_ratio < 1:
            raise ValueError(f"vgg_width_ratio must be >= 1, got {self.vgg_width_ratio}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def color_mode(self) -> str:
        """PIL mode images are decoded to."""
        return "L" if self.in_channels == 1 else "RGB"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
