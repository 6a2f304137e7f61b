"""The in-memory payment repository lists every payment of an order, oldest first.

Whatever the ids are: ``str``, a ``str`` subclass, or another hashable value a host's id factory
gives (an ``int``), and a second payment of an order is stored and listed (a save that stores the
payment also indexes it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from commerce_core.adapters.memory.payments import InMemoryPaymentRepository
from commerce_core.domain.payment import Payment
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.errors import NotFoundError
from commerce_core.money import from_minor


class _Id(str):
    """A payment id of a ``str`` subclass: still one id, not a sequence of characters."""

    __slots__ = ()


def _as_int(text: str) -> str:
    """An ``int`` id (a host's numeric ids), typed as the ``str`` the domain declares."""
    return cast("str", int(text[1:]))


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


@given(
    saves=st.lists(
        st.tuples(st.sampled_from(["o1", "o2", "o3"]), st.sampled_from(["p1", "p2", "p3", "p4"])),
        max_size=12,
    ),
    id_type=st.sampled_from([str, _Id, _as_int]),
)
def test_for_order_lists_the_payments_of_an_order_oldest_first(
    saves: list[tuple[str, str]], id_type: Any
) -> None:
    repository = InMemoryPaymentRepository()
    expected: dict[str, list[str]] = {}
    orders: dict[str, str] = {}
    for first_order, name in saves:
        order_id = orders.setdefault(name, first_order)  # a payment pays one order
        pid: str = id_type(name)
        try:
            payment = repository.get(pid)
        except NotFoundError:
            payment = Payment.create(
                pid, order_id, from_minor(100, "EUR"), PaymentMethod("tok_visa"), now=_NOW
            )
        repository.save(payment)
        ids = expected.setdefault(order_id, [])
        if pid not in ids:
            ids.append(pid)
    for order_id in ("o1", "o2", "o3", "none"):
        listed = repository.for_order(order_id)
        assert [p.id for p in listed] == expected.get(order_id, [])
        assert all(p.order_id == order_id for p in listed)


def test_a_second_payment_of_an_order_with_int_ids_is_stored_and_listed() -> None:
    repository = InMemoryPaymentRepository()
    first, second = cast("str", 1001), cast("str", 1002)
    for pid in (first, second):
        repository.save(
            Payment.create(
                pid, "ord_1", from_minor(500, "EUR"), PaymentMethod("tok_visa"), now=_NOW
            )
        )
    assert [p.id for p in repository.for_order("ord_1")] == [first, second]
    assert repository.get(second).version == 1
