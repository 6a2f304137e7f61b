"""The Notifier port: how commerce_core hands messages to the host's e-mail/SMS/webhook service."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commerce_core.domain.notifications import Notification

__all__ = ["Notifier"]


@runtime_checkable
class Notifier(Protocol):
    """Delivers typed notifications.

    ``send`` either delivers (or durably queues) the notification and returns, or raises; a raised
    exception means "not delivered", and the caller may retry later. Idempotency: a notifier may
    receive the same ``Notification.key`` again after a retry and should deliver it at most once.
    """

    def send(self, notification: Notification) -> None:
        """Deliver one notification or raise."""
        ...
