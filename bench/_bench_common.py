"""What the bench scripts share. Each script puts its own folder first on
sys.path (Python does that for ``python bench/<script>.py``), so
``from _bench_common import ...`` works from anywhere."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_bytecode() -> None:
    """Write briefing's bytecode caches (__pycache__, git-ignored) before timing.

    A normal install has them: pip compiles a regular install, and Python
    writes them on the first run of an editable one. But this sandbox sets
    PYTHONDONTWRITEBYTECODE=1, so without this step every timed process would
    compile briefing's modules from source (about 25 ms for `briefing fetch`,
    more for the reader). ``--source-only`` measures that case.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "briefing"), quiet=1)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("bytecode: compiled ahead (PYTHONDONTWRITEBYTECODE is set here)")
