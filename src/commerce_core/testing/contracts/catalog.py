"""Contract suite for the :class:`~commerce_core.ports.catalog.Catalog` port."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from commerce_core.domain.catalog import CatalogItem, ItemPrice
from commerce_core.errors import UnknownSkuError
from commerce_core.money import money
from commerce_core.ports.catalog import Catalog
from commerce_core.testing.contracts._threads import race

__all__ = ["CatalogContract", "sample_catalog_items"]


def sample_catalog_items() -> tuple[CatalogItem, ...]:
    """The items :meth:`CatalogContract.make_catalog` is given: ``TEA``, ``MUG`` and ``POT``."""
    return (
        CatalogItem(sku="TEA", name="Green tea", prices=(ItemPrice(money("10.00", "EUR")),)),
        CatalogItem(
            sku="MUG",
            name="Mug",
            prices=(ItemPrice(money("8.50", "EUR")), ItemPrice(money("9.00", "USD"))),
            categories={"kitchen"},
        ),
        CatalogItem(
            sku="POT",
            name="Teapot",
            prices=(ItemPrice(money("2500", "JPY")),),
            tax_class="reduced",
        ),
    )


class CatalogContract:
    """What every Catalog adapter must do. Override :meth:`make_catalog`."""

    def make_catalog(self, items: Sequence[CatalogItem]) -> Catalog:
        """Return a catalog holding exactly ``items`` (store them first for a real backend)."""
        raise NotImplementedError

    def _catalog(self) -> Catalog:
        return self.make_catalog(sample_catalog_items())

    def test_get_returns_the_item_as_stored(self) -> None:
        catalog = self._catalog()
        for item in sample_catalog_items():
            assert catalog.get(item.sku) == item

    def test_an_unknown_sku_raises_a_typed_lookup_error(self) -> None:
        catalog = self._catalog()
        with pytest.raises(UnknownSkuError) as raised:
            catalog.get("NOPE")
        assert raised.value.sku == "NOPE"
        assert isinstance(raised.value, LookupError)
        assert catalog.get("TEA") == sample_catalog_items()[0]

    def test_get_many_returns_known_items_by_sku_and_leaves_unknown_ones_out(self) -> None:
        catalog = self._catalog()
        tea, mug, _ = sample_catalog_items()
        assert dict(catalog.get_many(["TEA", "NOPE", "MUG"])) == {"TEA": tea, "MUG": mug}
        assert dict(catalog.get_many([])) == {}
        assert dict(catalog.get_many(["NOPE"])) == {}

    def test_get_many_accepts_a_one_shot_iterable_and_duplicates(self) -> None:
        catalog = self._catalog()
        found = catalog.get_many(sku for sku in ("POT", "POT", "TEA"))
        assert set(found) == {"POT", "TEA"}
        assert found["POT"] == sample_catalog_items()[2]

    def test_queries_change_nothing(self) -> None:
        catalog = self._catalog()
        before = dict(catalog.get_many(["TEA", "MUG", "POT"]))
        with pytest.raises(UnknownSkuError):
            catalog.get("NOPE")
        catalog.get_many(["NOPE", "TEA"])
        assert dict(catalog.get_many(["TEA", "MUG", "POT"])) == before

    def test_eight_threads_reading_at_once_see_the_same_items(self) -> None:
        catalog = self._catalog()
        expected = {item.sku: item for item in sample_catalog_items()}
        results = race(8, lambda _: [dict(catalog.get_many(expected)) for _ in range(50)])
        assert all(seen == expected for batch in results for seen in batch)
