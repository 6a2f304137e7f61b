from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.adapters.memory import InMemoryClock, SequentialIdFactory
from commerce_core.adapters.system import RandomIdFactory, SystemClock
from commerce_core.ports.clock import Clock
from commerce_core.testing.contracts import ClockContract


class TestSystemClock(ClockContract):
    def make_clock(self) -> Clock:
        return SystemClock()


class TestInMemoryClock(ClockContract):
    def make_clock(self) -> Clock:
        return InMemoryClock()


def test_in_memory_clock_moves_only_forward() -> None:
    clock = InMemoryClock(datetime(2026, 3, 1, tzinfo=UTC))
    assert clock.advance(hours=2) == datetime(2026, 3, 1, 2, tzinfo=UTC)
    clock.set(datetime(2026, 3, 2, tzinfo=UTC))
    assert clock.now() == datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2026, 3, 1, tzinfo=UTC))


def test_id_factories_never_repeat_an_id() -> None:
    for factory in (SequentialIdFactory(), RandomIdFactory()):
        ids = {factory.new_id("cart") for _ in range(500)}
        assert len(ids) == 500
        assert all(i.startswith("cart_") for i in ids)
