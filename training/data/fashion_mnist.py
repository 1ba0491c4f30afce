"""Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (IDX files, read with numpy)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
PROVENANCE = {
    "dataset": "Fashion-MNIST",
    "source": "Debian package dataset-fashion-mnist",
    "train": "60,000 images (train-images-idx3-ubyte.gz)",
    "test": "10,000 images (t10k-images-idx3-ubyte.gz)",
}


class DatasetMissingError(FileNotFoundError):
    """The dataset files are not installed."""


def data_dir() -> Path:
    """Directory of the IDX files: ``$FASHION_MNIST_DIR`` or the Debian package's folder."""
    return Path(os.environ.get("FASHION_MNIST_DIR", DEFAULT_DIR))


def _read_idx(path: Path, expected_magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{path}: bad IDX magic {magic:#x}, expected {expected_magic:#x}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def load_fashion_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load one split.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).

    Returns:
        (images, labels): uint8 (N, 28, 28) and int64 (N,).

    Raises:
        DatasetMissingError: the files are absent, with the command that installs them.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory = data_dir()
    image_file, label_file = (directory / name for name in _FILES[split])
    if not image_file.is_file() or not label_file.is_file():
        raise DatasetMissingError(
            f"Fashion-MNIST not found in {directory}. Install it with "
            "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or point "
            "FASHION_MNIST_DIR at a folder holding the four IDX .gz files."
        )
    images = _read_idx(image_file, 0x00000803)
    labels = _read_idx(label_file, 0x00000801).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    return images, labels
