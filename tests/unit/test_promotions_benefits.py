"""Worked examples, one per benefit type, from the shopper's point of view."""

from __future__ import annotations

from decimal import Decimal

from commerce_core import (
    AmountOffEachUnit,
    AmountOffOrder,
    BundlePart,
    BundlePrice,
    BuyXGetY,
    FixedUnitPrice,
    FreeGift,
    Limits,
    NForPriceOfM,
    NotAppliedReason,
    PercentOff,
    Promotion,
    RewardOrder,
    Selector,
    ShippingDiscount,
    ShippingOff,
    Tiered,
)
from tests.promo_helpers import cart, eur, line, price

TEA = Selector.of(categories={"tea"})


def test_ten_percent_off_tea_takes_ten_percent_off_only_the_tea_lines() -> None:
    promo = Promotion(id="tea10", name="10% off tea", benefit=PercentOff(10), targets=TEA)
    result = price(
        [promo], cart(line("l1", "GREEN", 2, "12.50", ["tea"]), line("l2", "MUG", 1, "8.00"))
    )
    # 10% of 2 x 12.50 = 2.50; the mug is not tea.
    assert result.line_discount("l1") == eur("2.50")
    assert result.line_discount("l2") == eur("0.00")
    assert result.applied[0].line_ids == ("l1",)


def test_a_percentage_over_several_lines_is_split_exactly_without_penny_drift() -> None:
    promo = Promotion(id="all10", name="10% off", benefit=PercentOff(10))
    result = price(
        [promo],
        cart(line("a", "A", 1, "0.05"), line("b", "B", 1, "0.05"), line("c", "C", 1, "0.05")),
    )
    # 10% of 0.15 = 0.015 -> 0.02 (half-up) for the whole cart, split 0.01 + 0.01 + 0.00.
    amounts = [result.line_discount(x) for x in ("a", "b", "c")]
    assert sum(amounts, eur("0")) == eur("0.02") == result.total_discount


def test_two_euros_off_each_shirt_never_makes_a_cheap_shirt_negative() -> None:
    promo = Promotion(id="each2", name="2 off each", benefit=AmountOffEachUnit(eur("2.00")))
    result = price([promo], cart(line("l1", "SHIRT", 3, "10.00"), line("l2", "SOCK", 1, "1.50")))
    # 3 x 2.00 on shirts; the 1.50 sock only loses its 1.50.
    assert result.line_discount("l1") == eur("6.00")
    assert result.line_discount("l2") == eur("1.50")


def test_ten_euros_off_the_order_is_spread_over_lines_by_value() -> None:
    promo = Promotion(id="ten", name="10 off", benefit=AmountOffOrder(eur("10.00")))
    result = price([promo], cart(line("a", "A", 1, "30.00"), line("b", "B", 1, "10.00")))
    # 30:10 weights -> 7.50 and 2.50.
    assert result.line_discount("a") == eur("7.50")
    assert result.line_discount("b") == eur("2.50")


def test_an_order_discount_larger_than_the_cart_only_makes_it_free() -> None:
    promo = Promotion(id="big", name="50 off", benefit=AmountOffOrder(eur("50.00")))
    result = price([promo], cart(line("a", "A", 2, "9.99")))
    assert result.total_discount == eur("19.98")


def test_fixed_unit_price_sells_every_targeted_unit_at_that_price() -> None:
    promo = Promotion(id="fix", name="all at 5", benefit=FixedUnitPrice(eur("5.00")))
    result = price([promo], cart(line("a", "A", 2, "8.00"), line("b", "B", 1, "4.00")))
    # 2 x (8.00 - 5.00) = 6.00; the 4.00 item is already cheaper and keeps its price.
    assert result.line_discount("a") == eur("6.00")
    assert result.line_discount("b") == eur("0.00")


def test_buy_two_get_one_free_gives_the_cheapest_of_three() -> None:
    promo = Promotion(id="b2g1", name="buy 2 get 1", benefit=BuyXGetY(2, 1))
    result = price(
        [promo],
        cart(line("a", "A", 1, "10.00"), line("b", "B", 1, "6.00"), line("c", "C", 1, "8.00")),
    )
    assert result.line_discount("b") == eur("6.00")
    assert result.total_discount == eur("6.00")


