"""The order fast paths of the sixth checkout round give what the general paths give.

* The in-memory notifier keeps what it delivered as columns (no object per notification) and
  builds the notifications when :attr:`InMemoryNotifier.sent` is read: sends, duplicate keys,
  scheduled failures, clears and reads give what the list of the notifications themselves gave,
  subclasses and notifications built by ``Notification._frozen`` included.
* The in-memory outbox keeps its messages as columns (no object per message, claimed or not):
  ``test_the_outbox_claims_marks_and_releases_as_one_row_per_message_did`` in
  ``test_orders_round5_fast_paths.py`` runs it against one mutable row per message; the test
  below checks that a claim hands out the stored read-only payload itself.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory import InMemoryNotifier, InMemoryOrderRepository
from commerce_core.domain.notifications import Notification

_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class _ReferenceNotifier:
    """The in-memory notifier as it was before: the list of the notifications delivered."""

    def __init__(self) -> None:
        self._sent: list[Notification] = []
        self._keys: set[str] = set()
        self._failures_left = 0
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            if self._failures_left:
                self._failures_left -= 1
                msg = "notifier unavailable (simulated)"
                raise ConnectionError(msg)
            key = notification.key
            if key:
                if key in self._keys:
                    return
                self._keys.add(key)
            self._sent.append(notification)

    def fail_next(self, times: int = 1) -> None:
        with self._lock:
            self._failures_left = times

    @property
    def sent(self) -> tuple[Notification, ...]:
        with self._lock:
            return tuple(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()
            self._keys.clear()


@attrs.frozen
class _Webhook(Notification):
    """A host's own kind of notification (kept as it is, not rebuilt)."""

    url: str = "https://example.com/hook"


_data = st.dictionaries(
    st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=3)), max_size=3
)
_notifications = st.builds(
    lambda kind, event_type, template, data, key: (
        Notification(event_type, template, data, key)
        if kind == "built"
        else Notification._frozen(event_type, template, MappingProxyType(dict(data)), key)
        if kind == "frozen"
        else _Webhook(event_type, template, data, key)
    ),
    st.sampled_from(["built", "frozen", "webhook"]),
    st.sampled_from(["OrderPlaced", "OrderPaid"]),
    st.sampled_from(["order.order_placed", "order.order_paid"]),
    _data,
    st.sampled_from(["", "k1", "k2", "k3"]),
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("send"), _notifications),
        st.tuples(st.just("fail"), st.integers(0, 2)),
        st.tuples(st.just("clear")),
    ),
    max_size=25,
)


def _outcome(notifier: Any, notification: Notification) -> str:
    try:
        notifier.send(notification)
    except ConnectionError as error:
        return repr(error)
    return "sent"


@settings(max_examples=300, deadline=None)
@given(_operations)
def test_the_notifier_delivers_and_reads_back_what_the_list_of_notifications_did(
    operations: list[Any],
) -> None:
    notifier, reference = InMemoryNotifier(), _ReferenceNotifier()
    for operation in operations:
        if operation[0] == "send":
            assert _outcome(notifier, operation[1]) == _outcome(reference, operation[1])
        elif operation[0] == "fail":
            notifier.fail_next(operation[1])
            reference.fail_next(operation[1])
        else:
            notifier.clear()
            reference.clear()
        sent, expected = notifier.sent, reference.sent
        assert sent == expected
        assert [type(n) for n in sent] == [type(n) for n in expected]
        assert [type(n.data) for n in sent] == [type(n.data) for n in expected]
        # a host's own kind of notification is the very object it sent
        assert all(a is b for a, b in zip(sent, expected, strict=True) if type(b) is _Webhook)


def test_a_claim_hands_out_the_stored_read_only_payload_itself() -> None:
    outbox = InMemoryOrderRepository().outbox
    payload = MappingProxyType({"order_id": "order_1", "event_type": "OrderPlaced"})
    outbox._append("order_1:1:0", "order_1", "OrderPlaced", payload)
    (claimed,) = outbox.claim(now=_NOW)
    assert claimed.payload is payload
    assert claimed.attempts == 1
    assert outbox.all() == (claimed,)
    assert outbox.all()[0].payload is payload
    outbox.release(claimed.message_id, error="down")
    (again,) = outbox.claim(now=_NOW)
    assert (again.attempts, again.last_error, again.payload) == (2, "down", payload)
