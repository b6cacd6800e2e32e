"""BriefingService behaviour not covered elsewhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from briefing.core.service import DataOrigin, open_sample


async def test_refreshing_the_sample_keeps_it_labelled_sample(tmp_path: Path) -> None:
    service = await asyncio.to_thread(open_sample, tmp_path)
    assert service.origin == DataOrigin.SAMPLE
    summary = await service.refresh(full_text=False)
    assert summary.any_succeeded
    assert service.origin == DataOrigin.SAMPLE
    service.store.close()
