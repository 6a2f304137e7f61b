"""The in-memory checkout log passes the CheckoutLog contract suite."""

from __future__ import annotations

from commerce_core.adapters.memory import InMemoryCheckoutLog
from commerce_core.ports.checkout import CheckoutLog
from commerce_core.testing.contracts import CheckoutLogContract


class TestInMemoryCheckoutLog(CheckoutLogContract):
    def make_log(self) -> CheckoutLog:
        return InMemoryCheckoutLog()
