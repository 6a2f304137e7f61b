"""Contract suite for the :class:`~commerce_core.ports.clock.Clock` port."""

from __future__ import annotations

from datetime import UTC, timedelta

from commerce_core.ports.clock import Clock

__all__ = ["ClockContract"]


class ClockContract:
    """What every Clock adapter must do. Override :meth:`make_clock`."""

    def make_clock(self) -> Clock:
        """Return a fresh clock under test."""
        raise NotImplementedError

    def test_now_is_timezone_aware_utc(self) -> None:
        now = self.make_clock().now()
        assert now.tzinfo is not None
        assert now.utcoffset() == timedelta(0)
        assert now.astimezone(UTC) == now

    def test_time_never_goes_backwards(self) -> None:
        clock = self.make_clock()
        readings = [clock.now() for _ in range(50)]
        assert readings == sorted(readings)
