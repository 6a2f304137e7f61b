"""A cart from guest to customer: stock checks, merge at sign-in, reprice, pricing with shipping.

Run: python examples/cart.py
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from commerce_core import (
    BackorderPolicy,
    CartOwner,
    CartPolicy,
    CartService,
    CatalogItem,
    Destination,
    FlatRate,
    FreeAbove,
    InventoryService,
    Jurisdiction,
    MergeStrategy,
    PricingContext,
    ShippingMethod,
    ShippingRateTable,
    StockUnavailableError,
    TaxRate,
    TaxTable,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryClock,
    InMemoryInventoryStore,
    InMemoryNotifier,
    SequentialIdFactory,
)

clock = InMemoryClock()
catalog = InMemoryCatalog(
    [
        CatalogItem.simple(
            "BEANS",
            "Espresso beans 1kg",
            money("18.90", "EUR"),
            prices_include_tax=True,
            tax_class="reduced",
            weight=Decimal(1),
        ),
        CatalogItem.simple(
            "CUP",
            "Ceramic cup",
            money("7.49", "EUR"),
            prices_include_tax=True,
            weight=Decimal("0.3"),
        ),
        CatalogItem.simple(
            "EBOOK",
            "Brewing guide (e-book)",
            money("9.00", "EUR"),
            prices_include_tax=True,
            shippable=False,
        ),
    ]
)
# Carts check stock through the real inventory (InventoryService is an AvailabilityQuery).
inventory = InventoryService(InMemoryInventoryStore(), clock)
inventory.define_location("lyon")
for sku, units in (("BEANS", 4), ("CUP", 40)):
    inventory.define_sku(sku)
    inventory.receive(sku, "lyon", units)
inventory.define_sku("EBOOK", backorder=BackorderPolicy.unlimited())  # a download never runs out

carts = InMemoryCartRepository()
service = CartService(
    carts=carts,
    catalog=catalog,
    stock=inventory,
    clock=clock,
    ids=SequentialIdFactory(),
    # recovery-token secrets: seeded for a reproducible demo; omit `random=` in production and
    # the service uses the cryptographic default, secrets.SystemRandom()
    random=random.Random(7),  # noqa: S311
    notifier=InMemoryNotifier(),
    policy=CartPolicy(abandon_after=timedelta(hours=1)),
)

refused: tuple[str, int, int] | None = None
guest = service.open_cart(CartOwner.guest("browser-session"), "EUR")
service.add_item(guest.id, "BEANS", 2)
service.add_item(guest.id, "CUP", 2, metadata={"engraving": "ANA"})
try:
    service.add_item(guest.id, "BEANS", 3)
except StockUnavailableError as error:
    print(f"refused: only {error.available} {error.sku} available, {error.requested} asked")
    refused = (error.sku, error.requested, error.available)
# 2 BEANS in the cart + 3 more = 5 wanted, 4 in stock
assert refused == ("BEANS", 5, 4)

customer = service.open_cart(CartOwner.customer("cust-7"), "EUR")
service.add_item(customer.id, "BEANS", 1)
service.add_item(customer.id, "EBOOK", 1)
cart, merge = service.sign_in(guest.id, "cust-7", MergeStrategy.MERGE)
print(f"merged cart {cart.id}: {[(ln.sku, ln.quantity) for ln in cart.lines]}")
assert [(ln.sku, ln.quantity) for ln in cart.lines] == [("BEANS", 3), ("EBOOK", 1), ("CUP", 2)]

catalog.put(
    CatalogItem.simple(
        "CUP", "Ceramic cup", money("7.99", "EUR"), prices_include_tax=True, weight=Decimal("0.3")
    )
)
changes = service.reprice(cart.id)
for change in changes:
    print(f"price change on {change.sku}: {change.old.amount} -> {change.new.amount}")
assert [(c.sku, c.new) for c in changes] == [("CUP", money("7.99", "EUR"))]

vat = TaxTable(
    [
        TaxRate.percent("VAT", "20", Jurisdiction("FR")),
        TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
    ]
)
shipping = ShippingRateTable(
    [
        ShippingMethod(
            "colissimo",
            "Colissimo",
            FreeAbove(money("100.00", "EUR"), FlatRate(money("6.90", "EUR"))),
            tax_class=None,
            price_includes_tax=True,
        )
    ]
)
context = PricingContext(
    currency="EUR",
    now=clock.now(),
    customer_id="cust-7",
    destination=Destination("FR"),
    shipping_method="colissimo",
)
breakdown = service.price(cart.id, context, tax=vat, shipping=shipping)
print(breakdown.explain())
# goods: 3 x 18.90 + 9.00 + 2 x 7.99 = 81.68 gross; shipping 6.90 (below the 100.00 threshold)
assert breakdown.subtotal.gross == money("81.68", "EUR")
assert breakdown.shipping is not None
assert breakdown.shipping.gross == money("6.90", "EUR")
assert breakdown.grand_total == money("88.58", "EUR")
