"""Strategies for analytics: realistic journey event streams and single events.

They draw a seed and a size and run the deterministic generator of
:mod:`commerce_core.testing.analytics`, so every example is a plausible shop history (sessions,
carts, orders with promotions, refunds...) and shrinks towards short streams.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import strategies as st

from commerce_core.domain.analytics.events import JourneyEvent
from commerce_core.testing.analytics import generate_events

__all__ = ["journey_streams", "journey_events"]


def journey_streams(
    *, max_sessions: int = 40, currency: str = "EUR", customers: int = 25
) -> st.SearchStrategy[list[JourneyEvent]]:
    """Lists of journey events from up to ``max_sessions`` generated visits."""

    def build(seed: int, sessions: int, day: int) -> list[JourneyEvent]:
        return list(
            generate_events(
                random.Random(seed),  # noqa: S311 - test data, not secrets
                sessions=sessions,
                start=datetime(2026, 1, 1, tzinfo=UTC).replace(day=day),
                currency=currency,
                customers=customers,
                products=8,
                mean_gap_seconds=20_000.0,
            )
        )

    return st.builds(
        build,
        st.integers(0, 2**32 - 1),
        st.integers(0, max_sessions),
        st.integers(1, 28),
    )


def journey_events() -> st.SearchStrategy[JourneyEvent]:
    """Single journey events of every type."""
    return journey_streams(max_sessions=3).filter(bool).flatmap(st.sampled_from)
