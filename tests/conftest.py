"""Shared test configuration: Hypothesis profiles, and temporary files kept under pytest's.

``ci`` (derandomized, the default and what ``make test`` uses) and ``deep`` (ten times the examples
and more, for ``make deep``). Select with the ``HYPOTHESIS_PROFILE`` environment variable.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
settings.register_profile(
    "deep",
    max_examples=1_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    stateful_step_count=100,
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _temporary_files_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Whatever the code under test puts in a ``tempfile`` directory (an example's dashboard, a
    JSON-lines sink) lands under pytest's base temporary directory, which pytest prunes to the
    last few runs, instead of piling up in the system's temporary directory."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempfile"))
    try:
        yield
    finally:
        tempfile.tempdir = saved
