"""In-memory adapters for the cross-cutting ports, and the versioned snapshot store.

They are thread-safe and behave like a real database adapter would: what goes in is a copy of
plain data (exactly what a JSON round trip would give), so mutating an aggregate after saving it
never changes the store.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar, cast

from commerce_core.domain.notifications import Notification
from commerce_core.errors import ConcurrencyConflictError, NotFoundError

__all__ = [
    "InMemoryClock",
    "SequentialIdFactory",
    "InMemoryNotifier",
    "VersionedSnapshotStore",
    "ScriptedRandomSource",
]

T = TypeVar("T")

_LEAVES: Final = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """A deep copy of JSON-shaped data, equal to ``json.loads(json.dumps(value))``.

    The fast path copies exact ``dict`` (with ``str`` keys), ``list`` and ``tuple`` containers and
    keeps exact ``str``/``int``/``float``/``bool``/``None`` leaves; any other value (a StrEnum, a
    non-string key, a dict subclass) goes through the JSON round trip itself, so the result and
    the errors (``TypeError`` for what JSON cannot hold) are those of JSON.
    """
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str:
                return json.loads(json.dumps(value))
        return {k: v if type(v) in _LEAVES else _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else _plain(v) for v in value]
    if kind in _LEAVES:
        return value
    return json.loads(json.dumps(value))


def _is_plain(data: dict[str, Any]) -> bool:
    """Whether ``data`` is already what :func:`_plain` would make of it (nothing to convert).

    True when every container is an exact ``dict`` with ``str`` keys or an exact ``list`` and
    every leaf an exact ``str``/``int``/``float``/``bool``/``None``; it only looks, it copies
    nothing.
    """
    for key, value in data.items():
        if type(key) is not str:
            return False
        kind = type(value)
        if kind in _LEAVES:  # the common case first
            continue
        if kind is dict:
            if value and not _is_plain(value):  # empty ones are common: no call for them
                return False
        elif kind is list:
            if value and not _is_plain_list(value):
                return False
        else:
            return False
    return True


def _is_plain_list(items: list[Any]) -> bool:
    """:func:`_is_plain` for a list."""
    for value in items:
        kind = type(value)
        if kind in _LEAVES:
            continue
        if kind is dict:
            if value and not _is_plain(value):  # empty ones are common: no call for them
                return False
        elif kind is list:
            if value and not _is_plain_list(value):
                return False
        else:
            return False
    return True


def _copy(value: Any) -> Any:
    """A deep copy of data :func:`_plain` produced (only dicts, lists and immutable leaves)."""
    if type(value) is dict:
        return {k: v if type(v) in _LEAVES else _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [v if type(v) in _LEAVES else _copy(v) for v in value]
    return value


class InMemoryClock:
    """A controllable clock for tests, examples and simulations (timezone-aware UTC).

    Args:
        start: the initial instant; defaults to 2026-01-01T00:00:00Z.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            msg = "InMemoryClock needs a timezone-aware start"
            raise ValueError(msg)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current instant.

        Read without the lock (it is called many times per use case): ``_now`` always holds a
        complete, immutable ``datetime`` and rebinding it is one atomic reference store, so a
        reader sees either the instant before or the one after a concurrent :meth:`set` or
        :meth:`advance`, never a torn value. Writers still serialise on the lock, so every
        stored instant is at least the one before it and a reader never sees time go back.
        """
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (timezone-aware; it may not go backwards)."""
        if instant.tzinfo is None:
            msg = "InMemoryClock needs timezone-aware instants"
            raise ValueError(msg)
        with self._lock:
            if instant < self._now:
                msg = "a clock never goes backwards"
                raise ValueError(msg)
            self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; returns the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            msg = "a clock never goes backwards"
            raise ValueError(msg)
        with self._lock:
            self._now += step
            return self._now


class SequentialIdFactory:
    """Deterministic ids for tests and demos: ``prefix_000001``, ``prefix_000002``...

    Counters are per prefix; thread-safe.
    """

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        """The next id for ``prefix``."""
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            return f"{prefix}_{next(counter):06d}"


