from __future__ import annotations

import pytest

from commerce_core import ConcurrencyConflictError
from commerce_core.services.retry import retry_on_conflict


def test_a_conflict_is_retried_until_the_use_case_succeeds() -> None:
    calls: list[int] = []

    def use_case() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConcurrencyConflictError("cart", "c1", 1, 2)
        return "saved"

    assert retry_on_conflict(use_case, attempts=3) == "saved"
    assert len(calls) == 3


def test_conflicts_beyond_the_bound_surface_to_the_caller() -> None:
    calls: list[int] = []

    def use_case() -> str:
        calls.append(1)
        raise ConcurrencyConflictError("cart", "c1", 1, 2)

    with pytest.raises(ConcurrencyConflictError):
        retry_on_conflict(use_case, attempts=2)
    assert len(calls) == 2
