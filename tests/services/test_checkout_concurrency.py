"""Concurrent checkouts: the last unit and the last coupon use go to exactly one buyer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from commerce_core import (
    CheckoutFailure,
    CheckoutInProgressError,
    CheckoutResult,
    CheckoutSuccess,
    FailureReason,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks

THREADS = 8


def race(world: CheckoutWorld, jobs: list[tuple[str, str, tuple[str, ...]]]) -> list[object]:
    barrier = threading.Barrier(len(jobs))

    def run(job: tuple[str, str, tuple[str, ...]]) -> object:
        cart_id, key, codes = job
        barrier.wait()
        try:
            return world.check_out(cart_id, key, coupon_codes=codes)
        except CheckoutInProgressError as error:
            return error

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_many_buyers_racing_for_the_last_unit_make_exactly_one_order() -> None:
    world = CheckoutWorld(stock=1)
    carts = [world.fill_cart((("POT", 1),)) for _ in range(THREADS)]
    results = race(world, [(cart, f"k-{i}", ()) for i, cart in enumerate(carts)])
    winners = [r for r in results if isinstance(r, CheckoutSuccess)]
    losers = [r for r in results if isinstance(r, CheckoutFailure)]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert {r.reason for r in losers} == {FailureReason.OUT_OF_STOCK}
    assert world.inventory.stock_level("POT", "main").on_hand == 0
    assert leaks(world) == []


def test_many_buyers_racing_for_the_last_coupon_use_redeem_it_exactly_once() -> None:
    world = CheckoutWorld(coupon_uses=1)
    carts = [world.fill_cart((("MUG", 1),)) for _ in range(THREADS)]
    results = race(world, [(cart, f"k-{i}", ("SAVE5",)) for i, cart in enumerate(carts)])
    winners = [r for r in results if isinstance(r, CheckoutSuccess)]
    assert len(winners) == 1
    assert all(
        r.reason is FailureReason.COUPON_LIMIT_REACHED
        for r in results
        if isinstance(r, CheckoutFailure)
    )
    assert world.coupon_usage.uses("SAVE5") == 1
    assert leaks(world) == []


def test_the_same_request_sent_concurrently_charges_once_and_places_one_order() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    results = race(world, [(cart_id, "k-same", ())] * THREADS)
    orders = {r.order.order_id for r in results if isinstance(r, CheckoutSuccess)}
    busy = [r for r in results if isinstance(r, CheckoutInProgressError)]
    assert len(orders) == 1
    assert len(busy) + sum(isinstance(r, CheckoutSuccess) for r in results) == THREADS
    assert [op for op, _ in world.gateway.calls] == ["authorize", "capture"]
    assert leaks(world) == []


def test_two_keys_for_one_cart_at_once_cannot_both_run() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    results: list[CheckoutResult | CheckoutInProgressError | object] = race(
        world, [(cart_id, f"k-{i}", ()) for i in range(THREADS)]
    )
    assert sum(isinstance(r, CheckoutSuccess) for r in results) == 1
    assert len(world.order_repository.outbox.undispatched()) == 0
    assert len([p for p in world.payment_repository.all() if p.captured.amount > 0]) == 1
    assert leaks(world) == []