class InMemoryNotifier:
    """Records every notification it is sent; can be told to fail, to test retries.

    Delivery is idempotent by ``Notification.key``: a key already delivered is not recorded twice.
    """

    def __init__(self) -> None:
        # What was delivered, in order, as four columns (event type, template key, data, key),
        # one entry per notification in each, as the order outbox keeps its messages: no object
        # per notification is kept, so nothing is left behind here for the garbage collector to
        # count or walk; :attr:`sent` builds the notifications when it is read. A notification
        # that ``Notification._frozen`` could not rebuild equal (a subclass, a ``data`` that is
        # not a read-only view) is kept itself too, in ``_kept`` by its position.
        self._event_types: list[str] = []
        self._template_keys: list[str] = []
        self._data: list[Mapping[str, Any]] = []
        self._sent_keys: list[str] = []
        self._kept: dict[int, Notification] = {}
        self._keys: set[str] = set()
        self._failures_left = 0
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        """Record ``notification`` (or raise ``ConnectionError`` while failures are scheduled)."""
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
            data = notification.data
            if type(notification) is not Notification or type(data) is not MappingProxyType:
                self._kept[len(self._event_types)] = notification
            self._event_types.append(notification.event_type)
            self._template_keys.append(notification.template_key)
            self._data.append(data)
            self._sent_keys.append(key)

    def fail_next(self, times: int = 1) -> None:
        """Make the next ``times`` calls raise ``ConnectionError``."""
        with self._lock:
            self._failures_left = times

    @property
    def sent(self) -> tuple[Notification, ...]:
        """Everything delivered so far, in order."""
        with self._lock:
            kept = self._kept
            columns = zip(
                self._event_types, self._template_keys, self._data, self._sent_keys, strict=True
            )
            sent: list[Notification] = []
            for position, (event_type, template_key, data, key) in enumerate(columns):
                if position in kept:
                    sent.append(kept[position])
                else:  # ``send`` checked it: a read-only view no one else can change
                    view = cast("MappingProxyType[str, Any]", data)
                    sent.append(Notification._frozen(event_type, template_key, view, key))
            return tuple(sent)

    def clear(self) -> None:
        """Forget what was delivered."""
        with self._lock:
            self._event_types.clear()
            self._template_keys.clear()
            self._data.clear()
            self._sent_keys.clear()
            self._kept.clear()
            self._keys.clear()


