"""The ``briefing`` command's entry point, kept apart from ``cli`` on purpose.

The console script that pip writes imports this module at its top. A worker
process started with multiprocessing's "spawn" method (the feed parsers) runs
that script again, as ``__mp_main__``, before it does anything else: when the
script imported ``briefing.cli`` itself, every parse worker imported the whole
command line (asyncio, the store, SQLite, diskcache, the config) for nothing,
about 90 ms of CPU and several MB each. Here the import happens only when the
command actually runs.
"""

from __future__ import annotations


def main() -> int:
    from briefing.cli import main as run

    return run()