def test_buy_one_get_one_half_price_most_expensive_first_repeats_up_to_the_cap() -> None:
    promo = Promotion(
        id="bogo",
        name="bogo half",
        benefit=BuyXGetY(1, 1, 50, order=RewardOrder.MOST_EXPENSIVE, max_repeats=1),
    )
    result = price([promo], cart(line("a", "A", 4, "10.00")))
    # only one repeat: one unit at 50% = 5.00.
    assert result.total_discount == eur("5.00")
    assert result.applied[0].applications == 1


def test_buy_one_get_one_most_expensive_first_never_gives_a_jacket_for_a_pair_of_socks() -> None:
    promo = Promotion(
        id="bogo",
        name="bogo",
        benefit=BuyXGetY(1, 1, order=RewardOrder.MOST_EXPENSIVE),
    )
    result = price([promo], cart(line("j", "JACKET", 2, "40.00"), line("s", "SOCKS", 2, "1.00")))
    # Units by value: 40, 40 | 1, 1. Each free unit is paid for by one at least as expensive:
    # one jacket free with the other jacket, one pair of socks free with the other pair.
    assert result.line_discount("j") == eur("40.00")
    assert result.line_discount("s") == eur("1.00")
    assert result.total_discount == eur("41.00")  # not 80.00: the socks cannot pay for a jacket


def test_buy_two_get_one_most_expensive_first_rewards_the_cheapest_of_each_group() -> None:
    promo = Promotion(
        id="b2g1", name="b2g1", benefit=BuyXGetY(2, 1, order=RewardOrder.MOST_EXPENSIVE)
    )
    data = cart(line("a", "A", 1, "30.00"), line("b", "B", 1, "20.00"), line("c", "C", 1, "10.00"))
    data = cart(*data.lines, line("d", "D", 1, "9.00"), line("e", "E", 1, "8.00"))
    # 30 20 10 | 9 8: one complete group of three, whose cheapest unit (10.00) is free.
    result = price([promo], data)
    assert result.total_discount == eur("10.00")
    assert result.line_discount("c") == eur("10.00")


def test_buy_a_shoe_get_socks_free_rewards_the_other_set() -> None:
    promo = Promotion(
        id="socks",
        name="free socks",
        benefit=BuyXGetY(1, 1, get_targets=Selector.of(skus={"SOCK"})),
        targets=Selector.of(categories={"shoes"}),
    )
    result = price(
        [promo], cart(line("s", "SHOE", 1, "80.00", ["shoes"]), line("k", "SOCK", 2, "5.00"))
    )
    assert result.line_discount("k") == eur("5.00")
    assert result.line_discount("s") == eur("0.00")


def test_buy_one_get_one_from_a_wider_set_rewards_the_item_that_keeps_the_deal_possible() -> None:
    # Buy something from category a, get something from a or b free. The cart holds one a-item
    # (10.00) and one b-item (20.00): the a-item must be the one paid for, so the b-item is free.
    promo = Promotion(
        id="p",
        name="p",
        benefit=BuyXGetY(1, 1, get_targets=Selector.of(categories={"a", "b"})),
        targets=Selector.of(categories={"a"}),
    )
    result = price(
        [promo], cart(line("l1", "A", 1, "10.00", ["a"]), line("l2", "B", 1, "20.00", ["b"]))
    )
    assert result.line_discount("l2") == eur("20.00")
    assert result.total_discount == eur("20.00")
    assert result.hints == ()


def test_buy_one_get_one_from_an_overlapping_set_still_prefers_the_cheapest_reward() -> None:
    # Two a-items (10.00) and one b-item (20.00): one deal fits (two would need four units), so
    # one a-item pays and the cheapest other unit, the second a-item, is free.
    promo = Promotion(
        id="p",
        name="p",
        benefit=BuyXGetY(1, 1, get_targets=Selector.of(categories={"a", "b"})),
        targets=Selector.of(categories={"a"}),
    )
    result = price(
        [promo],
        cart(line("l1", "A", 2, "10.00", ["a"]), line("l2", "B", 1, "20.00", ["b"])),
    )
    assert result.total_discount == eur("10.00")
    assert result.line_discount("l1") == eur("10.00")
    # Both a-items could each pay for a free item: one more eligible item makes a second deal.
    assert result.hints[0].missing_quantity == 1


