"""Inventory: two warehouses, racing checkouts, a cart that changes, expiry and alerts."""

from __future__ import annotations

import threading
from datetime import timedelta

from commerce_core import BackorderPolicy, InventoryService, OwnerKind
from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore, InMemoryNotifier

clock = InMemoryClock()
notifier = InMemoryNotifier()
inventory = InventoryService(InMemoryInventoryStore(), clock, notifier)
inventory.define_location("berlin", priority=1)
inventory.define_location("paris", priority=2)
inventory.define_sku("tee")
inventory.define_sku("vinyl", backorder=BackorderPolicy.up_to(5, preorder=True))
inventory.configure_item("tee", "berlin", low_stock_threshold=2)
inventory.receive("tee", "berlin", 4, reference="PO-1")
inventory.receive("tee", "paris", 2, reference="PO-2")

# 1. Twenty checkouts race for 6 tees: exactly 6 win, nothing is oversold.
winners: list[str] = []
lock = threading.Lock()


def checkout(n: int) -> None:
    if inventory.reserve(f"cart-{n}", [("tee", 1)]).ok:
        with lock:
            winners.append(f"cart-{n}")


threads = [threading.Thread(target=checkout, args=(n,)) for n in range(20)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert len(winners) == 4 + 2
assert inventory.availability("tee", 1).available == 0
print(f"{len(winners)} of 20 racing checkouts reserved a tee; available now 0")

# 2. Abandoned carts expire and free their stock.
clock.advance(minutes=16)
expired = inventory.expire_due()
assert len(expired) == len(winners)
print(f"{len(expired)} guest reservations expired after 15 minutes")

# 3. A signed-in customer's cart changes: replace swaps the lines atomically.
inventory.reserve("cart-vip", [("tee", 1)], owner=OwnerKind.CUSTOMER)
changed = inventory.replace("cart-vip", [("tee", 2), ("vinyl", 3)], owner=OwnerKind.CUSTOMER)
reservation = changed.unwrap()
assert reservation.line("vinyl").backordered == 3  # a preorder, within its limit of 5

# 4. The order commits it and gets the allocation to build shipments from.
order = inventory.commit("cart-vip", reference="ORDER-1")
for line in order.lines:
    where = ", ".join(f"{a.quantity} from {a.location}" for a in line.allocations) or "-"
    print(f"{line.sku}: {line.quantity} ({where}; backordered {line.backordered})")
assert inventory.stock_level("tee", "berlin").on_hand == 4 - 2

# 5. Alerts fired once per crossing, not on every operation.
print("alerts:", [(n.event_type, n.data["location"]) for n in notifier.sent])
assert inventory.reconcile().clean
assert clock.now() - order.created_at < timedelta(minutes=1)
