"""zoo.ops.metrics pinned to slow, obvious Python references (math.exp, sorted, nested loops)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zoo.ops.metrics import (
    accuracy,
    confusion_matrix,
    per_class_accuracy,
    softmax,
    top_k,
    top_k_accuracy,
)


def _slow_softmax_row(row: list[float]) -> list[float]:
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def _slow_top_k_row(row: list[float], k: int) -> list[int]:
    # Best first; among equal scores the lower index first.
    return [i for i, _ in sorted(enumerate(row), key=lambda t: (-t[1], t[0]))][:k]


# --------------------------------------------------------------------------- softmax


def test_softmax_matches_math_exp() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (6, 5))
    out = softmax(logits)
    ref = np.array([_slow_softmax_row(list(r)) for r in logits])
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-15)


def test_softmax_large_logits_do_not_overflow() -> None:
    logits = np.array([[1000.0, 1001.0], [-1000.0, -1001.0], [1e308, 1e308]])
    with np.errstate(all="raise"):
        out = softmax(logits)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    e = math.exp(1.0)
    np.testing.assert_allclose(out[0], [1 / (1 + e), e / (1 + e)], rtol=1e-12)
    np.testing.assert_allclose(out[1], [e / (1 + e), 1 / (1 + e)], rtol=1e-12)
    np.testing.assert_allclose(out[2], [0.5, 0.5])


def test_softmax_float32_large_logits() -> None:
    out = softmax(np.array([[1000.0, 1001.0, 999.0]], dtype=np.float32))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out[0], _slow_softmax_row([1000.0, 1001.0, 999.0]), rtol=1e-6)


def test_softmax_rows_sum_to_one_and_axis() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 10, (4, 7))
    np.testing.assert_allclose(softmax(logits).sum(axis=1), 1.0, rtol=1e-12)
    col = softmax(logits, axis=0)
    np.testing.assert_allclose(col.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(col, softmax(logits.T).T, rtol=1e-12)


def test_softmax_is_shift_invariant_and_uniform_on_equal_logits() -> None:
    logits = np.array([[0.5, -2.0, 3.0]])
    np.testing.assert_allclose(softmax(logits), softmax(logits + 123.0), rtol=1e-12)
    np.testing.assert_allclose(softmax(np.full((1, 4), 7.0)), np.full((1, 4), 0.25))


# --------------------------------------------------------------------------- top_k


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_matches_sorted_reference(k: int) -> None:
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 4, (20, 5)).astype(np.float64)  # few distinct values: many ties
    idx, vals = top_k(scores, k)
    assert idx.shape == vals.shape == (20, k)
    for r in range(20):
        ref = _slow_top_k_row(list(scores[r]), k)
        assert idx[r].tolist() == ref
        assert vals[r].tolist() == [scores[r, i] for i in ref]


def test_top_k_ties_keep_lower_index_first() -> None:
    scores = np.array([[0.1, 0.5, 0.5, 0.5, 0.2], [1.0, 1.0, 1.0, 1.0, 1.0]])
    idx, vals = top_k(scores, 4)
    assert idx.tolist() == [[1, 2, 3, 4], [0, 1, 2, 3]]
    assert vals[0].tolist() == [0.5, 0.5, 0.5, 0.2]


def test_top_k_clips_k_to_number_of_classes() -> None:
    scores = np.array([[0.2, 0.7, 0.1]])
    idx, vals = top_k(scores, 10)
    assert idx.tolist() == [[1, 0, 2]]
    np.testing.assert_array_equal(vals, [[0.7, 0.2, 0.1]])


@pytest.mark.parametrize("k", [0, -1])
def test_top_k_rejects_k_below_one(k: int) -> None:
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_k(np.ones((2, 3)), k)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_top_k_rejects_non_2d(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        top_k(np.ones(shape), 1)


def test_top_k_negative_scores() -> None:
    idx, vals = top_k(np.array([[-3.0, -1.0, -2.0]]), 2)
    assert idx.tolist() == [[1, 2]] and vals.tolist() == [[-1.0, -2.0]]


# --------------------------------------------------------------------------- accuracy


def test_accuracy_from_scores_and_from_indices() -> None:
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    labels = np.array([0, 1, 1, 0])
    assert accuracy(scores, labels) == pytest.approx(0.5)
    assert accuracy(np.array([0, 1, 0, 1]), labels) == pytest.approx(0.5)
    assert accuracy(np.array([0, 1, 1, 0]), [0, 1, 1, 0]) == 1.0
    assert isinstance(accuracy(scores, labels), float)


def test_accuracy_matches_loop() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(50, 4))
    labels = rng.integers(0, 4, 50)
    ref = sum(int(max(range(4), key=lambda c: scores[i, c]) == labels[i]) for i in range(50)) / 50
    assert accuracy(scores, labels) == pytest.approx(ref)


def test_accuracy_of_empty_set_raises() -> None:
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.zeros((0, 3)), np.zeros((0,), int))
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.zeros((0,), int), [])


# --------------------------------------------------------------------------- top_k_accuracy


def test_top_k_accuracy_matches_loop() -> None:
    rng = np.random.default_rng(4)
    scores = rng.normal(size=(40, 6))
    labels = rng.integers(0, 6, 40)
    for k in (1, 2, 3, 6, 9):
        ref = sum(labels[i] in _slow_top_k_row(list(scores[i]), k) for i in range(40)) / 40
        assert top_k_accuracy(scores, labels, k) == pytest.approx(ref)
    assert top_k_accuracy(scores, labels, 1) == pytest.approx(accuracy(scores, labels))
    assert top_k_accuracy(scores, labels, 6) == 1.0


def test_top_k_accuracy_ties_follow_top_k() -> None:
    scores = np.array([[1.0, 1.0, 1.0]])
    assert top_k_accuracy(scores, np.array([0]), 1) == 1.0
    assert top_k_accuracy(scores, np.array([2]), 2) == 0.0


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_matches_nested_loops() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, 60)
    pred = rng.integers(0, 4, 60)
    cm = confusion_matrix(pred, labels, 4)
    assert cm.shape == (4, 4) and cm.dtype == np.int64
    for t in range(4):
        for p in range(4):
            assert cm[t, p] == sum(1 for i in range(60) if labels[i] == t and pred[i] == p)
    assert cm.sum() == 60


def test_confusion_matrix_rows_are_true_labels() -> None:
    cm = confusion_matrix(np.array([1, 1, 1]), np.array([0, 0, 2]), 3)
    assert cm.tolist() == [[0, 2, 0], [0, 0, 0], [0, 1, 0]]


def test_confusion_matrix_counts_repeated_pairs() -> None:
    # np.add.at (unbuffered) counts every repeat; fancy-index += would count each pair once.
    cm = confusion_matrix(np.zeros(5, int), np.zeros(5, int), 2)
    assert cm.tolist() == [[5, 0], [0, 0]]


def test_per_class_accuracy_and_nan_for_absent_class() -> None:
    cm = np.array([[3, 1, 0], [0, 0, 0], [2, 0, 2]])
    out = per_class_accuracy(cm)
    assert out[0] == pytest.approx(0.75)
    assert math.isnan(out[1])
    assert out[2] == pytest.approx(0.5)


def test_per_class_accuracy_from_predictions_matches_loop() -> None:
    labels = np.array([0, 0, 1, 1, 1, 3])
    pred = np.array([0, 1, 1, 1, 0, 3])
    out = per_class_accuracy(confusion_matrix(pred, labels, 4))
    for c in range(4):
        idx = [i for i in range(len(labels)) if labels[i] == c]
        if idx:
            assert out[c] == pytest.approx(sum(pred[i] == c for i in idx) / len(idx))
        else:
            assert math.isnan(out[c])
