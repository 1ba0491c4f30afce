"""The adaptive batcher: batches form under concurrency, rows come back in order, limits hold."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from service.batcher import AdaptiveBatcher, QueueFullError


def _slow_double(delay: float = 0.01):
    calls: list[int] = []

    def fn(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        time.sleep(delay)
        return x * 2

    return fn, calls


async def test_single_request_runs_alone_and_returns_its_rows():
    fn, calls = _slow_double(0)
    b = AdaptiveBatcher(fn, max_batch_size=8)
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(await b.submit(x), x * 2)
    assert calls == [3]
    b.close()


async def test_concurrent_requests_share_batches_and_keep_order():
    fn, calls = _slow_double(0.02)
    b = AdaptiveBatcher(fn, max_batch_size=8, max_wait_ms=0)
    inputs = [np.full((1, 3), i, dtype=np.float32) for i in range(20)]
    outs = await asyncio.wait_for(asyncio.gather(*(b.submit(x) for x in inputs)), 10)
    for i, out in enumerate(outs):
        np.testing.assert_array_equal(out, inputs[i] * 2)
    assert sum(calls) == 20 and max(calls) <= 8
    assert len(calls) < 20  # while one batch ran, the others queued up together
    assert b.stats.rows == 20 and b.stats.max_batch_rows == max(calls)
    b.close()


async def test_max_wait_gathers_requests_arriving_a_little_later():
    fn, calls = _slow_double(0)
    b = AdaptiveBatcher(fn, max_batch_size=8, max_wait_ms=200)

    async def later(i: int) -> np.ndarray:
        await asyncio.sleep(0.01 * i)
        return await b.submit(np.ones((1, 1), np.float32))

    await asyncio.wait_for(asyncio.gather(*(later(i) for i in range(4))), 10)
    assert calls == [4]
    b.close()


async def test_request_larger_than_max_batch_is_split():
    fn, calls = _slow_double(0)
    b = AdaptiveBatcher(fn, max_batch_size=4)
    x = np.arange(10, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(await b.submit(x), x * 2)
    assert sorted(calls) == [2, 4, 4]
    b.close()


async def test_item_that_does_not_fit_opens_the_next_batch():
    fn, calls = _slow_double(0.05)
    b = AdaptiveBatcher(fn, max_batch_size=4)
    first = asyncio.ensure_future(b.submit(np.ones((1, 1), np.float32)))
    await asyncio.sleep(0.01)  # the first batch is running; the next three queue up
    rest = [b.submit(np.ones((n, 1), np.float32)) for n in (3, 3, 1)]
    await asyncio.wait_for(asyncio.gather(first, *rest), 10)
    assert calls[0] == 1 and sum(calls) == 8 and max(calls) <= 4
    b.close()


async def test_queue_limit_raises_overload():
    gate = threading.Event()

    def blocked(x: np.ndarray) -> np.ndarray:
        gate.wait(5)
        return x

    b = AdaptiveBatcher(blocked, max_batch_size=2, max_queue=3)
    running = asyncio.ensure_future(b.submit(np.ones((2, 1))))
    await asyncio.sleep(0.05)  # taken by the worker, blocked inside fn
    waiting = asyncio.ensure_future(b.submit(np.ones((2, 1))))
    await asyncio.sleep(0)
    with pytest.raises(QueueFullError):
        await b.submit(np.ones((2, 1)))
    gate.set()
    await asyncio.wait_for(asyncio.gather(running, waiting), 10)
    b.close()


async def test_errors_reach_every_request_of_the_batch_and_worker_survives():
    state = {"fail": True}

    def fn(x: np.ndarray) -> np.ndarray:
        time.sleep(0.02)
        if state["fail"]:
            raise RuntimeError("boom")
        return x

    b = AdaptiveBatcher(fn, max_batch_size=8)
    results = await asyncio.gather(*(b.submit(np.ones((1, 1))) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    state["fail"] = False
    np.testing.assert_array_equal(await b.submit(np.ones((1, 1))), np.ones((1, 1)))
    b.close()


async def test_cancelled_request_is_skipped():
    fn, calls = _slow_double(0.05)
    b = AdaptiveBatcher(fn, max_batch_size=1)
    first = asyncio.ensure_future(b.submit(np.ones((1, 1))))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(b.submit(np.ones((1, 1))))
    await asyncio.sleep(0)
    second.cancel()
    await first
    third = await b.submit(np.full((1, 1), 3.0))
    np.testing.assert_array_equal(third, np.full((1, 1), 6.0))
    assert calls == [1, 1]  # the cancelled request never ran
    b.close()


def test_bad_arguments():
    with pytest.raises(ValueError):
        AdaptiveBatcher(lambda x: x, max_batch_size=0)

    async def empty():
        b = AdaptiveBatcher(lambda x: x)
        with pytest.raises(ValueError):
            await b.submit(np.ones((0, 1)))

    asyncio.run(empty())
