"""The promotions stage inside price_cart, and the coupon operations checkout uses."""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random

import pytest

from commerce_core import (
    Adjustment,
    AmountOffOrder,
    Coupon,
    Destination,
    FlatRate,
    FreeGift,
    Jurisdiction,
    Limits,
    MinSubtotal,
    NotAppliedReason,
    NoteStatus,
    PercentOff,
    PricingContext,
    PricingLine,
    Promotion,
    PromotionBook,
    PromotionEngine,
    Selector,
    ShippingMethod,
    ShippingOff,
    ShippingRateTable,
    Stacking,
    TaxRate,
    TaxTable,
    UnknownCouponError,
    first_order,
    generate_coupons,
    money,
    price_cart,
)
from commerce_core.adapters.memory import (
    InMemoryCouponUsage,
    InMemoryCustomerHistory,
)
from commerce_core.money import Money

NOW = datetime(2026, 3, 1, tzinfo=UTC)
FR = Destination("FR")
VAT = TaxTable(
    [
        TaxRate.percent("VAT", "20", Jurisdiction("FR")),
        TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
    ]
)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def gross(
    line_id: str,
    sku: str,
    price: str,
    *,
    tax_class: str = "standard",
    qty: int = 1,
    categories: frozenset[str] = frozenset(),
) -> PricingLine:
    return PricingLine(
        line_id,
        sku,
        sku.title(),
        qty,
        eur(price),
        prices_include_tax=True,
        tax_class=tax_class,
        categories=categories,
    )


def context(**kwargs: object) -> PricingContext:
    return PricingContext(currency="EUR", now=NOW, destination=FR, **kwargs)  # type: ignore[arg-type]


def test_an_order_discount_reduces_gross_net_and_tax_of_lines_with_different_rates() -> None:
    engine = PromotionEngine(
        PromotionBook([Promotion(id="ten", name="10 off", benefit=AmountOffOrder(eur("10.00")))])
    )
    lines = [gross("wine", "WINE", "60.00"), gross("tea", "TEA", "40.00", tax_class="reduced")]
    b = price_cart(lines, context(), stages=[engine], tax=VAT)
    wine, tea = b.lines
    # 10.00 split 60:40 -> 6.00 and 4.00 off the gross prices.
    assert wine.total == eur("54.00")
    assert tea.total == eur("36.00")
    # each line derives net and tax from its own discounted gross: 54.00 / 1.20, 36.00 / 1.055
    assert wine.net == eur("45.00")
    assert wine.tax == eur("9.00")
    assert tea.net == eur("34.12")
    assert tea.tax == eur("1.88")
    assert b.discounts == eur("10.00")
    assert [a.source_id for a in wine.adjustments] == ["ten"]


def test_the_breakdown_explains_applied_missed_and_upsell() -> None:
    book = PromotionBook(
        [
            Promotion(
                id="tea5",
                name="5% tea",
                benefit=PercentOff(5),
                targets=Selector.of(categories={"tea"}),
            ),
            Promotion(
                id="ship",
                name="Free shipping",
                description="free shipping",
                benefit=ShippingOff(),
                conditions=[MinSubtotal(eur("50.00"))],
            ),
        ]
    )
    lines = [gross("t", "TEA", "38.00", categories=frozenset({"tea"}))]
    b = price_cart(lines, context(), stages=[PromotionEngine(book)], tax=VAT)
    by_status = {(n.source_id, n.status): n for n in b.notes}
    applied = by_status["tea5", NoteStatus.APPLIED]
    assert applied.data["amount"] == "1.90"
    assert applied.data["lines"] == ["t"]
    assert by_status["ship", NoteStatus.NOT_APPLICABLE].data["reason"] == "minimum_not_met"
    assert by_status["ship", NoteStatus.UPSELL].message == "add 12.00 more for free shipping"
    assert b.extensions["promotions"].applied_ids() == ("tea5",)  # type: ignore[attr-defined]


STANDARD_SHIPPING = ShippingRateTable([ShippingMethod("std", "Standard", FlatRate(eur("4.90")))])


