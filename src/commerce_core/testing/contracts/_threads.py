"""Run one piece of work in several real threads released together (for contract races)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["race"]

T = TypeVar("T")


def race(workers: int, work: Callable[[int], T]) -> list[T]:
    """Call ``work(i)`` for ``i in range(workers)`` in ``workers`` threads started at once.

    Returns the results in completion order; an exception in any thread is re-raised here.
    """
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=5)
            outcome = work(index)
        except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
            with lock:
                errors.append(error)
            return
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    if errors:
        raise errors[0]
    return results