def test_two_items_of_a_buy_two_get_one_offer_hint_add_one_more_to_get_one_free() -> None:
    promo = Promotion(id="b2g1", name="buy 2 get 1", benefit=BuyXGetY(2, 1))
    result = price([promo], cart(line("a", "A", 2, "10.00")))
    assert result.applied == ()
    assert result.not_applied[0].reason is NotAppliedReason.NO_ELIGIBLE_ITEMS
    assert result.hints[0].message == "add 1 more to get one free"
    assert result.hints[0].missing_quantity == 1


def test_three_for_the_price_of_two_frees_the_cheapest_of_each_group() -> None:
    promo = Promotion(id="3for2", name="3 for 2", benefit=NForPriceOfM(3, 2))
    result = price([promo], cart(line("a", "A", 3, "4.00"), line("b", "B", 3, "2.00")))
    # 6 units, 2 groups: the two cheapest units (2.00 each) are free.
    assert result.line_discount("b") == eur("4.00")
    assert result.total_discount == eur("4.00")


def test_burger_fries_and_drink_bundle_costs_ten() -> None:
    promo = Promotion(
        id="menu",
        name="menu",
        benefit=BundlePrice(
            [
                BundlePart(Selector.of(skus={"BURGER"})),
                BundlePart(Selector.of(skus={"FRIES"})),
                BundlePart(Selector.of(skus={"DRINK"})),
            ],
            eur("10.00"),
        ),
    )
    result = price(
        [promo],
        cart(
            line("b", "BURGER", 1, "7.00"),
            line("f", "FRIES", 1, "3.00"),
            line("d", "DRINK", 2, "2.50"),
        ),
    )
    # one bundle: 7.00 + 3.00 + 2.50 = 12.50 -> 10.00, discount 2.50 split by value.
    assert result.total_discount == eur("2.50")
    assert result.line_discount("b") + result.line_discount("f") + result.line_discount("d") == eur(
        "2.50"
    )


def test_volume_tiers_give_the_highest_tier_reached_and_hint_the_next() -> None:
    promo = Promotion(
        id="vol", name="volume", benefit=Tiered.by_quantity([(3, 5), (6, 10)]), targets=TEA
    )
    result = price([promo], cart(line("t", "GREEN", 4, "10.00", ["tea"])))
    # 4 units reach the 3-unit tier: 5% of 40.00 = 2.00; 2 more units reach 10%.
    assert result.total_discount == eur("2.00")
    assert result.hints[0].message == "add 2 more for 10% off"


def test_a_volume_tier_not_yet_reached_reports_the_minimum_and_the_shortfall() -> None:
    promo = Promotion(
        id="vol", name="volume", benefit=Tiered.by_quantity([(3, 5), (6, 10)]), targets=TEA
    )
    result = price([promo], cart(line("t", "TEA", 1, "10.00", ["tea"])))
    # One unit, the first tier starts at three: two more units, not "nothing qualifies".
    [missed] = result.not_applied
    assert missed.reason is NotAppliedReason.MINIMUM_NOT_MET
    assert missed.missing_quantity == 2
    assert result.hints[0].message == "add 2 more for 5% off"
    by_amount = Promotion(
        id="amt", name="spend more", benefit=Tiered.by_amount([(eur("50.00"), 5)])
    )
    [short] = price([by_amount], cart(line("t", "TEA", 1, "38.00"))).not_applied
    assert short.reason is NotAppliedReason.MINIMUM_NOT_MET
    assert short.missing_amount == eur("12.00")  # 50.00 - 38.00


def test_amount_tiers_count_the_cart_value() -> None:
    promo = Promotion(
        id="spend",
        name="spend more",
        benefit=Tiered.by_amount([(eur("50.00"), 5), (eur("100.00"), Decimal(15))]),
    )
    result = price([promo], cart(line("a", "A", 1, "120.00")))
    assert result.total_discount == eur("18.00")  # 15% of 120.00


def test_free_shipping_removes_the_whole_known_shipping_price() -> None:
    promo = Promotion(id="ship", name="free shipping", benefit=ShippingOff())
    result = price([promo], cart(line("a", "A", 1, "20.00"), shipping=eur("4.90")))
    assert result.applied[0].shipping_amount == eur("4.90")
    assert result.total_discount == eur("4.90")


def test_half_price_shipping_and_free_shipping_when_the_price_is_not_known_yet() -> None:
    half = Promotion(id="half", name="half shipping", benefit=ShippingOff(50))
    assert price(
        [half], cart(line("a", "A", 1, "20.00"), shipping=eur("5.00"))
    ).total_discount == eur("2.50")
    free = Promotion(id="free", name="free shipping", benefit=ShippingOff())
    unknown = price([free], cart(line("a", "A", 1, "20.00")))
    assert unknown.applied[0].free_shipping is True