def shipping_promotion(benefit: ShippingOff, **kwargs: object) -> PromotionEngine:
    return PromotionEngine(
        PromotionBook([Promotion(id="ship", name="Shipping deal", benefit=benefit, **kwargs)])  # type: ignore[arg-type]
    )


def priced_with_shipping(engine: PromotionEngine):  # type: ignore[no-untyped-def]
    return price_cart(
        [gross("t", "TEA", "20.00")],
        context(shipping_method="std"),
        stages=[engine],
        tax=VAT,
        shipping=STANDARD_SHIPPING,
    )


def test_free_shipping_records_the_quoted_price_as_its_real_discount() -> None:
    # Shipping is quoted 4.90 after the promotions ran: the raw shipping adjustment is -4.90
    # (not a huge placeholder clamped by the pipeline) and the promotion's note says 4.90.
    b = priced_with_shipping(shipping_promotion(ShippingOff()))
    assert b.shipping is not None
    assert b.shipping.adjustments == (Adjustment("ship", "Shipping deal", eur("-4.90")),)
    assert b.shipping.total == eur("0.00")
    assert b.discounts == eur("4.90")
    [note] = [n for n in b.notes if n.source_id == "ship"]
    assert note.status is NoteStatus.APPLIED
    assert note.data["shipping_discount"] == "4.90"
    assert "-4.90 EUR on shipping" in note.message


def test_a_percentage_off_shipping_works_through_the_pipeline() -> None:
    # 20% of the 4.90 quote = 0.98 off; 3.92 left to pay (+20% VAT = 0.784 -> 0.78).
    b = priced_with_shipping(shipping_promotion(ShippingOff(20)))
    assert b.shipping is not None
    assert b.shipping.adjustments == (Adjustment("ship", "Shipping deal", eur("-0.98")),)
    assert b.shipping.total == eur("3.92")
    assert b.shipping.gross == eur("4.70")
    assert b.discounts == eur("0.98")
    [note] = [n for n in b.notes if n.source_id == "ship"]
    assert note.data["shipping_discount"] == "0.98"


def test_an_amount_off_shipping_never_exceeds_the_quoted_charge() -> None:
    # 10.00 off a 4.90 charge takes 4.90 off, no more.
    b = priced_with_shipping(shipping_promotion(ShippingOff(amount=eur("10.00"))))
    assert b.shipping is not None
    assert [a.amount for a in b.shipping.adjustments] == [eur("-4.90")]
    assert b.discounts == eur("4.90")


def test_a_promotions_discount_cap_limits_its_shipping_discount() -> None:
    # Free shipping with at most 3.00 off per application: 4.90 - 3.00 = 1.90 still to pay.
    b = priced_with_shipping(
        shipping_promotion(ShippingOff(), limits=Limits(max_discount_per_application=eur("3.00")))
    )
    assert b.shipping is not None
    assert b.shipping.total == eur("1.90")
    assert b.discounts == eur("3.00")


def test_free_shipping_beats_a_smaller_exclusive_offer_because_it_saves_the_customer_more() -> None:
    free_shipping = Promotion(id="ship", name="Free shipping", benefit=ShippingOff())
    fifty_cents = Promotion(
        id="small",
        name="0.50 off, alone",
        benefit=AmountOffOrder(eur("0.50")),
        stacking=Stacking(exclusive=True),
    )
    b = price_cart(
        [gross("t", "TEA", "20.00")],
        context(shipping_method="std"),
        stages=[PromotionEngine(PromotionBook([free_shipping, fifty_cents]))],
        tax=VAT,
        shipping=STANDARD_SHIPPING,
    )
    # Free shipping saves the 4.90 quote; the exclusive saves 0.50. The customer pays
    # 20.00 + 0.00, not 19.50 + 4.90 = 24.40.
    assert b.extensions["promotions"].applied_ids() == ("ship",)  # type: ignore[attr-defined]
    assert b.grand_total == eur("20.00")
    [missed] = [n for n in b.notes if n.source_id == "small"]
    assert missed.data["reason"] == "excluded_by_better_promotion"
    applied = b.extensions["promotions"].applied[0]  # type: ignore[attr-defined]
    assert applied.estimated_shipping == eur("4.90")


