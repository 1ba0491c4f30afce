"""Every architecture: output shape and parameter count (pinned to the course's networks)."""

from __future__ import annotations

import pytest
import torch

from zoo.classifier.config import IMAGENET_MEAN, IMAGENET_STD, ClassifierConfig
from zoo.classifier.model import build_model


def _lenet_params_by_hand() -> int:
    conv = lambda cin, cout, k: cin * cout * k * k + cout  # noqa: E731
    dense = lambda i, o: i * o + o  # noqa: E731
    return conv(1, 6, 5) + conv(6, 16, 5) + dense(16 * 5 * 5, 120) + dense(120, 84) + dense(84, 10)


CASES = [
    # arch, image size (the course's), extra config, parameters
    ("lenet", 28, {}, _lenet_params_by_hand()),
    ("lenet_bn", 28, {}, 62_158),
    ("alexnet", 224, {}, 46_764_746),
    ("vgg11", 224, {}, 128_806_154),
    ("vgg11", 224, {"vgg_width_ratio": 4}, 8_060_234),
    ("nin", 224, {}, 1_992_166),
    ("googlenet", 96, {}, 5_977_530),
    ("resnet18", 96, {}, 11_178_378),
    ("efficientnet_lite0", 224, {"in_channels": 3, "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
     3_383_818),
]


@pytest.mark.parametrize("arch,size,extra,params", CASES, ids=[f"{c[0]}-{c[1]}-{len(c[2])}" for c in CASES])
def test_shape_and_parameter_count(arch, size, extra, params):
    cfg = ClassifierConfig(arch=arch, image_size=size, **extra)
    net = build_model(cfg).eval()
    assert sum(p.numel() for p in net.parameters()) == params
    with torch.no_grad():
        out = net(torch.randn(2, cfg.in_channels, size, size))
    assert out.shape == (2, 10)


@pytest.mark.parametrize("arch", ["lenet_bn", "resnet18", "googlenet", "vgg11", "alexnet", "nin"])
def test_smallest_allowed_input_size_works(arch):
    from zoo.classifier.config import MIN_IMAGE_SIZE

    cfg = ClassifierConfig(arch=arch, image_size=MIN_IMAGE_SIZE[arch], vgg_width_ratio=4 if arch == "vgg11" else 1)
    with torch.no_grad():
        assert build_model(cfg).eval()(torch.randn(1, 1, cfg.image_size, cfg.image_size)).shape == (1, 10)


def test_pretrained_efficientnet_loads_shipped_imagenet_weights():
    kw = {"arch": "efficientnet_lite0", "image_size": 64, "in_channels": 3, "mean": list(IMAGENET_MEAN),
          "std": list(IMAGENET_STD)}
    torch.manual_seed(0)
    scratch = build_model(ClassifierConfig(**kw))
    pretrained = build_model(ClassifierConfig(**kw, pretrained=True))
    w_s, w_p = scratch._conv_stem.weight, pretrained._conv_stem.weight
    assert w_s.shape == w_p.shape and not torch.allclose(w_s, w_p)
    # ImageNet stems have structured filters: far from the random init's statistics.
    assert pretrained._bn0.running_var.mean() != 1.0
