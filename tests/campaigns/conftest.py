"""Fixtures for broadcasts: no pause between recipients (the tests that time it set their own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from repdesk.campaigns.config import reset_campaign_settings


@pytest.fixture(autouse=True)
def no_broadcast_pause(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REPDESK_BROADCAST_DELAY_SECONDS", "0")
    reset_campaign_settings()
    yield
    reset_campaign_settings()
