"""Contract suites for the cross-cutting ports: ids, randomness and notifications."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from commerce_core.domain.notifications import Notification
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.notifier import Notifier
from commerce_core.ports.random import RandomSource
from commerce_core.testing.contracts._threads import race

__all__ = ["IdFactoryContract", "NotifierContract", "RandomSourceContract"]


class IdFactoryContract:
    """What every IdFactory adapter must do. Override :meth:`make_factory`."""

    def make_factory(self) -> IdFactory:
        """Return a fresh id factory under test."""
        raise NotImplementedError

    def test_an_id_is_a_string_starting_with_its_prefix(self) -> None:
        new_id = self.make_factory().new_id("cart")
        assert isinstance(new_id, str)
        assert new_id.startswith("cart")
        assert new_id != "cart"

    def test_ids_never_repeat_across_calls_and_prefixes(self) -> None:
        factory = self.make_factory()
        ids = [factory.new_id(prefix) for _ in range(200) for prefix in ("cart", "order", "c")]
        assert len(set(ids)) == len(ids) == 600

    def test_ids_stay_unique_when_eight_threads_ask_at_once(self) -> None:
        factory = self.make_factory()
        batches = race(8, lambda _: [factory.new_id("order") for _ in range(250)])
        ids = [i for batch in batches for i in batch]
        assert len(ids) == 8 * 250
        assert len(set(ids)) == len(ids)
        assert all(i.startswith("order") for i in ids)


class RandomSourceContract:
    """What every RandomSource adapter must do. Override :meth:`make_source`.

    Only ranges are checked: uniformity is the adapter's promise (the standard library's
    generators keep it), and a contract cannot test it quickly without being flaky.
    """

    def make_source(self) -> RandomSource:
        """Return a random source under test."""
        raise NotImplementedError

    def test_random_draws_floats_in_the_half_open_unit_interval(self) -> None:
        source = self.make_source()
        draws = [source.random() for _ in range(1000)]
        assert {type(d) for d in draws} == {float}
        assert all(0.0 <= d < 1.0 for d in draws)

    def test_randrange_with_one_argument_draws_from_zero_up_to_it(self) -> None:
        source = self.make_source()
        draws = [source.randrange(6) for _ in range(500)]
        assert all(type(d) is int and d in range(6) for d in draws)
        assert {source.randrange(1) for _ in range(20)} == {0}

    def test_randrange_respects_start_stop_and_step(self) -> None:
        source = self.make_source()
        for start, stop, step in ((10, 20, 1), (-5, 5, 3), (100, 0, -7), (0, 1_000_000, 1000)):
            allowed = range(start, stop, step)
            draws = [source.randrange(start, stop, step) for _ in range(200)]
            assert all(type(d) is int and d in allowed for d in draws), (start, stop, step)

    def test_randrange_over_an_empty_range_raises_value_error(self) -> None:
        source = self.make_source()
        for args in ((0,), (5, 5), (5, 1), (1, 5, -1)):
            with pytest.raises(ValueError):  # noqa: PT011 - the stdlib message varies
                source.randrange(*args)

    def test_draws_stay_in_range_when_eight_threads_draw_at_once(self) -> None:
        source = self.make_source()
        batches = race(8, lambda _: [(source.random(), source.randrange(3, 9)) for _ in range(200)])
        draws = [d for batch in batches for d in batch]
        assert len(draws) == 8 * 200
        assert all(0.0 <= f < 1.0 and n in range(3, 9) for f, n in draws)


def _note(index: int, key: str | None = None) -> Notification:
    return Notification(
        "OrderPlaced",
        "orders.placed",
        {"n": index},
        key=f"evt-{index}" if key is None else key,
    )


class NotifierContract:
    """What every Notifier adapter must do.

    Override :meth:`make_notifier` and :meth:`delivered` (what actually reached the recipient,
    in order; for a queueing adapter, what was durably queued). Override :meth:`fail_next` to
    run the failure test: make the next ``times`` sends raise as the real channel would.
    """

    def make_notifier(self) -> Notifier:
        """Return a fresh notifier under test (nothing delivered yet)."""
        raise NotImplementedError

    def delivered(self, notifier: Notifier) -> Sequence[Notification]:
        """Everything ``notifier`` delivered so far, oldest first."""
        raise NotImplementedError

    def fail_next(self, notifier: Notifier, times: int) -> None:
        """Make the next ``times`` calls to ``send`` raise (skip the test when impossible)."""
        del notifier, times
        pytest.skip("this adapter cannot be made to fail on demand")

    def test_notifications_are_delivered_in_the_order_sent(self) -> None:
        notifier = self.make_notifier()
        notes = [_note(i) for i in range(5)]
        for note in notes:
            notifier.send(note)
        assert list(self.delivered(notifier)) == notes

    def test_the_same_key_is_delivered_at_most_once(self) -> None:
        notifier = self.make_notifier()
        first = _note(1, key="evt-order-7-placed")
        notifier.send(first)
        notifier.send(first)
        notifier.send(_note(2, key="evt-order-7-placed"))
        assert list(self.delivered(notifier)) == [first]

    def test_notifications_without_a_key_are_each_delivered(self) -> None:
        notifier = self.make_notifier()
        notes = [_note(1, key=""), _note(1, key="")]
        for note in notes:
            notifier.send(note)
        assert list(self.delivered(notifier)) == notes

    def test_a_raised_exception_means_not_delivered_and_a_retry_delivers_once(self) -> None:
        notifier = self.make_notifier()
        note = _note(1)
        self.fail_next(notifier, 1)
        with pytest.raises(Exception):  # noqa: B017, PT011 - any error of the channel
            notifier.send(note)
        assert list(self.delivered(notifier)) == []
        notifier.send(note)
        notifier.send(note)
        assert list(self.delivered(notifier)) == [note]

    def test_eight_threads_sending_one_key_deliver_it_once(self) -> None:
        notifier = self.make_notifier()
        note = _note(1, key="evt-shared")
        race(8, lambda _: notifier.send(note))
        assert list(self.delivered(notifier)) == [note]

    def test_eight_threads_sending_distinct_keys_deliver_every_one(self) -> None:
        notifier = self.make_notifier()

        def send_batch(worker: int) -> None:
            for j in range(25):
                notifier.send(_note(worker * 100 + j))

        race(8, send_batch)
        keys = [n.key for n in self.delivered(notifier)]
        assert sorted(keys) == sorted(f"evt-{i * 100 + j}" for i in range(8) for j in range(25))
