"""Classification metrics and score helpers in numpy (shared by training, export and serving)."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax: subtract the max before exponentiating."""
    z = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest scores per row, best first.

    Ties keep the lower class index first (a stable sort on the negated scores).

    Args:
        scores: (N, C) array.
        k: 1 <= k; clipped to C.

    Returns:
        (indices, values), both (N, min(k, C)).
    """
    if scores.ndim != 2:
        raise ValueError(f"scores must be (N, C), got shape {scores.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    k = min(k, scores.shape[1])
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(scores, idx, axis=1)


def accuracy(logits_or_pred: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of correct predictions; accepts (N, C) scores or (N,) predicted indices."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    pred = logits_or_pred.argmax(axis=1) if logits_or_pred.ndim == 2 else logits_or_pred
    return float(np.mean(pred == labels))


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of rows whose label is among the ``k`` best scores."""
    if len(labels) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    idx, _ = top_k(scores, k)
    return float(np.mean((idx == np.asarray(labels)[:, None]).any(axis=1)))


def confusion_matrix(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts; row = true label, column = prediction."""
    labels, pred = np.asarray(labels), np.asarray(pred)
    for name, v in (("labels", labels), ("pred", pred)):
        if v.size and (v.min() < 0 or v.max() >= num_classes):
            raise ValueError(f"{name} must lie in [0, {num_classes}), got [{v.min()}, {v.max()}]")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class from a confusion matrix (NaN for a class with no samples)."""
    totals = cm.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(cm) / totals
