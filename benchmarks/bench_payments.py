"""Payments: authorize + capture through PaymentService on the simulated gateway.

The baseline does the same bookkeeping in plain Python: a sha256 idempotency key and fingerprint
per call, a dict as idempotency store and gateway, a hash-chained list as audit log, and a payment
dict saved as a JSON snapshot with a version check.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from benchmarks.harness import Row, median_seconds

TITLE = "Payments (issue 7): authorize + capture"

N = 500


def _service_run() -> None:
    from commerce_core import PaymentMethod, PaymentService, money
    from commerce_core.adapters.memory import (
        InMemoryClock,
        InMemoryIdempotencyStore,
        InMemoryPaymentRepository,
        InMemoryTransactionLog,
        SequentialIdFactory,
        SimulatedPaymentGateway,
    )

    clock = InMemoryClock()
    service = PaymentService(
        gateway=SimulatedPaymentGateway(),
        payments=InMemoryPaymentRepository(),
        idempotency=InMemoryIdempotencyStore(clock),
        log=InMemoryTransactionLog(),
        clock=clock,
        ids=SequentialIdFactory(),
        sleeper=lambda _: None,
    )
    method = PaymentMethod("tok_visa")
    amount = money("42.50", "EUR")
    for n in range(N):
        result = service.pay(f"ord_{n}", amount, method)
        service.capture(result.payment_id)


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _baseline_run() -> None:
    rows: dict[str, tuple[int, str]] = {}
    keys: dict[str, tuple[str, dict[str, Any]]] = {}
    gateway_keys: dict[str, dict[str, Any]] = {}
    auths: dict[str, dict[str, Decimal]] = {}
    log: list[tuple[str, dict[str, Any]]] = []
    amount = Decimal("42.50")

    def call(op: str, pid: str, payload: dict[str, Any]) -> dict[str, Any]:
        key = op + "-" + _digest({"p": pid, "op": op, **payload})[:32]
        fingerprint = _digest(payload)
        if key in keys:
            return keys[key][1]
        result = gateway_keys.get(key)
        if result is None:
            if op == "authorize":
                ref = f"auth_{len(auths)}"
                auths[ref] = {"amount": amount, "captured": Decimal(0)}
                result = {"outcome": "approved", "reference": ref, "amount": str(amount)}
            else:
                auths[payload["ref"]]["captured"] += amount
                result = {"outcome": "approved", "reference": payload["ref"]}
            gateway_keys[key] = result
        prev = log[-1][0] if log else "0" * 64
        record = {"key": key, "op": op, "pid": pid, **result}
        log.append(
            (
                hashlib.sha256((prev + json.dumps(record, sort_keys=True)).encode()).hexdigest(),
                record,
            )
        )
        keys[key] = (fingerprint, result)
        return result

    def save(pid: str, payment: dict[str, Any], expected: int) -> None:
        current = rows.get(pid, (0, ""))[0]
        if current != expected:
            raise RuntimeError
        rows[pid] = (current + 1, json.dumps(payment, sort_keys=True))

    for n in range(N):
        pid = f"pay_{n}"
        payment = {"id": pid, "order": f"ord_{n}", "amount": str(amount), "status": "created"}
        save(pid, payment, 0)
        auth = call("authorize", pid, {"amount": str(amount), "token": "tok_visa"})
        payment = json.loads(rows[pid][1]) | {"status": "authorized", "ref": auth["reference"]}
        save(pid, payment, 1)
        call("capture", pid, {"amount": str(amount), "ref": auth["reference"]})
        payment = json.loads(rows[pid][1]) | {"status": "captured", "captured": str(amount)}
        save(pid, payment, 2)


def run() -> list[Row]:
    subject = median_seconds(_service_run, repeat=5)
    baseline = median_seconds(_baseline_run, repeat=5)
    per_second = N / subject
    return [
        Row(
            f"authorize+capture x{N} via PaymentService",
            subject,
            baseline,
            f"{per_second:,.0f} payments/s (baseline {N / baseline:,.0f}/s)",
        ),
    ]