def test_without_a_shipping_quote_a_shipping_offer_is_worth_nothing_when_offers_compete() -> None:
    # No shipping method chosen yet: nothing tells what shipping will cost, so the exclusive
    # 0.50 off is the better known saving.
    free_shipping = Promotion(id="ship", name="Free shipping", benefit=ShippingOff())
    fifty_cents = Promotion(
        id="small",
        name="0.50",
        benefit=AmountOffOrder(eur("0.50")),
        stacking=Stacking(exclusive=True),
    )
    engine = PromotionEngine(PromotionBook([free_shipping, fifty_cents]))
    result = engine.evaluate([gross("t", "TEA", "20.00")], context())
    assert result.applied_ids() == ("small",)


def test_a_free_gift_becomes_a_line_whose_price_is_cancelled() -> None:
    book = PromotionBook(
        [Promotion(id="gift", name="Free tote", benefit=FreeGift("TOTE", 1, "Tote", eur("6.00")))]
    )
    b = price_cart([gross("t", "TEA", "20.00")], context(), stages=[PromotionEngine(book)], tax=VAT)
    gift = b.lines[-1]
    assert gift.line.sku == "TOTE"
    assert gift.base_total == eur("6.00")
    assert gift.total == eur("0.00")
    assert b.grand_total == eur("20.00")


def test_first_order_offers_read_the_customer_history_port() -> None:
    book = PromotionBook(
        [
            Promotion(
                id="welcome", name="Welcome", benefit=PercentOff(10), conditions=[first_order()]
            )
        ]
    )
    engine = PromotionEngine(book, history=InMemoryCustomerHistory({"old": 3}))
    lines = [gross("t", "TEA", "20.00")]
    assert engine.evaluate(lines, context(customer_id="new")).applied_ids() == ("welcome",)
    assert engine.evaluate(lines, context(customer_id="old")).applied == ()


SINGLE = Promotion(
    id="single", name="5 off", benefit=AmountOffOrder(eur("5.00")), requires_code=True
)


def test_checkout_redeems_accepted_codes_and_a_second_order_finds_the_code_used_up() -> None:
    usage = InMemoryCouponUsage()
    engine = PromotionEngine(
        PromotionBook([SINGLE], [Coupon.single_use("ONCE", "single")]), usage=usage
    )
    lines = [gross("t", "TEA", "20.00")]
    first = engine.evaluate_codes(lines, context(coupon_codes=["once"]))
    assert first.accepted_codes == ("ONCE",)
    assert engine.redeem_codes(first.accepted_codes, order_id="o1", customer_id="c1").ok
    second = engine.evaluate_codes(lines, context(coupon_codes=["ONCE"]))
    assert second.rejected_codes[0].reason is NotAppliedReason.LIMIT_REACHED
    late = engine.redeem_codes(["ONCE"], order_id="o2", customer_id="c2")
    assert not late.ok
    assert late.failed_code == "ONCE"
    # the first order is cancelled: its use comes back
    assert engine.release_codes(["ONCE"], order_id="o1") == ("ONCE",)
    assert engine.redeem_codes(["ONCE"], order_id="o2", customer_id="c2").ok


def test_a_one_per_customer_code_needs_a_signed_in_customer() -> None:
    usage = InMemoryCouponUsage()
    coupon = Coupon(code="WELCOME", promotion_id="single", max_uses_per_customer=1)
    engine = PromotionEngine(PromotionBook([SINGLE], [coupon]), usage=usage)
    lines = [gross("t", "TEA", "20.00")]
    # A guest cannot be told apart from another guest: the code is refused up front ...
    guest = engine.evaluate_codes(lines, context(coupon_codes=["welcome"]))
    assert guest.accepted_codes == ()
    assert guest.rejected_codes[0].reason is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
    # ... and redeeming it as a guest fails every time, recording nothing.
    for order in ("o1", "o2", "o3"):
        outcome = engine.redeem_codes(["WELCOME"], order_id=order, customer_id=None)
        assert not outcome.ok
        assert outcome.reason is NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
    assert usage.uses("WELCOME") == 0
    # A signed-in customer gets their one use.
    known = engine.evaluate_codes(lines, context(coupon_codes=["welcome"], customer_id="c1"))
    assert known.accepted_codes == ("WELCOME",)
    assert engine.redeem_codes(["WELCOME"], order_id="o4", customer_id="c1").ok
    again = engine.redeem_codes(["WELCOME"], order_id="o5", customer_id="c1")
    assert again.reason is NotAppliedReason.LIMIT_REACHED


