"""Round 6 cart fast paths: reused date texts and the identity shortcuts of the reprice check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from commerce_core.domain.cart import (
    Cart,
    CartLine,
    CartOwner,
    _is_utc_iso_text,
    _snapshot_unchanged,
)
from commerce_core.domain.catalog import CatalogItem, QuantityRule
from commerce_core.money import money

NOW = datetime(2026, 1, 1, tzinfo=UTC)

_instants = st.datetimes(
    min_value=datetime(1, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001 - hypothesis bounds are naive
    timezones=st.just(UTC),
)


def _texts_of(moment: datetime) -> list[str]:
    """Texts ``fromisoformat`` reads as ``moment`` (or as an equal instant), in several forms."""
    naive = moment.replace(tzinfo=None)
    return [
        moment.isoformat(),
        naive.isoformat() + "Z",
        naive.isoformat(sep=" ") + "+00:00",
        naive.isoformat(timespec="microseconds") + "+00:00",
        naive.isoformat(timespec="minutes") + "+00:00",
        naive.isoformat() + "-00:00",
        moment.astimezone(timezone(timedelta(hours=2))).isoformat(),
        (
            f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T"
            f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}+00:00"
        ),
        naive.isoformat(),
    ]


@given(_instants, st.integers(0, 8))
def test_a_text_taken_as_is_is_the_one_isoformat_writes(moment: datetime, form: int) -> None:
    text = _texts_of(moment)[form]
    parsed = datetime.fromisoformat(text)
    if _is_utc_iso_text(text):
        assert parsed.isoformat() == text
    if form == 0 and moment.microsecond == 0:
        assert _is_utc_iso_text(text)


@given(_instants, st.integers(0, 8), _instants, st.integers(0, 8), st.booleans())
def test_a_snapshot_writes_its_dates_as_isoformat_does(
    created: datetime,
    created_form: int,
    updated: datetime,
    updated_form: int,
    touch: bool,  # noqa: FBT001 - drawn
) -> None:
    cart = Cart.create("c1", CartOwner.guest("g"), "EUR", now=NOW)
    data = cart.to_snapshot()
    data["created_at"] = _texts_of(created)[created_form]
    data["updated_at"] = _texts_of(updated)[updated_form]
    rebuilt = Cart.from_snapshot(data, 1)
    if touch:
        rebuilt.updated_at = rebuilt.updated_at + timedelta(seconds=1)
    for _ in range(2):  # the second snapshot reuses what the first wrote
        again = rebuilt.to_snapshot()
        assert again["created_at"] == rebuilt.created_at.isoformat()
        assert again["updated_at"] == rebuilt.updated_at.isoformat()
    rebuilt.created_at = rebuilt.created_at - timedelta(days=1)
    assert rebuilt.to_snapshot()["created_at"] == rebuilt.created_at.isoformat()


class _Text(str):
    """Equal to its ``str`` value, of another type: a fresh snapshot would hold this type."""

    __slots__ = ()


class _Rule(QuantityRule):
    """Equal fields, another class: attrs equality tells it from a QuantityRule."""


def _reference_unchanged(line: CartLine, item: CatalogItem, price: Money) -> bool:
    """``_snapshot_unchanged`` as written before round 6 (type and value of every field)."""
    old, old_rule, new_rule = line.unit_price, line.quantity_rule, item.quantity_rule
    return (
        type(line.sku) is type(item.sku)
        and line.sku == item.sku
        and type(line.name) is type(item.name)
        and line.name == item.name
        and type(old) is type(price)
        and (old.currency is price.currency or old.currency == price.currency)
        and type(old.amount) is type(price.amount)
        and not old.amount.compare_total(price.amount)
        and line.prices_include_tax is item.prices_include_tax
        and type(line.tax_class) is type(item.tax_class)
        and line.tax_class == item.tax_class
        and line.categories == item.categories
        and line.tags == item.tags
        and type(line.weight) is type(item.weight)
        and not line.weight.compare_total(item.weight)
        and line.shippable is item.shippable
        and (
            old_rule is new_rule
            or (
                type(old_rule.minimum) is type(new_rule.minimum)
                and type(old_rule.maximum) is type(new_rule.maximum)
                and type(old_rule.step) is type(new_rule.step)
                and old_rule == new_rule
            )
        )
    )


_SKU, _NAME, _TAX = "TEA", "Sencha", "standard"
_texts = {
    "sku": st.sampled_from([_SKU, _Text(_SKU), "MUG"]),
    "name": st.sampled_from([_NAME, _Text(_NAME), "Sencha tea"]),
    "tax_class": st.sampled_from([_TAX, _Text(_TAX), "reduced"]),
}
_rules = st.sampled_from(
    [
        QuantityRule(),
        QuantityRule(1, None, 1),
        QuantityRule(1, 9, 1),
        QuantityRule(2, None, 2),
        _Rule(),
        _Rule(1, 9, 1),
    ]
)


@given(
    st.fixed_dictionaries(_texts),
    st.fixed_dictionaries(_texts),
    _rules,
    _rules,
    st.booleans(),
    st.sampled_from(["10.00", "10.0", "8.50"]),
)
def test_the_reprice_check_answers_as_the_field_by_field_check(  # noqa: PLR0917 - drawn
    line_texts: dict[str, str],
    item_texts: dict[str, str],
    line_rule: QuantityRule,
    item_rule: QuantityRule,
    same_rule: bool,  # noqa: FBT001 - drawn
    amount: str,
) -> None:
    item = CatalogItem.simple(
        _SKU, _NAME, money("10.00", "EUR"), weight=Decimal("0.2"), quantity_rule=item_rule
    )
    item = attrs.evolve(
        item, sku=item_texts["sku"], name=item_texts["name"], tax_class=item_texts["tax_class"]
    )
    price = item.price_for("EUR", "default")
    line = CartLine(
        "c1-l1",
        line_texts["sku"],
        line_texts["name"],
        2,
        money(amount, "EUR"),
        item.prices_include_tax,
        line_texts["tax_class"],
        item.categories,
        item.tags,
        Decimal("0.2"),
        item.shippable,
        item_rule if same_rule else line_rule,
    )
    assert _snapshot_unchanged(line, item, price) == _reference_unchanged(line, item, price)