class VersionedSnapshotStore(Generic[T]):
    """Thread-safe storage of aggregate snapshots guarded by an optimistic version check.

    The building block of the in-memory repositories: aggregates are stored as plain-data
    snapshots (deep copies equal to a JSON round trip, as a database would hold) with a version
    number; every ``get`` rebuilds the aggregate from its own copy of the snapshot (or, with
    ``readonly_rebuilds``, from the stored snapshot itself). ``save`` succeeds only when the
    caller's ``expected_version`` is the stored one (0 for a new aggregate) and returns the new
    version; otherwise it raises :class:`ConcurrencyConflictError` and changes nothing. A stored
    snapshot is never changed in place: a save stores a new tree.

    Args:
        kind: the aggregate name used in errors (``"cart"``).
        to_snapshot: turns an aggregate into JSON-compatible primitives.
        from_snapshot: rebuilds an aggregate from a snapshot and its version.
        fresh_snapshots: a promise that ``to_snapshot`` builds a new tree on every call: no
            dict or list in it is held by the aggregate, by an earlier snapshot or by anyone
            else (``tests/contracts/test_snapshot_freshness.py`` checks the aggregates that
            promise it). The store then keeps that tree when it is already plain JSON data
            (checked, not copied) instead of copying it; reads still copy it unless
            ``readonly_rebuilds`` is promised too. Any other tree (a StrEnum, a tuple, a
            non-string key) is converted as without the promise. Default False: the store
            copies what ``to_snapshot`` returns.
        plain_snapshots: a promise, on top of ``fresh_snapshots``, that ``to_snapshot`` builds
            only plain JSON data: exact ``dict`` containers with ``str`` keys, exact ``list``
            containers and exact ``str``/``int``/``float``/``bool``/``None`` leaves (no StrEnum,
            tuple or Decimal). The store then keeps the tree without looking at it
            (``tests/contracts/test_snapshot_freshness.py`` checks the aggregates that promise
            it, in every state a checkout leaves them in). Text a caller hands the aggregate
            is kept as given: a ``str`` subclass (a StrEnum member) stays one, and equals the
            text a JSON round trip would give. Requires ``fresh_snapshots``.
        readonly_rebuilds: a promise that ``from_snapshot`` only reads the snapshot it is
            given: it changes no dict or list in it, and the aggregate it returns holds none of
            them (it builds its own containers and keeps only the immutable leaves: strings,
            numbers, booleans, None), so no later change of the aggregate can reach the
            snapshot (``tests/contracts/test_snapshot_freshness.py`` checks the aggregates that
            promise it). ``get`` and ``all`` then hand the stored snapshot itself to
            ``from_snapshot`` instead of a copy. Default False: every read rebuilds the
            aggregate from its own deep copy of the stored snapshot.
    """

    def __init__(
        self,
        kind: str,
        to_snapshot: Callable[[T], Mapping[str, Any]],
        from_snapshot: Callable[[Mapping[str, Any], int], T],
        *,
        fresh_snapshots: bool = False,
        plain_snapshots: bool = False,
        readonly_rebuilds: bool = False,
    ) -> None:
        if plain_snapshots and not fresh_snapshots:
            msg = "plain_snapshots is a promise on top of fresh_snapshots"
            raise ValueError(msg)
        self.kind = kind
        self._to_snapshot = to_snapshot
        self._from_snapshot = from_snapshot
        self._fresh = fresh_snapshots
        self._trusted = plain_snapshots
        self._readonly = readonly_rebuilds
        self._versions: dict[str, int] = {}
        self._snapshots: dict[str, Any] = {}
        """The stored snapshot of each key (``_versions`` holds its version: no pair is kept
        per aggregate; both dicts change together under the lock, so they list the same keys in
        the same order)."""
        self.lock = threading.RLock()

    def get(self, key: str) -> T:
        """Rebuild the aggregate stored under ``key``.

        Raises:
            NotFoundError: nothing is stored under ``key``.
        """
        with self.lock:
            version = self._versions.get(key)
            if version is None:
                raise NotFoundError(self.kind, key)
            data = self._snapshots[key]
        return self._from_snapshot(data if self._readonly else _copy(data), version)

    def version_of(self, key: str) -> int:
        """The stored version of ``key`` (0 when absent)."""
        with self.lock:
            return self._versions.get(key, 0)

    def save(self, key: str, aggregate: T, expected_version: int) -> int:
        """Store ``aggregate`` if the stored version is ``expected_version``; return the new one.

        Raises:
            ConcurrencyConflictError: the stored version differs from ``expected_version``.
        """
        data = self._to_snapshot(aggregate)
        if not self._trusted and not (self._fresh and type(data) is dict and _is_plain(data)):
            data = _plain(data)
        with self.lock:
            current = self._versions.get(key, 0)
            if current != expected_version:
                raise ConcurrencyConflictError(self.kind, key, expected_version, current)
            self._versions[key] = current + 1
            self._snapshots[key] = data
            return current + 1

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        with self.lock:
            self._versions.pop(key, None)
            self._snapshots.pop(key, None)

    def all(self) -> list[T]:
        """Every stored aggregate, rebuilt (a consistent copy taken under the lock)."""
        with self.lock:
            rows = list(zip(self._versions.values(), self._snapshots.values(), strict=True))
        if self._readonly:
            return [self._from_snapshot(data, version) for version, data in rows]
        return [self._from_snapshot(_copy(data), version) for version, data in rows]

    def __len__(self) -> int:
        with self.lock:
            return len(self._versions)


class ScriptedRandomSource:
    """A :class:`~commerce_core.ports.random.RandomSource` that replays given floats, in a cycle.

    For tests that must know the exact random draws (retry jitter). ``randrange`` maps the next
    float onto the range. For reproducible but arbitrary draws, ``random.Random(seed)`` is enough.
    """

    def __init__(self, values: Iterable[float]) -> None:
        self._values = tuple(values)
        if not self._values or not all(0 <= v < 1 for v in self._values):
            msg = "ScriptedRandomSource needs at least one value in [0, 1)"
            raise ValueError(msg)
        self._next = itertools.cycle(self._values)
        self._lock = threading.Lock()

    def random(self) -> float:
        """The next scripted float."""
        with self._lock:
            return next(self._next)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """The next scripted float mapped onto ``range(start, stop, step)``."""
        choices = range(start) if stop is None else range(start, stop, step)
        if not choices:
            msg = "empty range"
            raise ValueError(msg)
        return choices[int(self.random() * len(choices))]
