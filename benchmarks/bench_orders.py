"""Orders: place + pay + ship + deliver, on the aggregate and through the service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import Row, median_seconds
from commerce_core.money import money

TITLE = "Orders (issue 6)"
N = 200
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _baseline() -> None:
    # The same bookkeeping on plain dicts: totals, payment, one shipment, delivery, history.
    for i in range(N):
        lines: dict[str, dict[str, Any]] = {
            "l1": {"qty": 3, "gross": money("36.00", "EUR")},
            "l2": {"qty": 1, "gross": money("24.00", "EUR")},
        }
        order: dict[str, Any] = {"id": f"o{i}", "status": "placed", "lines": lines, "history": []}
        total = money("6.00", "EUR")
        for li in lines.values():
            total += li["gross"]
        order["captured"] = total
        order["history"].append(("placed", "paid", NOW))
        order["status"] = "paid"
        order["shipped"] = {lid: li["qty"] for lid, li in lines.items()}
        order["history"].append(("paid", "shipped", NOW))
        order["delivered"] = NOW
        order["history"].append(("shipped", "delivered", NOW))


def _aggregate() -> None:
    from commerce_core.domain.orders import PaymentKind
    from commerce_core.testing.contracts import make_sample_order

    for i in range(N):
        order = make_sample_order(f"o{i}", f"SO-{i}")
        order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="c", now=NOW)
        order.ship(shipment_id="s", lines={"l1": 3, "l2": 1}, location="wh", now=NOW, actor="x")
        order.mark_delivered("s", now=NOW, actor="x")
        order.collect_events()


def _service() -> None:
    from commerce_core.adapters.memory import (
        InMemoryClock,
        InMemoryNotifier,
        InMemoryOrderNumbers,
        InMemoryOrderPayments,
        InMemoryOrderRepository,
        InMemoryOrderStock,
        SequentialIdFactory,
    )
    from commerce_core.domain.orders import PaymentKind
    from commerce_core.services.orders import OrderService, OutboxDispatcher
    from commerce_core.testing.contracts import make_sample_order

    repo, clock = InMemoryOrderRepository(), InMemoryClock()
    service = OrderService(
        repository=repo,
        numbers=InMemoryOrderNumbers(),
        stock=InMemoryOrderStock(),
        payments=InMemoryOrderPayments(),
        clock=clock,
        ids=SequentialIdFactory(),
        dispatcher=OutboxDispatcher(repo.outbox, InMemoryNotifier(), clock),
    )
    for i in range(N):
        repo.save(make_sample_order(f"o{i}", f"SO-{i}"))
        service.record_payment(f"o{i}", PaymentKind.CAPTURED, money("66.00", "EUR"), reference="c")
        shipped = service.ship(f"o{i}", {"l1": 3, "l2": 1}, location="wh", actor="x")
        service.mark_delivered(f"o{i}", shipped.shipments[0].shipment_id, actor="x")


def run() -> list[Row]:
    base = median_seconds(_baseline, repeat=5)
    agg = median_seconds(_aggregate, repeat=5)
    svc = median_seconds(_service, repeat=3)
    work = f"{N} orders"
    return [
        Row("aggregate: place+pay+ship+deliver", agg, base, work, f"{N / agg:,.0f} orders/s"),
        Row("service (repo+outbox+notify): same", svc, base, work, f"{N / svc:,.0f} orders/s"),
    ]