def test_a_percentage_off_shipping_not_priced_yet_becomes_a_rule_for_the_pipeline() -> None:
    # Without a known shipping price, 20% off shipping is handed over as a rule (it used to be
    # dropped as "nothing in the cart qualifies"); a 3.00 cap becomes its limit.
    promo = Promotion(
        id="ship20",
        name="20% off shipping",
        benefit=ShippingOff(20),
        limits=Limits(max_discount_total=eur("3.00")),
    )
    [applied] = price([promo], cart(line("a", "A", 1, "20.00"))).applied
    assert applied.shipping_discount == ShippingDiscount(
        source_id="ship20", label="20% off shipping", percent=Decimal(20), limit=eur("3.00")
    )
    assert applied.free_shipping is False
    assert applied.amount == eur("0.00")  # not known until shipping is quoted


def test_a_free_gift_is_added_when_it_is_not_in_the_cart_and_freed_when_it_is() -> None:
    promo = Promotion(
        id="gift", name="free tote", benefit=FreeGift("TOTE", 1, "Tote bag", eur("6.00"))
    )
    added = price([promo], cart(line("a", "A", 1, "20.00")))
    assert added.applied[0].gifts[0].sku == "TOTE"
    freed = price([promo], cart(line("a", "A", 1, "20.00"), line("t", "TOTE", 2, "6.00")))
    assert freed.line_discount("t") == eur("6.00")  # one of the two totes is free
    assert freed.applied[0].gifts == ()


def test_limits_cap_the_discount_per_application_in_total_items_and_applications() -> None:
    shirts = cart(line("a", "SHIRT", 5, "20.00"))
    total_cap = Promotion(
        id="p", name="p", benefit=PercentOff(50), limits=Limits(max_discount_total=eur("15.00"))
    )
    assert price([total_cap], shirts).total_discount == eur("15.00")  # not 50.00
    per_app = Promotion(
        id="p",
        name="p",
        benefit=AmountOffEachUnit(eur("5.00")),
        limits=Limits(max_discount_per_application=eur("3.00")),
    )
    assert price([per_app], shirts).total_discount == eur("15.00")  # 5 units x 3.00
    items = Promotion(id="p", name="p", benefit=PercentOff(50), limits=Limits(max_items=2))
    assert price([items], shirts).total_discount == eur("20.00")  # 50% of 2 x 20.00
    apps = Promotion(id="p", name="p", benefit=BuyXGetY(1, 1), limits=Limits(max_applications=1))
    assert price([apps], shirts).total_discount == eur("20.00")  # one free shirt only


def test_a_per_application_cap_limits_each_discounted_unit_on_its_own() -> None:
    promo = Promotion(
        id="p",
        name="everything at 10.00, at most 5.00 off each",
        benefit=FixedUnitPrice(eur("10.00")),
        limits=Limits(max_discount_per_application=eur("5.00")),
    )
    result = price([promo], cart(line("l1", "A", 1, "50.00"), line("l2", "B", 1, "11.00")))
    # A: 40.00 off capped at 5.00; B: 1.00 off (under the cap). The unused 4.00 of B's cap
    # does not carry over to A: 5.00 + 1.00 = 6.00, not 2 x 5.00.
    assert result.line_discount("l1") == eur("5.00")
    assert result.line_discount("l2") == eur("1.00")
    assert result.total_discount == eur("6.00")


def test_a_per_application_cap_limits_each_repeat_of_a_buy_one_get_one() -> None:
    promo = Promotion(
        id="bogo",
        name="bogo, at most 15.00 off per free item",
        benefit=BuyXGetY(1, 1, order=RewardOrder.MOST_EXPENSIVE),
        limits=Limits(max_discount_per_application=eur("15.00")),
    )
    result = price([promo], cart(line("a", "A", 2, "30.00"), line("b", "B", 2, "4.00")))
    # Groups 30 30 | 4 4: one coat free, capped at 15.00, and one 4.00 item free (under the
    # cap): 15.00 + 4.00 = 19.00, not the pooled 2 x 15.00 = 30.00.
    assert result.line_discount("a") == eur("15.00")
    assert result.line_discount("b") == eur("4.00")
    assert result.total_discount == eur("19.00")
