"""Training loop pieces shared by every family: distributed setup, epochs, evaluation, curves."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from zoo.ops.metrics import accuracy


@dataclass
class DistInfo:
    """Where this process stands in a ``torchrun`` job (world_size 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group torchrun describes in the environment (gloo on CPU, NCCL on GPU)."""
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(info.local_rank)
    dist.init_process_group(backend=backend)
    return info


def shard_batches(n: int, batch_size: int, epoch: int, seed: int, info: DistInfo, subset: int | None = None) -> Iterator[np.ndarray]:
    """Yield index batches of a seeded shuffle; each rank takes every world_size-th batch.

    All ranks draw the same permutation (seed + epoch) and the same number of batches, so
    DDP's collective all-reduce stays in step.
    """
    perm = np.random.default_rng(seed + epoch).permutation(n)
    if subset:
        perm = perm[:subset]
    num_batches = len(perm) // batch_size  # drop the last partial batch: BatchNorm needs > 1
    num_batches -= num_batches % info.world_size
    for b in range(info.rank, num_batches, info.world_size):
        yield perm[b * batch_size : (b + 1) * batch_size]


def random_shift_flip(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Training augmentation: random translation by up to ``pad`` pixels and horizontal flip.

    Works on a normalised batch (N, C, H, W); padding uses the edge values.
    """
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if pad <= 0:
        return x
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="replicate")
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, x.shape[1], h, w + 2 * pad)
    out = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, x.shape[1], h, w)
    return out.gather(3, cols)


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 512, device: torch.device | None = None) -> np.ndarray:
    """Logits of ``model`` in eval mode over a preprocessed tensor, batch by batch."""
    model.eval()
    device = device or next(model.parameters()).device
    out = [model(x[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()


class BudgetedOneCycle:
    """One-cycle learning rate (cosine warm-up, cosine decay) over steps *or* wall-clock time.

    Progress is the larger of ``steps / total_steps`` and ``elapsed / time_budget``, so a run
    with a time budget always completes its schedule (and anneals) by the deadline, however
    fast or busy the machine is; :attr:`finished` then tells the loop to stop.

    Args:
        optimizer: its groups' current ``lr`` is taken as their peak learning rate.
        total_steps: planned optimizer steps.
        time_budget_s: wall-clock seconds for the whole schedule (None: steps only).
        pct_start: fraction of the schedule spent warming up.
        div_factor: initial lr = peak / div_factor.
        final_div_factor: final lr = initial lr / final_div_factor.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, total_steps: int, time_budget_s: float | None = None,
                 pct_start: float = 0.25, div_factor: float = 25.0, final_div_factor: float = 1e4) -> None:
        self.optimizer = optimizer
        self.total_steps = max(1, total_steps)
        self.time_budget_s = time_budget_s
        self.pct_start = pct_start
        self.peaks = [g["lr"] for g in optimizer.param_groups]
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.steps = 0
        self.start = time.monotonic()
        self._apply(0.0)

    @property
    def progress(self) -> float:
        p = self.steps / self.total_steps
        if self.time_budget_s:
            p = max(p, (time.monotonic() - self.start) / self.time_budget_s)
        return min(p, 1.0)

    @property
    def finished(self) -> bool:
        return self.progress >= 1.0

    def factor(self, progress: float) -> float:
        """lr / peak lr at a point of the schedule (0 <= progress <= 1)."""
        lo = 1.0 / self.div_factor
        end = lo / self.final_div_factor
        if progress < self.pct_start:
            t = progress / self.pct_start
            return lo + (1.0 - lo) * (1 - math.cos(math.pi * t)) / 2
        t = (progress - self.pct_start) / (1.0 - self.pct_start)
        return end + (1.0 - end) * (1 + math.cos(math.pi * t)) / 2

    def _apply(self, progress: float) -> None:
        f = self.factor(progress)
        for group, peak in zip(self.optimizer.param_groups, self.peaks):
            group["lr"] = peak * f

    def step(self) -> None:
        self.steps += 1
        self._apply(self.progress)


@dataclass
class History:
    """Per-epoch curves, written to metrics.json and plotted to curves.png."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    elapsed_s: list[float] = field(default_factory=list)

    def add(self, **values: float) -> None:
        for k, v in values.items():
            getattr(self, k).append(v)


def train_epoch(
    model: nn.Module,
    batches: list[np.ndarray],
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | BudgetedOneCycle | None,
    loss_fn: nn.Module,
    device: torch.device,
    *,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    desc: str = "train",
    show_progress: bool = True,
    deadline: float | None = None,
) -> tuple[float, float, bool]:
    """One pass over ``batches``; returns (mean loss, accuracy, stopped early).

    Stops early at ``deadline`` (a :class:`BudgetedOneCycle` with the same budget has annealed by then).
    """
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(batches, desc=desc, disable=not show_progress, leave=False, dynamic_ncols=True)
    for idx in bar:
        t_idx = torch.from_numpy(idx)
        xb, yb = x[t_idx], y[t_idx]
        if augment is not None:
            xb = augment(xb)
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
        seen += len(yb)
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
        if deadline is not None and time.monotonic() > deadline:
            return total_loss / max(seen, 1), correct / max(seen, 1), True
    return total_loss / max(seen, 1), correct / max(seen, 1), False


def evaluate(model: nn.Module, x: torch.Tensor, y: np.ndarray, device: torch.device) -> float:
    """Top-1 accuracy on a preprocessed evaluation set."""
    return accuracy(predict_logits(model, x, device=device), y)


def plot_curves(history: History, path: Path, title: str) -> None:
    """Loss and accuracy against epochs, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(history.epoch, history.train_loss, marker="o", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1.legend()
    ax2.plot(history.epoch, history.train_acc, marker="o", label="train acc")
    ax2.plot(history.epoch, history.test_acc, marker="s", label="test acc")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    if isinstance(o, float) and math.isnan(o):
        return None
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