def test_redeeming_several_codes_is_all_or_nothing() -> None:
    usage = InMemoryCouponUsage()
    other = Promotion(
        id="other", name="1 off", benefit=AmountOffOrder(eur("1.00")), requires_code=True
    )
    coupons = [Coupon.single_use("AAA", "single"), Coupon.single_use("BBB", "other")]
    engine = PromotionEngine(PromotionBook([SINGLE, other], coupons), usage=usage)
    assert engine.redeem_codes(["BBB"], order_id="o0", customer_id=None).ok
    outcome = engine.redeem_codes(["AAA", "BBB"], order_id="o1", customer_id=None)
    assert not outcome.ok
    assert outcome.failed_code == "BBB"
    assert usage.uses("AAA") == 0  # taken then given back


def test_redeeming_an_unknown_code_is_a_misuse() -> None:
    engine = PromotionEngine(PromotionBook([SINGLE]), usage=InMemoryCouponUsage())
    with pytest.raises(UnknownCouponError):
        engine.redeem_codes(["NOPE"], order_id="o1", customer_id=None)


def test_bulk_generated_coupons_unlock_their_promotion() -> None:
    book = PromotionBook([SINGLE])
    coupons = generate_coupons(book, "single", 50, Random(3), prefix="SPRING")
    assert len({c.code for c in coupons}) == 50
    assert all(c.max_uses == 1 for c in coupons)
    engine = PromotionEngine(PromotionBook(book.promotions, coupons))
    result = engine.evaluate(
        [gross("t", "TEA", "20.00")], context(coupon_codes=[coupons[7].code.lower()])
    )
    assert result.total_discount == eur("5.00")


def test_backtest_reports_total_affected_and_average_discount() -> None:
    engine = PromotionEngine(PromotionBook([]))
    candidate = Promotion(
        id="cand",
        name="10% over 50",
        benefit=PercentOff(10),
        conditions=[MinSubtotal(eur("50.00"))],
    )
    carts = [
        ([gross("a", "A", "100.00")], context()),
        ([gross("a", "A", "60.00")], context()),
        ([gross("a", "A", "20.00")], context()),
    ]
    report = engine.backtest(candidate, carts, "EUR")
    # 10.00 + 6.00 on the two carts over 50.00; average 16.00 / 2 = 8.00
    assert (report.carts, report.carts_affected) == (3, 2)
    assert report.total_discount == eur("16.00")
    assert report.average_discount == eur("8.00")


def test_backtest_reports_the_net_change_when_the_candidate_displaces_another_offer() -> None:
    current = Promotion(id="now", name="10% off", benefit=PercentOff(10))
    engine = PromotionEngine(PromotionBook([current]))
    candidate = Promotion(
        id="cand",
        name="15% off, alone",
        benefit=PercentOff(15),
        stacking=Stacking(exclusive=True),
    )
    carts = [([gross("a", "A", "100.00")], context()), ([gross("a", "A", "40.00")], context())]
    report = engine.backtest(candidate, carts, "EUR")
    # The candidate grants 15.00 + 6.00 = 21.00 itself, but it replaces the current 10% offer
    # (10.00 + 4.00 = 14.00): customers only save 7.00 more (5.00 + 2.00).
    assert report.total_discount == eur("21.00")
    assert report.per_cart_net_change == (eur("5.00"), eur("2.00"))
    assert report.net_change == eur("7.00")
