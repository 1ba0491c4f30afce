"""Adaptive micro-batching owned by the service (no torch, no BentoML).

BentoML's own batcher takes one argument per call and learns its wait from past traffic,
which after a burst can slow single requests for a long time (see DESIGN). This one is
simple and predictable: while a batch runs, new requests queue up; when the model is free,
everything queued (up to ``max_batch_size`` rows) runs as the next batch. ``max_wait_ms``
optionally holds a non-full batch open a little longer (0 by default in this class; the
service's default is 2 ms, see ``ZOO_MAX_WAIT_MS``). Under load batches grow by themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

BatchFn = Callable[[np.ndarray], np.ndarray]


class QueueFullError(RuntimeError):
    """More rows are waiting than ``max_queue`` allows: the service is overloaded (503)."""


@dataclass
class _Item:
    x: np.ndarray
    future: asyncio.Future[np.ndarray]
    enqueued: float = field(default_factory=time.perf_counter)


@dataclass
class BatchStats:
    """Counters for /metrics and tests."""

    batches: int = 0
    rows: int = 0
    max_batch_rows: int = 0


class AdaptiveBatcher:
    """Group concurrent requests into batches along axis 0 and run them in one thread.

    Args:
        fn: the batched function, e.g. an onnxruntime session on a preprocessed batch.
        max_batch_size: most rows per run of ``fn``; larger requests are split.
        max_wait_ms: how long a non-full batch may wait for more rows (0: never wait).
        max_queue: most rows waiting; beyond it :meth:`submit` raises :class:`QueueFullError`.
        on_batch: called with (rows, seconds) after every run (metrics hook).
    """

    def __init__(self, fn: BatchFn, *, max_batch_size: int = 32, max_wait_ms: float = 0.0, max_queue: int = 1024,
                 on_batch: Callable[[int, float], None] | None = None) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.fn = fn
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.max_queue = max_queue
        self.on_batch = on_batch
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Item] | None = None
        self._queued_rows = 0
        self._worker: asyncio.Task[None] | None = None
        self._carry: _Item | None = None
        # One thread: the session's own intra-op threads use the cores; two concurrent runs
        # would only fight over them.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batcher")

    def _ensure_worker(self) -> asyncio.Queue[_Item]:
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue, self._carry, self._queued_rows = asyncio.Queue(), None, 0
            self._worker = asyncio.get_running_loop().create_task(self._run())
        return self._queue

    async def submit(self, x: np.ndarray) -> np.ndarray:
        """Run ``fn`` on ``x`` (rows along axis 0) as part of some batch; returns its rows."""
        if len(x) == 0:
            raise ValueError("empty batch")
        if self._queued_rows + len(x) > self.max_queue:
            # Checked for the whole request before any split, so no part runs for a refused request.
            raise QueueFullError(f"{self._queued_rows} rows already queued (limit {self.max_queue})")
        if len(x) > self.max_batch_size:
            parts = [x[i : i + self.max_batch_size] for i in range(0, len(x), self.max_batch_size)]
            try:
                async with asyncio.TaskGroup() as group:  # a failing part cancels its siblings
                    tasks = [group.create_task(self._submit_one(p)) for p in parts]
            except ExceptionGroup as eg:
                raise eg.exceptions[0] from eg  # callers handle the error itself, not a group
            return np.concatenate([t.result() for t in tasks])
        return await self._submit_one(x)

    async def _submit_one(self, x: np.ndarray) -> np.ndarray:
        queue = self._ensure_worker()
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._queued_rows += len(x)
        queue.put_nowait(_Item(x, future))
        try:
            return await future
        except asyncio.CancelledError:
            future.cancel()  # the worker skips cancelled items (client gone or timed out)
            raise

    async def _collect(self, queue: asyncio.Queue[_Item]) -> list[_Item]:
        """Take the first waiting item, then everything else that fits into one batch."""
        if self._carry is not None:
            first, self._carry = self._carry, None
        else:
            first = await queue.get()
        items, rows = [first], len(first.x)
        deadline = time.perf_counter() + self.max_wait
        while rows < self.max_batch_size:
            if queue.empty():
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    nxt = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError:
                    break
            else:
                nxt = queue.get_nowait()
            if rows + len(nxt.x) > self.max_batch_size:
                self._carry = nxt  # does not fit: it opens the next batch, ahead of later arrivals
                break
            items.append(nxt)
            rows += len(nxt.x)
        return items

    async def _run(self) -> None:
        queue = self._queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        while True:
            items = await self._collect(queue)
            self._queued_rows -= sum(len(it.x) for it in items)
            live = [it for it in items if not it.future.done()]
            if not live:
                continue
            batch = np.concatenate([it.x for it in live]) if len(live) > 1 else live[0].x
            start = time.perf_counter()
            try:
                out = await loop.run_in_executor(self._executor, self.fn, batch)
            except Exception as e:  # noqa: BLE001 - handed to every waiting request
                for it in live:
                    if not it.future.done():
                        it.future.set_exception(e)
                continue
            seconds = time.perf_counter() - start
            self.stats.batches += 1
            self.stats.rows += len(batch)
            self.stats.max_batch_rows = max(self.stats.max_batch_rows, len(batch))
            if self.on_batch is not None:
                self.on_batch(len(batch), seconds)
            offset = 0
            for it in live:
                n = len(it.x)
                if not it.future.done():
                    it.future.set_result(out[offset : offset + n])
                offset += n

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
