"""The offline Fashion-MNIST reader: shapes, labels, clear errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from training.data.fashion_mnist import DatasetMissingError, _read_idx, load_fashion_mnist


def test_both_splits(fashion_test):
    images, labels = fashion_test
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert np.bincount(labels).tolist() == [1000] * 10
    train_images, train_labels = load_fashion_mnist("train")
    assert train_images.shape == (60000, 28, 28) and np.bincount(train_labels).tolist() == [6000] * 10


def test_missing_dataset_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetMissingError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("test")


def test_unknown_split():
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist("validation")


def _idx(path, magic: int, dims: list[int], payload: bytes) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    path.write_bytes(gzip.compress(header + payload))


def test_idx_reader_checks_magic_and_size(tmp_path):
    good = tmp_path / "good.gz"
    _idx(good, 0x803, [2, 2, 3], bytes(range(12)))
    np.testing.assert_array_equal(_read_idx(good, 0x803), np.arange(12, dtype=np.uint8).reshape(2, 2, 3))
    with pytest.raises(ValueError, match="magic"):
        _read_idx(good, 0x801)
    short = tmp_path / "short.gz"
    _idx(short, 0x803, [2, 2, 3], bytes(range(11)))
    with pytest.raises(ValueError, match="header says"):
        _read_idx(short, 0x803)
