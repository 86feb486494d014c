"""Realistic provider outputs for the offline runner (see `_core` for the mechanism)."""

import importlib
import pkgutil

from ._core import (
    FAKE_ACCOUNT_ID,
    FakeContext,
    GenericUse,
    OfflineAnswerError,
    RealisticMocks,
    UnknownStackReferenceError,
    UnmockedInvokeError,
    fallback,
    fake,
    fake_uuid,
    generated_name,
    invoke,
    pinned_result,
    stable_hex,
    without_fakes,
)

# Every module of this package registers its fakes on import.
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "FAKE_ACCOUNT_ID",
    "FakeContext",
    "GenericUse",
    "OfflineAnswerError",
    "RealisticMocks",
    "UnknownStackReferenceError",
    "UnmockedInvokeError",
    "fallback",
    "fake",
    "fake_uuid",
    "generated_name",
    "invoke",
    "pinned_result",
    "stable_hex",
    "without_fakes",
]
