"""Domain events and the small mixin aggregates use to record them.

An aggregate method that changes state records a past-tense event (``StockReserved``,
``OrderPlaced``); the service that saved the aggregate drains them with ``collect_events()`` and
hands them on (outbox, notifier, analytics sink).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Final

import attrs

from commerce_core.money import Money

__all__ = ["DomainEvent", "EventRecorder"]


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base class of every domain event: something that happened, at a time.

    Subclasses are frozen attrs classes named in the past tense. ``event_type`` is a stable,
    serialisable name (defaults to the class name) that hosts can route on.
    """

    occurred_at: datetime

    event_type: ClassVar[str] = "DomainEvent"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__

    def to_dict(self) -> dict[str, Any]:
        """The event as primitives (ISO strings for times), with its ``event_type``."""
        data = self._plain_dict()
        return data if data is not None else self._to_dict_generic()

    def _plain_dict(
        self, time_text: Callable[[datetime], str] | None = None
    ) -> dict[str, Any] | None:
        """Internal: :meth:`to_dict` of the usual field values, or None for any other value.

        The field values events hold almost always (exact strings, numbers, times, amounts)
        give the same dict ``attrs.asdict(self, value_serializer=_serialize)`` makes, without
        its per-field machinery; that dict is then a new tree of exact JSON data (text
        ``event_type`` included). Any other value (a tuple, a StrEnum, a nested class) gives
        None: :meth:`to_dict` takes the ``attrs.asdict`` path for it.

        ``time_text``: what gives a time's ``isoformat()`` text (one that remembers the text
        of a time written several times in a row); by default ``isoformat()`` itself.
        """
        data: dict[str, Any] = {}
        for name in _field_names(type(self)):
            value = getattr(self, name)
            kind = type(value)
            if kind in _LEAVES:
                data[name] = value
            elif kind is datetime:
                data[name] = value.isoformat() if time_text is None else time_text(value)
            elif kind is Money:
                data[name] = {"amount": str(value.amount), "currency": str(value.currency.code)}
            else:
                return None
        event_type = self.event_type
        if type(event_type) is not str:
            return None
        data["event_type"] = event_type
        return data

    def _to_dict_generic(self) -> dict[str, Any]:
        """:meth:`to_dict` for any field value (tuples, sets, nested attrs classes...)."""
        data = attrs.asdict(self, value_serializer=_serialize)
        data["event_type"] = self.event_type
        return data


_LEAVES: Final = frozenset({str, int, float, bool, type(None)})
"""Values ``_serialize`` and ``attrs.asdict`` keep as they are."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def iso_memo(memo: tuple[datetime, str] | None, moment: datetime) -> tuple[datetime, str]:
    """Internal: ``(moment, moment.isoformat())``, or ``memo`` when it was made of this very object.

    Aggregates keep the pair for a time they write in snapshot after snapshot (formatting an
    aware time costs more than the rest of such an entry). Identity, not equality: an equal
    time in another zone has another text. The text is an immutable leaf snapshots may share.
    """
    if memo is not None and memo[0] is moment:
        return memo
    return (moment, moment.isoformat())


def _field_names(cls: type) -> tuple[str, ...]:
    """The attrs field names of an event class, looked up once per class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    return names


def _serialize(_inst: object, _field: object, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "currency") and hasattr(value, "amount"):
        return {"amount": str(value.amount), "currency": str(value.currency.code)}
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


class EventRecorder:
    """Mixin for aggregates: a private list of pending events and ``collect_events()``.

    Aggregates using it must define a ``_events: list[DomainEvent]`` attribute (an attrs field
    with ``factory=list, init=False``).
    """

    __slots__ = ()

    _events: list[DomainEvent]

    def _record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def collect_events(self) -> tuple[DomainEvent, ...]:
        """Return the pending events in the order they happened and forget them."""
        events = tuple(self._events)
        self._events.clear()
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The events recorded since the last ``collect_events()``, without draining them."""
        return tuple(self._events)
