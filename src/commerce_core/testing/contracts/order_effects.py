"""Contract suites for the order seams, the OrderStock and OrderPayments ports.

Both ports promise idempotency by key, so the suites call every method twice (and from eight
threads at once) and check that the observable effect is that of one call.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from commerce_core.domain.orders import PaymentOutcome, StockLine
from commerce_core.errors import InvalidQuantityError, NotFoundError
from commerce_core.money import Money, money
from commerce_core.ports.orders import OrderPayments, OrderStock
from commerce_core.testing.contracts._threads import race

__all__ = ["OrderPaymentsContract", "OrderStockContract", "PaymentsSetup", "StockSetup"]


@attrs.frozen
class StockSetup:
    """What :meth:`OrderStockContract.make_stock` returns.

    Attributes:
        stock: the adapter under test.
        reservation_id: an active reservation holding 3 ``tee`` and 1 ``mug`` from ``location``
            (each SKU has more units on hand there).
        location: the stock location.
        state: a snapshot of everything the adapter's effects can be seen in (levels, ledger,
            reservations; for a recording double, its calls).
        knows_references: False for a recording double that cannot know reservations and
            SKUs (the unknown-reference tests are skipped).
    """

    stock: OrderStock
    reservation_id: str
    location: str
    state: Callable[[], object]
    knows_references: bool = True


class OrderStockContract:
    """What every OrderStock adapter must do. Override :meth:`make_stock`."""

    def make_stock(self) -> StockSetup:
        """Return a fresh adapter with the reservation described on :class:`StockSetup`."""
        raise NotImplementedError

    def _twice(self, setup: StockSetup, call: Callable[[], None]) -> None:
        call()
        once = setup.state()
        call()
        assert setup.state() == once

    def test_committing_twice_with_one_key_commits_once(self) -> None:
        setup = self.make_stock()
        lines = [StockLine("tee", 3), StockLine("mug", 1)]
        self._twice(
            setup,
            lambda: setup.stock.commit(
                setup.reservation_id, lines=lines, location=setup.location, idempotency_key="k1"
            ),
        )

    def test_releasing_part_of_a_reservation_twice_with_one_key_releases_once(self) -> None:
        setup = self.make_stock()
        lines = [StockLine("tee", 2)]
        self._twice(
            setup,
            lambda: setup.stock.release(setup.reservation_id, lines=lines, idempotency_key="c1"),
        )

    def test_releasing_everything_twice_with_one_key_releases_once(self) -> None:
        setup = self.make_stock()
        self._twice(setup, lambda: setup.stock.release(setup.reservation_id, idempotency_key="c1"))

    def test_cancelling_after_commit_twice_with_one_key_puts_units_back_once(self) -> None:
        setup = self.make_stock()
        setup.stock.commit(
            setup.reservation_id,
            lines=[StockLine("tee", 3), StockLine("mug", 1)],
            location=setup.location,
            idempotency_key="k1",
        )
        lines = [StockLine("tee", 2)]
        self._twice(
            setup,
            lambda: setup.stock.release(setup.reservation_id, lines=lines, idempotency_key="c1"),
        )

    def test_restock_and_write_off_count_once_per_reference(self) -> None:
        setup = self.make_stock()
        self._twice(
            setup,
            lambda: setup.stock.restock("tee", location=setup.location, quantity=2, reference="r1"),
        )
        self._twice(
            setup,
            lambda: setup.stock.write_off(
                "mug", location=setup.location, quantity=1, reference="w1", reason="broken"
            ),
        )

    @pytest.mark.parametrize("quantity", [0, -2])
    def test_a_quantity_that_is_not_positive_is_refused_and_changes_nothing(
        self, quantity: int
    ) -> None:
        setup = self.make_stock()
        before = setup.state()
        with pytest.raises(InvalidQuantityError):
            setup.stock.restock("tee", location=setup.location, quantity=quantity, reference="r")
        with pytest.raises(InvalidQuantityError):
            setup.stock.write_off(
                "tee", location=setup.location, quantity=quantity, reference="w", reason="x"
            )
        assert setup.state() == before

    def test_unknown_references_raise_not_found_and_change_nothing(self) -> None:
        setup = self.make_stock()
        if not setup.knows_references:
            pytest.skip("a recording double knows no reservations or SKUs")
        before = setup.state()
        with pytest.raises(NotFoundError):
            setup.stock.commit(
                "ghost", lines=[StockLine("tee", 1)], location=setup.location, idempotency_key="k"
            )
        with pytest.raises(NotFoundError):
            setup.stock.release("ghost", idempotency_key="k")
        with pytest.raises(NotFoundError):
            setup.stock.restock("ghost-sku", location=setup.location, quantity=1, reference="r")
        assert setup.state() == before

    def test_committing_more_than_the_reservation_holds_is_refused(self) -> None:
        setup = self.make_stock()
        if not setup.knows_references:
            pytest.skip("a recording double knows no reservations")
        before = setup.state()
        with pytest.raises(InvalidQuantityError):
            setup.stock.commit(
                setup.reservation_id,
                lines=[StockLine("tee", 4)],
                location=setup.location,
                idempotency_key="k",
            )
        assert setup.state() == before

    def test_concurrent_partial_releases_under_their_own_keys_each_take_effect_once(
        self,
    ) -> None:
        """Three callers each cancel one tee of the still-active reservation at once."""
        setup = self.make_stock()
        if not setup.knows_references:
            pytest.skip("a recording double holds no stock")
        alone = self.make_stock()
        for key in ("c0", "c1", "c2"):
            alone.stock.release(
                alone.reservation_id, lines=[StockLine("tee", 1)], idempotency_key=key
            )
        race(
            3,
            lambda i: setup.stock.release(
                setup.reservation_id, lines=[StockLine("tee", 1)], idempotency_key=f"c{i}"
            ),
        )
        assert setup.state() == alone.state()

    def test_eight_threads_restocking_with_one_reference_restock_once(self) -> None:
        alone = self.make_stock()
        alone.stock.restock("tee", location=alone.location, quantity=2, reference="r1")
        raced = self.make_stock()
        race(
            8,
            lambda _: raced.stock.restock(
                "tee", location=raced.location, quantity=2, reference="r1"
            ),
        )
        assert raced.state() == alone.state()


@attrs.frozen
class PaymentsSetup:
    """What :meth:`OrderPaymentsContract.make_payments` returns.

    Attributes:
        payments: the adapter under test.
        order_id: an order with ``amount`` captured (``captured=True``) or authorized and not
            captured (``captured=False``).
        amount: the captured or authorized amount.
        moved: the total money refunded and voided so far for the order.
    """

    payments: OrderPayments
    order_id: str
    amount: Money
    moved: Callable[[], Money]


class OrderPaymentsContract:
    """What every OrderPayments adapter must do. Override :meth:`make_payments`."""

    def make_payments(self, *, captured: bool) -> PaymentsSetup:
        """Return a fresh adapter and an order paid as :class:`PaymentsSetup` describes."""
        raise NotImplementedError

    def test_a_refund_returns_a_successful_outcome_for_the_amount(self) -> None:
        setup = self.make_payments(captured=True)
        part = money("5.00", setup.amount.currency.code)
        outcome = setup.payments.refund(setup.order_id, part, idempotency_key="r1")
        assert isinstance(outcome, PaymentOutcome)
        assert outcome.succeeded
        assert outcome.amount == part
        assert setup.moved() == part

    def test_a_refund_repeated_with_its_key_returns_the_first_outcome_and_moves_nothing(
        self,
    ) -> None:
        setup = self.make_payments(captured=True)
        part = money("5.00", setup.amount.currency.code)
        first = setup.payments.refund(setup.order_id, part, idempotency_key="r1")
        again = setup.payments.refund(setup.order_id, part, idempotency_key="r1")
        assert again == first
        assert setup.moved() == part

    def test_refunds_under_different_keys_add_up(self) -> None:
        setup = self.make_payments(captured=True)
        part = money("5.00", setup.amount.currency.code)
        for key in ("r1", "r2"):
            assert setup.payments.refund(setup.order_id, part, idempotency_key=key).succeeded
        assert setup.moved() == part + part

    def test_voiding_the_hold_repeated_with_its_key_voids_once(self) -> None:
        setup = self.make_payments(captured=False)
        first = setup.payments.void(setup.order_id, setup.amount, idempotency_key="v1")
        assert first.succeeded
        assert first.amount == setup.amount
        assert setup.payments.void(setup.order_id, setup.amount, idempotency_key="v1") == first
        assert setup.moved() == setup.amount

    def test_eight_threads_refunding_with_one_key_move_money_once(self) -> None:
        setup = self.make_payments(captured=True)
        part = money("5.00", setup.amount.currency.code)
        outcomes = race(
            8, lambda _: setup.payments.refund(setup.order_id, part, idempotency_key="r1")
        )
        assert setup.moved() == part
        assert any(o.succeeded for o in outcomes)

    def test_eight_threads_repeating_one_key_all_get_the_first_outcome(self) -> None:
        """A repeat racing the first call waits for its outcome (within the adapter's bound)."""
        setup = self.make_payments(captured=True)
        part = money("5.00", setup.amount.currency.code)
        outcomes = race(
            8, lambda _: setup.payments.refund(setup.order_id, part, idempotency_key="r1")
        )
        assert outcomes[0].succeeded
        assert all(outcome == outcomes[0] for outcome in outcomes)
        assert setup.moved() == part

    def test_eight_threads_refunding_under_their_own_keys_each_move_their_part(self) -> None:
        setup = self.make_payments(captured=True)
        part = money("1.00", setup.amount.currency.code)
        outcomes = race(
            8, lambda i: setup.payments.refund(setup.order_id, part, idempotency_key=f"r{i}")
        )
        assert all(o.succeeded for o in outcomes)
        assert setup.moved() == money("8.00", setup.amount.currency.code)
