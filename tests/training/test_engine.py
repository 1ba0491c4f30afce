"""Engine pieces: sharding across ranks, augmentation, curves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.engine import DistInfo, History, plot_curves, random_shift_flip, shard_batches


def test_shards_are_disjoint_equal_and_cover_full_batches():
    n, bs = 103, 10
    single = list(shard_batches(n, bs, epoch=1, seed=0, info=DistInfo()))
    assert len(single) == 10 and all(len(b) == bs for b in single)
    ranks = [list(shard_batches(n, bs, 1, 0, DistInfo(rank=r, world_size=2))) for r in range(2)]
    assert len(ranks[0]) == len(ranks[1]) == 5  # equal counts keep DDP's all-reduce in step
    flat = np.concatenate([np.concatenate(r) for r in ranks])
    assert len(set(flat.tolist())) == len(flat) == 100
    assert set(flat.tolist()) == set(np.concatenate(single).tolist())  # same permutation on every rank


def test_shards_change_with_epoch_and_respect_subset():
    a = np.concatenate(list(shard_batches(100, 10, 1, 0, DistInfo())))
    b = np.concatenate(list(shard_batches(100, 10, 2, 0, DistInfo())))
    assert not np.array_equal(a, b)
    sub = np.concatenate(list(shard_batches(100, 10, 1, 0, DistInfo(), subset=30)))
    assert len(sub) == 30


def _reference_shift(img: np.ndarray, dy: int, dx: int, pad: int) -> np.ndarray:
    """Slow reference: replicate-pad then crop at (dy, dx)."""
    padded = np.pad(img, ((pad, pad), (pad, pad)), mode="edge")
    return padded[dy : dy + img.shape[0], dx : dx + img.shape[1]]


def test_random_shift_flip_matches_reference():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    g = torch.Generator().manual_seed(3)
    out = random_shift_flip(x, pad=2, generator=g)
    # Replay the generator to recover the drawn flips and offsets.
    g2 = torch.Generator().manual_seed(3)
    flip = torch.rand(2, generator=g2) < 0.5
    dy = torch.randint(0, 5, (2,), generator=g2)
    dx = torch.randint(0, 5, (2,), generator=g2)
    for i in range(2):
        img = x[i, 0].numpy()
        if flip[i]:
            img = img[:, ::-1]
        np.testing.assert_array_equal(out[i, 0].numpy(), _reference_shift(img, int(dy[i]), int(dx[i]), 2))


def test_no_pad_only_flips():
    x = torch.randn(8, 3, 5, 5)
    out = random_shift_flip(x, pad=0, generator=torch.Generator().manual_seed(0))
    for i in range(8):
        assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(2))


def test_plot_curves_writes_png(tmp_path):
    h = History()
    for e in range(1, 4):
        h.add(epoch=e, train_loss=1.0 / e, train_acc=0.5 + 0.1 * e, test_acc=0.5 + 0.1 * e, lr=0.1, elapsed_s=e)
    plot_curves(h, tmp_path / "c.png", "t")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _opt(lr: float = 1.0) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def test_budgeted_one_cycle_shape_by_steps():
    from training.engine import BudgetedOneCycle

    opt = _opt(2.0)
    s = BudgetedOneCycle(opt, total_steps=100, pct_start=0.25, div_factor=25, final_div_factor=1e4)
    assert opt.param_groups[0]["lr"] == pytest.approx(2.0 / 25)
    lrs = []
    for _ in range(100):
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[24] == pytest.approx(2.0)  # the peak at pct_start
    assert all(a <= b + 1e-12 for a, b in zip(lrs[:24], lrs[1:25]))  # warm-up rises
    assert all(a >= b - 1e-12 for a, b in zip(lrs[24:], lrs[25:]))  # decay falls
    assert lrs[-1] == pytest.approx(2.0 / 25 / 1e4) and s.finished


def test_budgeted_one_cycle_follows_the_clock(monkeypatch):
    import training.engine as engine

    now = [1000.0]
    monkeypatch.setattr(engine.time, "monotonic", lambda: now[0])
    opt = _opt(1.0)
    s = engine.BudgetedOneCycle(opt, total_steps=10**6, time_budget_s=100.0)
    now[0] += 25.0  # a quarter of the budget: the peak, although few steps were taken
    s.step()
    assert s.progress == pytest.approx(0.25) and opt.param_groups[0]["lr"] == pytest.approx(1.0)
    now[0] += 75.0
    s.step()
    assert s.finished and opt.param_groups[0]["lr"] < 1e-5
