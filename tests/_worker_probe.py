"""A task for a worker that imports nothing itself (test_workers imports asyncio)."""

from __future__ import annotations


def modules_loaded(names: list[str]) -> list[str]:
    import sys

    return [name for name in names if name in sys.modules]


def stderr_target() -> str:
    import os

    return os.readlink("/proc/self/fd/2")
