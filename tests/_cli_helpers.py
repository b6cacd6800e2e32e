"""Running the real `briefing` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_briefing(
    *args: str, cwd: Path, columns: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m briefing ARGS` with no stdin, its output captured as text.

    ``columns`` sets COLUMNS, the width a terminal would have.
    """
    env = {**os.environ, "COLUMNS": str(columns)} if columns is not None else None
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=timeout,
    )
