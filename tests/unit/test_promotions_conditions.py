"""Worked examples, one per condition, from the shopper's point of view."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from commerce_core import (
    AllOf,
    AmountOffOrder,
    AnyOf,
    Channel,
    Condition,
    Contains,
    ContainsNone,
    Coupon,
    CurrencyIs,
    CustomerGroup,
    DateWindow,
    MinQuantity,
    MinSubtotal,
    NotAppliedReason,
    NthOrder,
    PercentOff,
    Promotion,
    PromotionBook,
    Selector,
    ShippingDestination,
    ShippingOff,
    apply_promotions,
    first_order,
)
from commerce_core.domain.promotions.core import CartState
from tests.promo_helpers import NOW, cart, eur, line, price


def ten_percent(*conditions: Condition) -> Promotion:
    return Promotion(id="p", name="10% off", benefit=PercentOff(10), conditions=conditions)


def reason_for(promo: Promotion, **cart_kwargs: object) -> NotAppliedReason | None:
    result = price([promo], cart(line("a", "TEA", 2, "20.00", ["tea"], ["new"]), **cart_kwargs))
    return result.not_applied[0].reason if result.not_applied else None


def test_free_shipping_over_fifty_tells_a_shopper_at_38_to_add_12_more() -> None:
    promo = Promotion(
        id="ship",
        name="Free shipping",
        description="free shipping",
        benefit=ShippingOff(),
        conditions=[MinSubtotal(eur("50.00"))],
    )
    result = price([promo], cart(line("a", "A", 1, "38.00"), shipping=eur("4.90")))
    assert result.applied == ()
    assert result.not_applied[0].reason is NotAppliedReason.MINIMUM_NOT_MET
    assert result.not_applied[0].missing_amount == eur("12.00")
    assert result.hints[0].message == "add 12.00 more for free shipping"


def test_a_minimum_after_discounts_counts_what_earlier_promotions_left() -> None:
    first = Promotion(id="a", name="20 off", benefit=AmountOffOrder(eur("20.00")))
    before = Promotion(
        id="b", name="5% before", benefit=PercentOff(5), conditions=[MinSubtotal(eur("50.00"))]
    )
    after = Promotion(
        id="c",
        name="5% after",
        benefit=PercentOff(5),
        conditions=[MinSubtotal(eur("50.00"), after_discounts=True)],
    )
    result = price([first, before, after], cart(line("x", "A", 1, "60.00")))
    # 60.00 - 20.00 = 40.00 left: the "after discounts" minimum of 50.00 is no longer met.
    assert set(result.applied_ids()) == {"a", "b"}
    missed = {n.promotion_id: n for n in result.not_applied}
    assert missed["c"].reason is NotAppliedReason.MINIMUM_NOT_MET
    assert missed["c"].missing_amount == eur("12.00")  # 50.00 - (40.00 - 2.00)


def test_minimum_quantity_counts_units_and_reports_how_many_are_missing() -> None:
    promo = ten_percent(MinQuantity(3))
    result = price([promo], cart(line("a", "A", 2, "5.00")))
    assert result.not_applied[0].missing_quantity == 1
    assert price([promo], cart(line("a", "A", 3, "5.00"))).total_discount == eur("1.50")


def test_contains_and_contains_none_check_products_categories_and_tags() -> None:
    assert reason_for(ten_percent(Contains(Selector.of(tags={"new"})))) is None
    # A code-unlocked offer requiring a product the cart lacks says so ...
    mug_offer = attrs.evolve(ten_percent(Contains(Selector.of(skus={"MUG"}))), requires_code=True)
    result = price(
        [mug_offer],
        cart(line("a", "TEA", 2, "20.00", ["tea"], ["new"]), codes=["MUG10"]),
        [Coupon(code="MUG10", promotion_id="p")],
    )
    assert result.rejected_codes[0].reason is NotAppliedReason.MISSING_PRODUCTS
    # ... while an automatic one is not even considered: the index skips it (no note).
    assert reason_for(ten_percent(Contains(Selector.of(skus={"MUG"})))) is None
    assert (
        reason_for(ten_percent(ContainsNone(Selector.of(categories={"tea"}))))
        is NotAppliedReason.EXCLUDED_PRODUCTS
    )


def test_customer_group_offers_are_for_members_only() -> None:
    vip = ten_percent(CustomerGroup({"vip"}))
    assert reason_for(vip) is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
    assert reason_for(vip, customer_groups={"vip"}) is None


def test_first_order_and_nth_order_use_the_customers_history() -> None:
    welcome = ten_percent(first_order())
    assert reason_for(welcome, previous_orders=0) is None
    assert reason_for(welcome, previous_orders=1) is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
    assert reason_for(welcome) is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE  # unknown guest
    assert reason_for(ten_percent(NthOrder(5)), previous_orders=4) is None


def test_a_date_window_reports_not_started_and_expired() -> None:
    later = ten_percent(DateWindow(NOW + timedelta(days=1)))
    done = ten_percent(DateWindow(None, NOW))
    assert reason_for(later) is NotAppliedReason.NOT_STARTED
    assert reason_for(done) is NotAppliedReason.EXPIRED  # the end is exclusive
    assert reason_for(ten_percent(DateWindow(NOW, NOW + timedelta(hours=1)))) is None


def test_channel_currency_and_destination_conditions() -> None:
    assert reason_for(ten_percent(Channel({"app"})), channel="web") is (
        NotAppliedReason.WRONG_CHANNEL
    )
    assert reason_for(ten_percent(Channel({"app"})), channel="app") is None
    assert reason_for(ten_percent(CurrencyIs({"USD"}))) is NotAppliedReason.WRONG_CURRENCY
    france = ten_percent(ShippingDestination({"FR"}))
    assert reason_for(france, shipping_country="DE") is NotAppliedReason.WRONG_DESTINATION
    assert reason_for(france, shipping_country="FR") is None


def test_all_of_needs_every_condition_and_any_of_needs_one() -> None:
    vip, big = CustomerGroup({"vip"}), MinQuantity(10)
    assert reason_for(ten_percent(AllOf([vip, big])), customer_groups={"vip"}) is (
        NotAppliedReason.MINIMUM_NOT_MET
    )
    assert reason_for(ten_percent(AnyOf([vip, big])), customer_groups={"vip"}) is None
    assert reason_for(ten_percent(AnyOf([vip, big]))) is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE


def test_promotion_window_and_channel_restrictions_hide_automatic_offers() -> None:
    promo = Promotion(id="p", name="app only", benefit=PercentOff(10), channels={"app"}, ends=NOW)
    # wrong channel: the index never even considers it
    assert price([promo], cart(line("a", "A", 1, "9.00"), channel="web")).not_applied == ()
    expired = price([promo], cart(line("a", "A", 1, "9.00"), channel="app"))
    assert expired.not_applied[0].reason is NotAppliedReason.EXPIRED


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_minimum_quantity_below_one_is_refused(quantity: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MinQuantity(quantity)


def test_an_offer_requiring_a_category_the_cart_lacks_is_skipped_by_the_index() -> None:
    # 10,000 "5.00 off when the cart holds category absentN" offers must cost nothing on a cart
    # without those categories: the index finds them by the category their condition requires.
    offers = [
        Promotion(
            id=f"p{i}",
            name=f"p{i}",
            benefit=AmountOffOrder(eur("5.00")),
            conditions=[Contains(Selector.of(categories={f"absent{i}"}))],
        )
        for i in range(3)
    ]
    matching = Promotion(
        id="tea",
        name="tea",
        benefit=AmountOffOrder(eur("5.00")),
        conditions=[AllOf([MinQuantity(1), Contains(Selector.of(categories={"tea"}))])],
    )
    book = PromotionBook([*offers, matching])
    data = cart(line("a", "TEA", 2, "20.00", ["tea"]))
    assert [p.id for p in book.candidates(CartState(data))] == ["tea"]
    result = apply_promotions(book, data)
    assert result.applied_ids() == ("tea",)
    assert result.not_applied == ()


def test_promotions_are_indexed_by_the_narrowest_requirement_of_their_conditions() -> None:
    tea = Selector.of(categories={"tea"})
    mugs = Selector.of(skus={"MUG"}, tags={"gift"})
    promo = Promotion(
        id="p",
        name="p",
        benefit=AmountOffOrder(eur("1.00")),
        conditions=[MinSubtotal(eur("10.00"), of=mugs), Contains(tea)],
    )
    assert promo.index_keys() == frozenset({("category", "tea")})
    either = Promotion(
        id="q",
        name="q",
        benefit=AmountOffOrder(eur("1.00")),
        conditions=[AnyOf([Contains(tea), Contains(mugs)])],
    )
    assert either.index_keys() == frozenset({("category", "tea"), ("sku", "MUG"), ("tag", "gift")})
    # A condition any cart may meet (a minimum over the whole cart) does not narrow anything.
    anywhere = Promotion(
        id="r",
        name="r",
        benefit=AmountOffOrder(eur("1.00")),
        conditions=[MinSubtotal(eur("10.00"))],
    )
    assert anywhere.index_keys() is None
