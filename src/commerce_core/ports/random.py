"""The randomness port: the only way commerce_core gets random numbers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["RandomSource"]


@runtime_checkable
class RandomSource(Protocol):
    """Random numbers, injected so that every behaviour can replay deterministically.

    The standard library already provides both adapters:

    * ``secrets.SystemRandom()`` — cryptographic: use it in production, where values must be
      unguessable (coupon codes);
    * ``random.Random(seed)`` — reproducible: tests, demos, simulations (retry jitter is fine
      with either).

    Both methods are safe to call from several threads.
    """

    def random(self) -> float:
        """A float uniformly drawn from ``[0, 1)``."""
        ...

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """An int uniformly drawn from ``range(start, stop, step)`` (``range(start)`` alone)."""
        ...
