"""Contract suite for the :class:`~commerce_core.ports.inventory.AvailabilityQuery` port."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from commerce_core.domain.inventory import Availability
from commerce_core.errors import InvalidQuantityError, NotFoundError
from commerce_core.ports.inventory import AvailabilityQuery
from commerce_core.testing.contracts._threads import race

__all__ = ["AvailabilityQueryContract"]

STOCK: Mapping[str, int] = {"tee": 5, "mug": 1}


class AvailabilityQueryContract:
    """What every AvailabilityQuery adapter must do. Override :meth:`make_query`.

    Set :attr:`counts_stock` to False for an adapter whose goods never run out, and
    :attr:`knows_every_sku` to True for one that sells any SKU (both, for
    :class:`~commerce_core.adapters.memory.UnlimitedStock`).
    """

    counts_stock: bool = True
    knows_every_sku: bool = False

    def make_query(self, stock: Mapping[str, int]) -> AvailabilityQuery:
        """Return a query where each SKU of ``stock`` has exactly that many units to sell now.

        Other SKUs are unknown; backorders are denied.
        """
        raise NotImplementedError

    def test_a_quantity_within_stock_can_be_fulfilled(self) -> None:
        query = self.make_query(STOCK)
        answer = query.availability("tee", 5)
        assert isinstance(answer, Availability)
        assert (answer.sku, answer.requested) == ("tee", 5)
        assert answer.available >= 5
        assert answer.can_fulfil
        assert answer.shortfall == 0

    def test_more_than_the_stock_cannot_be_fulfilled_and_reports_what_is_left(self) -> None:
        if not self.counts_stock:
            pytest.skip("this adapter's goods never run out")
        answer = self.make_query(STOCK).availability("mug", 3)
        assert answer.available == 1
        assert not answer.can_fulfil
        assert answer.shortfall == 3 - 1

    def test_an_unknown_sku_raises_not_found(self) -> None:
        if self.knows_every_sku:
            pytest.skip("this adapter sells any SKU")
        with pytest.raises(NotFoundError) as raised:
            self.make_query(STOCK).availability("ghost", 1)
        assert raised.value.key == "ghost"
        assert isinstance(raised.value, LookupError)

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2", None])
    def test_a_quantity_that_is_not_a_positive_int_raises_invalid_quantity(
        self, quantity: object
    ) -> None:
        with pytest.raises(InvalidQuantityError) as raised:
            self.make_query(STOCK).availability("tee", quantity)  # type: ignore[arg-type]
        assert raised.value.quantity == quantity
        assert isinstance(raised.value, ValueError)

    def test_asking_changes_nothing(self) -> None:
        query = self.make_query(STOCK)
        before = query.availability("tee", 2)
        for _ in range(3):
            query.availability("tee", 5)
        with pytest.raises(InvalidQuantityError):
            query.availability("tee", 0)
        assert query.availability("tee", 2) == before
        assert query.availability("tee", 5).can_fulfil

    def test_eight_threads_asking_at_once_get_the_same_answer(self) -> None:
        query = self.make_query(STOCK)
        expected = query.availability("tee", 4)
        answers = race(8, lambda _: [query.availability("tee", 4) for _ in range(50)])
        assert all(a == expected for batch in answers for a in batch)
