"""Promotions and coupons: stacking, hints, coupon codes, checkout redemption, backtest.

Run: python examples/promotions.py
"""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random

from commerce_core import (
    BuyXGetY,
    Coupon,
    Destination,
    Jurisdiction,
    MinSubtotal,
    Money,
    NotAppliedReason,
    PercentOff,
    PricingContext,
    PricingLine,
    Promotion,
    PromotionBook,
    PromotionEngine,
    Selector,
    ShippingOff,
    Stacking,
    TaxRate,
    TaxTable,
    generate_coupons,
    money,
    price_cart,
)
from commerce_core.adapters.memory import InMemoryCouponUsage

NOW = datetime(2026, 3, 1, tzinfo=UTC)
VAT = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def main() -> None:
    promotions = [
        Promotion(
            id="tea-3for2",
            name="Tea: buy 2 get 1 free",
            benefit=BuyXGetY(2, 1),
            targets=Selector.of(categories={"tea"}),
        ),
        Promotion(
            id="ship-60",
            name="Free shipping over 60",
            description="free shipping",
            benefit=ShippingOff(),
            conditions=[MinSubtotal(eur("60.00"))],
        ),
        Promotion(
            id="vip-25",
            name="VIP 25% (exclusive)",
            benefit=PercentOff(25),
            requires_code=True,
            stacking=Stacking(exclusive=True),
        ),
    ]
    book = PromotionBook(promotions, [Coupon(code="VIP25", promotion_id="vip-25")])
    # A seeded source keeps the example reproducible; use secrets.SystemRandom() for real codes.
    vouchers = generate_coupons(book, "vip-25", 3, Random(42), prefix="GIFT-")  # noqa: S311
    book = PromotionBook(book.promotions, [*book.coupons, *vouchers])
    usage = InMemoryCouponUsage()
    engine = PromotionEngine(book, usage=usage)

    lines = [
        PricingLine("l1", "SENCHA", "Sencha", 3, eur("9.00"), True, categories=frozenset({"tea"})),
        PricingLine("l2", "TEAPOT", "Teapot", 1, eur("24.00"), True),
    ]
    ctx = PricingContext(currency="EUR", now=NOW, destination=Destination("FR"))
    breakdown = price_cart(lines, ctx, stages=[engine], tax=VAT)
    print("without code:", breakdown.grand_total, "discounts", breakdown.discounts)
    for note in breakdown.notes:
        print(f"  [{note.status}] {note.source_id}: {note.message}")
    # 3 teas: one free (9.00). The minimum counts before discounts: 27.00 + 24.00 = 51.00,
    # 9.00 short of 60.00 -> a hint for free shipping.
    assert breakdown.discounts == eur("9.00")
    assert any(n.message == "add 9.00 more for free shipping" for n in breakdown.notes)

    # The VIP code is exclusive: 25% of 51.00 = 12.75 beats the 9.00 free tea.
    with_code = PricingContext(
        currency="EUR", now=NOW, destination=Destination("FR"), coupon_codes=[vouchers[0].code]
    )
    result = engine.evaluate_codes(lines, with_code)
    assert result.applied_ids() == ("vip-25",)
    assert result.total_discount == eur("12.75")
    print("with a gift voucher:", result.total_discount, "off; code", result.accepted_codes)

    # Checkout redeems the voucher atomically; a second order cannot reuse it.
    assert engine.redeem_codes(result.accepted_codes, order_id="o1", customer_id="c1").ok
    again = engine.evaluate_codes(lines, with_code).rejected_codes[0]
    assert again.reason is NotAppliedReason.LIMIT_REACHED
    print("second use:", again.reason, "-", again.message)

    # Backtest a candidate on past carts.
    candidate = Promotion(
        id="spring",
        name="10% over 40",
        benefit=PercentOff(10),
        conditions=[MinSubtotal(eur("40.00"))],
    )
    history = [([PricingLine("h", "X", "X", 1, eur(a))], ctx) for a in ("50.00", "20.00", "80.00")]
    report = engine.backtest(candidate, history, "EUR")
    print(
        f"backtest: {report.carts_affected}/{report.carts} carts, total {report.total_discount},"
        f" average {report.average_discount}"
    )
    assert report.total_discount == eur("13.00")  # 5.00 + 8.00


if __name__ == "__main__":
    main()
