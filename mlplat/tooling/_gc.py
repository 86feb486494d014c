"""Garbage collection in large batches while a plan is built or checked.

The SDK and the policy analyzer allocate many objects per resource (futures, Outputs, property
proxies). With the default thresholds the collector keeps rescanning the long-lived ones, and
every full collection also walks the provider SDKs' modules (hundreds of thousands of objects):
plan time then grows faster than linearly and a single full pass can cost a quarter of a
stack's plan (bench/README.md). Inside `batched_gc()` the objects alive at entry are frozen out
of collection and young collections happen in large batches; nothing is collected eagerly on
entry or exit, garbage left over is collected as usual afterwards.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

_LOCK = threading.Lock()
_depth = 0
_saved_threshold: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def batched_gc(threshold0: int = 50_000) -> Iterator[None]:
    """Reentrant: nested uses (a plan whose checks run inside it) keep the outermost settings."""
    global _depth, _saved_threshold
    with _LOCK:
        if _depth == 0:
            _saved_threshold = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(threshold0, 50, 100)
        _depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved_threshold)
                gc.unfreeze()
