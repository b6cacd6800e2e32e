"""Key facts (transitional: the legacy engine while the new one is written)."""

from briefing.core.facts.legacy import *  # noqa: F403
from briefing.core.facts.legacy import (  # noqa: F401
    _LAST_MERGE,
    _MEMO,
    EXTRACTOR_VERSION,
)
