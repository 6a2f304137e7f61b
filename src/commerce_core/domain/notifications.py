"""Notifications: typed messages a host turns into e-mail, SMS or webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["Notification"]


def _freeze(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


@attrs.frozen
class Notification:
    """A message for the host to deliver.

    Attributes:
        event_type: what happened (``"LowStock"``, ``"OrderPlaced"``...).
        template_key: which template the host should render (``"inventory.low_stock"``).
        data: the primitives the template needs (read-only).
        key: a stable identity for deduplication (e.g. the event id); a notifier may use it to
            avoid sending the same notification twice.
    """

    event_type: str
    template_key: str
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    key: str = ""

    @classmethod
    def _frozen(
        cls, event_type: str, template_key: str, data: MappingProxyType[str, Any], key: str
    ) -> Notification:
        """Internal: a notification of a read-only mapping no one can change (kept, not copied).

        For the payload of an outbox message, which its converter already copied into a
        mapping only that read-only view reaches. Equal to ``Notification(...)`` of the same
        values.
        """
        notification = object.__new__(cls)
        setter = object.__setattr__
        setter(notification, "event_type", event_type)
        setter(notification, "template_key", template_key)
        setter(notification, "data", data)
        setter(notification, "key", key)
        return notification
