from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

from commerce_core.adapters.memory import (
    InMemoryNotifier,
    ScriptedRandomSource,
    SequentialIdFactory,
)
from commerce_core.adapters.system import RandomIdFactory
from commerce_core.domain.notifications import Notification
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.notifier import Notifier
from commerce_core.ports.random import RandomSource
from commerce_core.testing.contracts import (
    IdFactoryContract,
    NotifierContract,
    RandomSourceContract,
)


class TestSequentialIdFactory(IdFactoryContract):
    def make_factory(self) -> IdFactory:
        return SequentialIdFactory()


class TestRandomIdFactory(IdFactoryContract):
    def make_factory(self) -> IdFactory:
        return RandomIdFactory()


class TestSystemRandom(RandomSourceContract):
    def make_source(self) -> RandomSource:
        return secrets.SystemRandom()


class TestSeededRandom(RandomSourceContract):
    def make_source(self) -> RandomSource:
        return random.Random(0)


class TestScriptedRandomSource(RandomSourceContract):
    def make_source(self) -> RandomSource:
        return ScriptedRandomSource([0.0, 0.25, 0.5, 0.999999])


class TestInMemoryNotifier(NotifierContract):
    def make_notifier(self) -> Notifier:
        return InMemoryNotifier()

    def delivered(self, notifier: Notifier) -> Sequence[Notification]:
        assert isinstance(notifier, InMemoryNotifier)
        return notifier.sent

    def fail_next(self, notifier: Notifier, times: int) -> None:
        assert isinstance(notifier, InMemoryNotifier)
        notifier.fail_next(times)
